package nodesconf

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/slot"
)

// Node is one node line of nodes.conf.
type Node struct {
	ID       string // 40 characters, [a-z0-9]
	IP       string // may be empty (the node has not learnt its address yet)
	Port     int    // client port
	CPort    int    // cluster bus port
	Hostname string // announced hostname; empty if none
	// Flags in Redis's order: myself, master, slave, fail?, fail, handshake,
	// noaddr, nofailover; ["noflags"] when none is set.
	Flags       []string
	MasterID    string // "-" if none
	PingSent    int64  // unix ms, 0 if no ping is pending
	PongRecv    int64  // unix ms
	ConfigEpoch uint64 // for a slave, its master's config epoch
	LinkState   string // "connected" or "disconnected"
	Slots       []slot.Range
	// Migration marks, only on the myself node: slot -> target node ID
	// ("[slot->-id]") and slot -> source node ID ("[slot-<-id]").
	Migrating map[int]string
	Importing map[int]string
}

// File is a whole nodes.conf.
type File struct {
	Nodes         []Node
	CurrentEpoch  uint64
	LastVoteEpoch uint64
}

// ErrNoConfig is returned by Parse for a zero-length file. Redis treats that
// as "no configuration yet": it starts as a new node and writes a fresh file.
var ErrNoConfig = errors.New("nodesconf: empty cluster config file")

// ErrCorrupt is matched (errors.Is) by every *ParseError.
var ErrCorrupt = errors.New("corrupted cluster config file")

// ParseError reports a file Parse refuses. Line is 1-based; it is 0 for
// whole-file problems such as a missing myself node.
type ParseError struct {
	Line   int
	Text   string // the offending line, without its newline
	Reason string
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%v: %s", ErrCorrupt, e.Reason)
	}
	return fmt.Sprintf("%v: line %d: %s: %q", ErrCorrupt, e.Line, e.Reason, e.Text)
}

// Unwrap makes errors.Is(err, ErrCorrupt) hold.
func (e *ParseError) Unwrap() error { return ErrCorrupt }

// Flag bits, in the order Redis prints them (redisNodeFlagsTable).
var flagNames = [...]string{"myself", "master", "slave", "fail?", "fail", "handshake", "noaddr", "nofailover"}

const flagMyself = 1

// clusterPortIncr is the default bus port offset, for lines without "@cport".
const clusterPortIncr = 10000

// maxIPLen is NET_IP_STR_LEN-1: Redis copies the address into a 46-byte array.
const maxIPLen = 45

// Parse decodes a nodes.conf. See the package comment for what it accepts.
func Parse(data []byte) (*File, error) {
	if len(data) == 0 {
		return nil, ErrNoConfig
	}
	p := parser{f: &File{}, ids: map[string]int{}}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		// Redis skips empty lines (clusterSaveConfig pads with '\n' before
		// truncating), and lines fgets sees as empty C strings.
		if len(line) == 0 || line[0] == 0 {
			continue
		}
		p.lineNo, p.text = lineNo, string(line)
		if err := p.line(p.text); err != "" {
			return nil, &ParseError{Line: lineNo, Text: string(line), Reason: err}
		}
	}
	if err := p.finish(); err != nil {
		return nil, err
	}
	return p.f, nil
}

// ref is a node ID named on a line (as master or mark target) that must have
// a line of its own; it is checked once the whole file is read.
type ref struct {
	line int
	text string
	id   string
	what string
}

type parser struct {
	f      *File
	ids    map[string]int // node ID -> index in f.Nodes
	owner  [slot.Count]int32
	myself int // index+1 of the myself node, 0 if none yet
	refs   []ref
	lineNo int
	text   string
}

func (p *parser) line(text string) string {
	args, bad := fields(text)
	if bad != "" {
		return bad
	}
	if len(args) == 0 {
		return "line holds only whitespace"
	}
	if strings.EqualFold(args[0], "vars") {
		if len(args)%2 == 0 {
			return "vars line needs name value pairs"
		}
		for j := 1; j < len(args); j += 2 {
			v, ok := parseUint(args[j+1])
			if !ok {
				return "bad number " + strconv.Quote(args[j+1])
			}
			switch {
			case strings.EqualFold(args[j], "currentEpoch"):
				p.f.CurrentEpoch = v
			case strings.EqualFold(args[j], "lastVoteEpoch"):
				p.f.LastVoteEpoch = v
			default: // Redis logs "Skipping unknown cluster config variable" and goes on.
			}
		}
		return ""
	}
	if len(args) < 8 {
		return "node line has fewer than 8 fields"
	}
	var n Node
	if !validID(args[0]) {
		return "bad node ID " + strconv.Quote(args[0])
	}
	n.ID = args[0]
	if _, dup := p.ids[n.ID]; dup {
		return "node " + n.ID + " listed twice"
	}
	if bad := parseAddr(args[1], &n); bad != "" {
		return bad
	}
	var mask uint
	for _, s := range strings.Split(args[2], ",") {
		i := slices.IndexFunc(flagNames[:], func(name string) bool { return strings.EqualFold(name, s) })
		switch {
		case i >= 0:
			mask |= 1 << i
		case strings.EqualFold(s, "noflags"):
		default:
			return "unknown flag " + strconv.Quote(s)
		}
	}
	if mask&flagMyself != 0 {
		if p.myself != 0 {
			return "a second node is flagged myself"
		}
		p.myself = len(p.f.Nodes) + 1
	}
	n.Flags = flagList(mask)
	n.MasterID = args[3]
	if n.MasterID != "-" {
		if !validID(n.MasterID) || n.MasterID == n.ID {
			return "bad master ID " + strconv.Quote(n.MasterID)
		}
		p.refs = append(p.refs, ref{p.lineNo, p.text, n.MasterID, "master"})
	}
	var ok1, ok2, ok3 bool
	n.PingSent, ok1 = parseInt63(args[4])
	n.PongRecv, ok2 = parseInt63(args[5])
	n.ConfigEpoch, ok3 = parseUint(args[6])
	if !ok1 || !ok2 || !ok3 {
		return "bad ping, pong or epoch field"
	}
	n.LinkState = args[7]
	if n.LinkState != "connected" && n.LinkState != "disconnected" {
		return "bad link state " + strconv.Quote(n.LinkState)
	}
	idx := int32(len(p.f.Nodes) + 1)
	var own slot.Bitmap
	for _, a := range args[8:] {
		if a[0] == '[' {
			if mask&flagMyself == 0 {
				return "migration mark on a node other than myself"
			}
			if bad := p.mark(a, &n); bad != "" {
				return bad
			}
			continue
		}
		r, err := slot.ParseRange(a)
		if err != nil {
			return "bad slot range " + strconv.Quote(a)
		}
		for s := r.Start; s <= r.End; s++ {
			if o := p.owner[s]; o != 0 {
				if o == idx {
					return "slot " + strconv.Itoa(s) + " listed twice"
				}
				return "slot " + strconv.Itoa(s) + " already owned by " + p.f.Nodes[o-1].ID
			}
			p.owner[s] = idx
			own.Set(s)
		}
	}
	n.Slots = own.Ranges()
	p.ids[n.ID] = len(p.f.Nodes)
	p.f.Nodes = append(p.f.Nodes, n)
	return ""
}

// mark parses "[slot->-id]" or "[slot-<-id]".
func (p *parser) mark(a string, n *Node) string {
	bad := "bad migration mark " + strconv.Quote(a)
	body, ok := strings.CutSuffix(a[1:], "]")
	if !ok {
		return bad
	}
	num, rest, ok := strings.Cut(body, "-")
	if !ok || len(rest) != 2+40 {
		return bad
	}
	s, err := slot.ParseRange(num)
	if err != nil || s.Start != s.End {
		return bad
	}
	dir, id := rest[:2], rest[2:]
	if !validID(id) {
		return bad
	}
	_, m := n.Migrating[s.Start]
	_, i := n.Importing[s.Start]
	if m || i {
		return "two migration marks for slot " + num
	}
	switch dir {
	case ">-":
		if n.Migrating == nil {
			n.Migrating = map[int]string{}
		}
		n.Migrating[s.Start] = id
	case "<-":
		if n.Importing == nil {
			n.Importing = map[int]string{}
		}
		n.Importing[s.Start] = id
	default:
		return bad
	}
	p.refs = append(p.refs, ref{p.lineNo, p.text, id, "mark target"})
	return ""
}

func (p *parser) finish() error {
	if p.myself == 0 {
		return &ParseError{Reason: "no node is flagged myself"}
	}
	for _, r := range p.refs {
		if _, ok := p.ids[r.id]; !ok {
			return &ParseError{Line: r.line, Text: r.text, Reason: fmt.Sprintf("%s %s has no node line", r.what, r.id)}
		}
	}
	return nil
}

// fields splits a line as Redis's sdssplitargs does for the text Redis
// writes: on runs of space, tab and CR. Quoting is refused, not interpreted.
func fields(s string) ([]string, string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\'' {
			return nil, "quoted fields are not supported"
		}
		if c < ' ' && c != '\t' && c != '\r' || c == 0x7f {
			return nil, "control character in line"
		}
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' }), ""
}

// parseAddr parses ip:port[@cport][,hostname] into n.
func parseAddr(a string, n *Node) string {
	bad := "bad address " + strconv.Quote(a)
	if i := strings.IndexByte(a, ','); i >= 0 {
		a, n.Hostname = a[:i], a[i+1:]
	}
	i := strings.LastIndexByte(a, ':')
	if i < 0 || i > maxIPLen {
		return bad
	}
	n.IP = a[:i]
	port, bus, hasBus := strings.Cut(a[i+1:], "@")
	var ok bool
	if n.Port, ok = parsePort(port); !ok {
		return bad
	}
	if !hasBus {
		n.CPort = n.Port + clusterPortIncr
	} else if n.CPort, ok = parsePort(bus); !ok {
		return bad
	}
	return ""
}

func validID(id string) bool {
	if len(id) != 40 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

func flagList(mask uint) []string {
	if mask == 0 {
		return []string{"noflags"}
	}
	var out []string
	for i, name := range flagNames {
		if mask&(1<<i) != 0 {
			out = append(out, name)
		}
	}
	return out
}

// parseUint parses decimal digits only (no sign), as a uint64.
func parseUint(s string) (uint64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 64)
	return v, err == nil
}

func parseInt63(s string) (int64, bool) {
	v, ok := parseUint(s)
	return int64(v), ok && v <= 1<<63-1
}

func parsePort(s string) (int, bool) {
	v, ok := parseUint(s)
	return int(v), ok && v <= 65535
}

// Marshal encodes f as Redis 7.0.15 writes nodes.conf: one line per node in
// f.Nodes order, then the vars line, each ending in '\n'. Flags are written in
// Redis's order ("noflags" if none; unknown names follow, unchanged), slots as
// merged ascending runs, marks by ascending slot with migrating taking
// precedence, as in clusterGenNodeDescription. An empty MasterID is written as
// "-" and an empty LinkState as "disconnected".
func (f *File) Marshal() []byte {
	b := make([]byte, 0, 128*len(f.Nodes)+64)
	for i := range f.Nodes {
		b = f.Nodes[i].appendLine(b)
	}
	b = append(b, "vars currentEpoch "...)
	b = strconv.AppendUint(b, f.CurrentEpoch, 10)
	b = append(b, " lastVoteEpoch "...)
	b = strconv.AppendUint(b, f.LastVoteEpoch, 10)
	return append(b, '\n')
}

func (n *Node) appendLine(b []byte) []byte {
	b = append(b, n.ID...)
	b = append(b, ' ')
	b = append(b, n.IP...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(n.Port), 10)
	b = append(b, '@')
	b = strconv.AppendInt(b, int64(n.CPort), 10)
	if n.Hostname != "" {
		b = append(b, ',')
		b = append(b, n.Hostname...)
	}
	b = append(b, ' ')
	b = appendFlags(b, n.Flags)
	b = append(b, ' ')
	b = append(b, cmp(n.MasterID, "-")...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, n.PingSent, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, n.PongRecv, 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, n.ConfigEpoch, 10)
	b = append(b, ' ')
	b = append(b, cmp(n.LinkState, "disconnected")...)
	for _, r := range normalizeRanges(n.Slots) {
		b = append(b, ' ')
		b = r.Append(b)
	}
	marks := make([]int, 0, len(n.Migrating)+len(n.Importing))
	for s := range n.Migrating {
		marks = append(marks, s)
	}
	for s := range n.Importing {
		if _, dup := n.Migrating[s]; !dup {
			marks = append(marks, s)
		}
	}
	slices.Sort(marks)
	for _, s := range marks {
		b = append(b, " ["...)
		b = strconv.AppendInt(b, int64(s), 10)
		if id, ok := n.Migrating[s]; ok {
			b = append(b, "->-"...)
			b = append(b, id...)
		} else {
			b = append(b, "-<-"...)
			b = append(b, n.Importing[s]...)
		}
		b = append(b, ']')
	}
	return append(b, '\n')
}

func cmp(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func appendFlags(b []byte, flags []string) []byte {
	var mask uint
	var unknown []string
	for _, s := range flags {
		if i := slices.Index(flagNames[:], s); i >= 0 {
			mask |= 1 << i
		} else if s != "noflags" {
			unknown = append(unknown, s)
		}
	}
	start := len(b)
	for i, name := range flagNames {
		if mask&(1<<i) != 0 {
			b = append(b, name...)
			b = append(b, ',')
		}
	}
	for _, s := range unknown {
		b = append(b, s...)
		b = append(b, ',')
	}
	if len(b) == start {
		return append(b, "noflags"...)
	}
	return b[:len(b)-1]
}

// normalizeRanges returns rs as merged ascending runs, as Redis prints a
// node's slots. Ranges that are not valid are returned unchanged, so that a
// bad File produces text Parse rejects rather than silently losing slots.
func normalizeRanges(rs []slot.Range) []slot.Range {
	canonical := true
	for i, r := range rs {
		if !r.Valid() {
			return rs
		}
		if i > 0 && r.Start <= rs[i-1].End+1 {
			canonical = false
		}
	}
	if canonical {
		return rs
	}
	var m slot.Bitmap
	for _, r := range rs {
		m.SetRange(r)
	}
	return m.Ranges()
}
