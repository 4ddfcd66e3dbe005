package acl

import (
	"strings"

	"github.com/shoal-db/shoal/internal/command"
)

// Categories are Redis 7.0's ACL categories, in ACLCommandCategories order
// (ACL CAT lists them so, and the rule describer tries them so).
var Categories = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
	"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
	"blocking", "dangerous", "connection", "transaction", "scripting",
}

// categoryBit returns the bit of a category name (any case), 0 if unknown.
func categoryBit(name string) uint32 {
	for i, c := range Categories {
		if strings.EqualFold(c, name) {
			return 1 << i
		}
	}
	return 0
}

// Cmd is one command or subcommand as the ACL rules see it.
type Cmd struct {
	Spec *command.Spec
	ID   int
	Cats uint32 // bits of Categories
	// Subs are a container's subcommands, by name.
	Subs []*Cmd
	// keyNeed is, per key spec of the command, the permissions a key found
	// by it needs (permRead, permWrite).
	keyNeed []uint8
	// chanFlags says how the command names channels (chanPublish…).
	chanFlags uint8
	// keyProc names the commands whose keys Redis finds with their own
	// getkeys proc for ACL checks (varFlagsSet…).
	keyProc uint8
}

// Key procs Check emulates (see Scratch.keyRefs).
const (
	procNone uint8 = iota
	procSet
	procBitfield
	procSort
	procSortRO
)

var keyProcs = map[string]uint8{"set": procSet, "bitfield": procBitfield, "sort": procSort, "sort_ro": procSortRO}

// Catalog is the command table as the ACL rules use it: every command of
// Redis 7.0 (implemented or not, as Redis's orig_commands), by ID and name.
type Catalog struct {
	byID   []*Cmd
	byName map[string]*Cmd // full names, lower case ("config|get")
	top    []*Cmd          // commands without a parent, by name
	words  int             // uint64 words of a command bitmap
}

// Channel flags (Redis's CMD_CHANNEL_*), from db.c commands_with_channels.
const (
	chanPublish uint8 = 1 << iota
	chanSubscribe
	chanPattern
)

var channelCommands = map[string]uint8{
	"subscribe": chanSubscribe, "ssubscribe": chanSubscribe,
	"psubscribe": chanSubscribe | chanPattern,
	"publish":    chanPublish, "spublish": chanPublish,
}

// Key permission bits of a key pattern (ACL_READ/WRITE_PERMISSION).
const (
	permRead  uint8 = 1
	permWrite uint8 = 2
	permAll         = permRead | permWrite
)

// NewCatalog builds the catalog of a command table.
func NewCatalog(t *command.Table) *Catalog {
	cat := &Catalog{byID: make([]*Cmd, t.NumIDs()), byName: map[string]*Cmd{}}
	cat.words = (t.NumIDs() + 63) / 64
	var parent *Cmd
	t.Each(func(s *command.Spec) {
		c := &Cmd{Spec: s, ID: s.ID, Cats: specCategories(s)}
		c.chanFlags = channelCommands[s.Name]
		c.keyProc = keyProcs[s.Name]
		for i := range s.KeySpecs {
			c.keyNeed = append(c.keyNeed, keyNeed(s.KeySpecs[i].Flags))
		}
		cat.byID[s.ID] = c
		cat.byName[s.Name] = c
		if s.Parent == nil {
			cat.top = append(cat.top, c)
			parent = c
		} else {
			parent.Subs = append(parent.Subs, c)
		}
	})
	return cat
}

// keyNeed maps key-spec flags to the permissions the key needs, as
// ACLSelectorCheckKey does: access reads; insert, delete, update write.
func keyNeed(flags string) uint8 {
	var need uint8
	for _, f := range strings.Fields(flags) {
		switch f {
		case "access":
			need |= permRead
		case "insert", "delete", "update":
			need |= permWrite
		}
	}
	return need
}

// Lookup finds a command by full name ("get", "config|get"), any case.
func (cat *Catalog) Lookup(name string) *Cmd { return cat.byName[strings.ToLower(name)] }

// ByID returns the command with an ID.
func (cat *Catalog) ByID(id int) *Cmd { return cat.byID[id] }

// InCategory lists the full names of a category's commands (ACL CAT x);
// ok is false for an unknown category.
func (cat *Catalog) InCategory(name string) (names []string, ok bool) {
	bit := categoryBit(name)
	if bit == 0 {
		return nil, false
	}
	for _, c := range cat.byID {
		if c.Cats&bit != 0 {
			names = append(names, c.Spec.Name)
		}
	}
	return names, true
}

// specCategories reads a command's ACL categories from its COMMAND INFO
// reply (element 7: "+@read" …).
func specCategories(s *command.Spec) uint32 {
	b := []byte(s.Info(2))
	// *10 header, then name, arity, flags, first, last, step.
	_, p, ok := respHeader(b, 0)
	if !ok {
		return 0
	}
	for i := 0; i < 6 && ok; i++ {
		p, ok = respSkip(b, p)
	}
	if !ok {
		return 0
	}
	n, p, ok := respHeader(b, p)
	var cats uint32
	for i := 0; i < n && ok; i++ {
		end := indexCRLF(b, p)
		if end < 0 {
			return cats
		}
		line := string(b[p:end])
		cats |= categoryBit(strings.TrimPrefix(line, "+@"))
		p = end + 2
	}
	return cats
}

// respHeader reads a "*n\r\n" or "$n\r\n" line at p.
func respHeader(b []byte, p int) (n, next int, ok bool) {
	end := indexCRLF(b, p)
	if end < 0 || end == p {
		return 0, 0, false
	}
	for _, c := range b[p+1 : end] {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, end + 2, true
}

// respSkip skips one RESP2 value at p.
func respSkip(b []byte, p int) (int, bool) {
	if p >= len(b) {
		return 0, false
	}
	switch b[p] {
	case '*':
		n, q, ok := respHeader(b, p)
		for i := 0; i < n && ok; i++ {
			q, ok = respSkip(b, q)
		}
		return q, ok
	case '$':
		n, q, ok := respHeader(b, p)
		return q + n + 2, ok && q+n+2 <= len(b)
	default:
		end := indexCRLF(b, p)
		return end + 2, end >= 0
	}
}

func indexCRLF(b []byte, p int) int {
	for i := p; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return -1
}
