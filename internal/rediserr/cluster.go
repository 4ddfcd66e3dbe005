package rediserr

import "strconv"

// Cluster mode errors (the CLUSTER command's own refusals come from
// internal/cluster, whose texts are Redis's too).
const (
	ClusterDisabled  = "ERR This instance has cluster support disabled"
	CrossSlot        = "CROSSSLOT Keys in request don't hash to the same slot"
	TryAgain         = "TRYAGAIN Multiple keys request during rehashing of slot"
	ClusterDown      = "CLUSTERDOWN The cluster is down"
	ClusterDownRO    = "CLUSTERDOWN The cluster is down and only accepts read commands"
	ClusterDownSlot  = "CLUSTERDOWN Hash slot not served"
	InvalidSlot      = "ERR Invalid or out of range slot"
	InvalidSlotOnly  = "ERR Invalid slot"
	InvalidSlotOrNum = "ERR Invalid slot or number of keys"
	SetSlotAction    = "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
)

// Moved is the MOVED redirect: "MOVED <slot> <endpoint>:<port>".
func Moved(slot int, addr string) string { return "MOVED " + strconv.Itoa(slot) + " " + addr }

// Ask is the ASK redirect: "ASK <slot> <endpoint>:<port>".
func Ask(slot int, addr string) string { return "ASK " + strconv.Itoa(slot) + " " + addr }

// SlotRangeOrder is ADDSLOTSRANGE/DELSLOTSRANGE with start > end.
func SlotRangeOrder(start, end int) string {
	return "ERR start slot number " + strconv.Itoa(start) + " is greater than end slot number " + strconv.Itoa(end)
}

// SubcommandSyntax is addReplySubcommandSyntaxError: a known subcommand with
// an argument count its handler refuses.
func SubcommandSyntax(sub, cmd string) string {
	if len(sub) > 128 {
		sub = sub[:128]
	}
	return "ERR unknown subcommand or wrong number of arguments for '" + sub + "'. Try " + cmd + " HELP."
}

// MeetPort is CLUSTER MEET with a port that is not an integer.
func MeetPort(bus bool, arg string) string {
	if bus {
		return "ERR Invalid TCP bus port specified: " + arg
	}
	return "ERR Invalid TCP base port specified: " + arg
}

// SaveConfigFailed is CLUSTER SAVECONFIG when nodes.conf cannot be written.
func SaveConfigFailed(err string) string { return "ERR error saving the cluster node config: " + err }
