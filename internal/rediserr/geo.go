package rediserr

// Errors of the geo commands (geo.c), Redis 7.0.
const (
	GeoUnit          = "ERR unsupported unit provided. please use M, KM, FT, MI"
	GeoNeedRadius    = "ERR need numeric radius"
	GeoNegRadius     = "ERR radius cannot be negative"
	GeoNeedWidth     = "ERR need numeric width"
	GeoNeedHeight    = "ERR need numeric height"
	GeoNegBox        = "ERR height or width cannot be negative"
	GeoNoMember      = "ERR could not decode requested zset member"
	GeoAnyNeedsCount = "ERR the ANY argument requires COUNT argument"
	GeoStoreSearch   = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	GeoStoreRadius   = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
)

// GeoBadPair is the error for a longitude/latitude outside the limits
// (both printed with C's %f).
func GeoBadPair(long, lat string) string {
	return "ERR invalid longitude,latitude pair " + long + "," + lat
}

// GeoNeedFrom and GeoNeedBy name the command as the client typed it.
func GeoNeedFrom(cmd string) string {
	return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + cmd
}

// GeoNeedBy is the error for a GEOSEARCH without BYRADIUS or BYBOX.
func GeoNeedBy(cmd string) string {
	return "ERR exactly one of BYRADIUS and BYBOX can be specified for " + cmd
}
