package rediserr

// Client-side caching: CLIENT TRACKING and CLIENT CACHING (Redis 7.0.15
// networking.c, tracking.c), in its words.
const (
	TrackingOneRedirect      = "ERR A client can only redirect to a single other client"
	TrackingNoRedirect       = "ERR The client ID you want redirect to does not exist"
	TrackingPrefixNeedsBcast = "ERR PREFIX option requires BCAST mode to be enabled"
	TrackingBcastSwitch      = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	TrackingOptBcast         = "ERR OPTIN and OPTOUT are not compatible with BCAST"
	TrackingOptInOut         = "ERR You can't specify both OPTIN mode and OPTOUT mode"
	TrackingOptSwitch        = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	CachingNeedsOpt          = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	CachingYesNeedsOptIn     = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
	CachingNoNeedsOptOut     = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
)

// PrefixOverlapsExisting is CLIENT TRACKING … PREFIX p where p overlaps
// a prefix old the client already tracks (checkPrefixCollisionsOrReply;
// both as C strings, cut at a NUL).
func PrefixOverlapsExisting(p, old string) string {
	return "ERR Prefix '" + p + "' overlaps with an existing prefix '" + old + "'. Prefixes for a single client must not overlap."
}

// PrefixOverlapsGiven is the same for two prefixes of one call.
func PrefixOverlapsGiven(p, q string) string {
	return "ERR Prefix '" + p + "' overlaps with another provided prefix '" + q + "'. Prefixes for a single client must not overlap."
}
