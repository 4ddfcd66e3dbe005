package acl

import (
	"errors"
	"strings"
)

// Selector flags (SELECTOR_FLAG_*).
const (
	selRoot uint8 = 1 << iota
	selAllKeys
	selAllChannels
	selAllCommands
)

// KeyPattern is a ~, %R~ or %W~ key pattern.
type KeyPattern struct {
	Perm    uint8 // permRead, permWrite or both
	Pattern string
	pat     []byte // Pattern, for glob.Match without a conversion
}

// String is the rule form of the pattern.
func (k KeyPattern) String() string {
	switch k.Perm {
	case permRead:
		return "%R~" + k.Pattern
	case permWrite:
		return "%W~" + k.Pattern
	}
	return "~" + k.Pattern
}

// Selector is one set of command, key and channel permissions; a user's
// root selector and its (…) selectors. Once published in a Perms it is
// never written.
type Selector struct {
	flags uint8
	// cmds has a bit per command ID; future is Redis's reserved bit set
	// by +@all (the rules started from +@all).
	cmds   []uint64
	future bool
	// firstArgs: +select|0 style allowed first arguments, by command ID.
	firstArgs map[int][]string
	keys      []KeyPattern
	channels  []string
	chanPats  [][]byte // channels as bytes, for glob.Match
}

// Rule errors (errno values of ACLSetUser), with Redis's texts.
var (
	ErrSyntax       = errors.New("Syntax error")
	ErrUnknown      = errors.New("Unknown command or category name in ACL")
	ErrKeyAfterAll  = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	ErrChanAfterAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	ErrNoSuchPass   = errors.New("The password you are trying to remove from the user does not exist")
	ErrBadHash      = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	ErrDuplicate    = errors.New("Duplicate user found. A user can only be defined once in config files")
	ErrSubFirstArg  = errors.New("Allowing first-arg of a subcommand is not supported")
)

func newSelector(cat *Catalog, flags uint8) *Selector {
	return &Selector{flags: flags, cmds: make([]uint64, cat.words)}
}

func (s *Selector) clone() *Selector {
	n := *s
	n.cmds = append([]uint64(nil), s.cmds...)
	n.keys = append([]KeyPattern(nil), s.keys...)
	n.channels = append([]string(nil), s.channels...)
	n.chanPats = append([][]byte(nil), s.chanPats...)
	if s.firstArgs != nil {
		n.firstArgs = make(map[int][]string, len(s.firstArgs))
		for k, v := range s.firstArgs {
			n.firstArgs[k] = append([]string(nil), v...)
		}
	}
	return &n
}

func (s *Selector) bit(id int) bool { return s.cmds[id/64]&(1<<(id%64)) != 0 }

func (s *Selector) setBit(id int, on bool) {
	if on {
		s.cmds[id/64] |= 1 << (id % 64)
	} else {
		s.cmds[id/64] &^= 1 << (id % 64)
		s.flags &^= selAllCommands
	}
}

// changePerm allows or blocks a command and, for a container, its
// subcommands (ACLChangeSelectorPerm).
func (s *Selector) changePerm(c *Cmd, on bool) {
	s.setBit(c.ID, on)
	delete(s.firstArgs, c.ID)
	for _, sub := range c.Subs {
		s.setBit(sub.ID, on)
	}
}

func (s *Selector) setCategory(cat *Catalog, bit uint32, on bool) {
	for _, c := range cat.byID {
		if c.Cats&bit != 0 {
			s.changePerm(c, on)
		}
	}
}

// hasSpaces is ACLStringHasSpaces: patterns and user names may hold no
// white space or NUL.
func hasSpaces(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\v', '\f', '\r', 0:
			return true
		}
	}
	return false
}

// apply applies one selector rule (ACLSetSelector).
func (s *Selector) apply(cat *Catalog, op string) error {
	switch {
	case strings.EqualFold(op, "allkeys") || op == "~*":
		s.flags |= selAllKeys
		s.keys = nil
	case strings.EqualFold(op, "resetkeys"):
		s.flags &^= selAllKeys
		s.keys = nil
	case strings.EqualFold(op, "allchannels") || op == "&*":
		s.flags |= selAllChannels
		s.channels, s.chanPats = nil, nil
	case strings.EqualFold(op, "resetchannels"):
		s.flags &^= selAllChannels
		s.channels, s.chanPats = nil, nil
	case strings.EqualFold(op, "allcommands") || strings.EqualFold(op, "+@all"):
		for i := range s.cmds {
			s.cmds[i] = ^uint64(0)
		}
		s.future = true
		s.flags |= selAllCommands
		s.firstArgs = nil
	case strings.EqualFold(op, "nocommands") || strings.EqualFold(op, "-@all"):
		for i := range s.cmds {
			s.cmds[i] = 0
		}
		s.future = false
		s.flags &^= selAllCommands
		s.firstArgs = nil
	case op[0] == '~' || op[0] == '%':
		return s.addKeyPattern(op)
	case op[0] == '&':
		if s.flags&selAllChannels != 0 {
			return ErrChanAfterAll
		}
		if hasSpaces(op[1:]) {
			return ErrSyntax
		}
		pat := op[1:]
		found := false
		for _, c := range s.channels {
			if c == pat {
				found = true
			}
		}
		if !found {
			s.channels = append(s.channels, pat)
			s.chanPats = append(s.chanPats, []byte(pat))
		}
		s.flags &^= selAllChannels
	case op[0] == '+' && (len(op) < 2 || op[1] != '@'):
		return s.allowCommand(cat, op[1:])
	case op[0] == '-' && (len(op) < 2 || op[1] != '@'):
		c := cat.Lookup(op[1:])
		if c == nil {
			return ErrUnknown
		}
		s.changePerm(c, false)
	case (op[0] == '+' || op[0] == '-') && op[1] == '@':
		bit := categoryBit(op[2:])
		if bit == 0 {
			return ErrUnknown
		}
		s.setCategory(cat, bit, op[0] == '+')
	default:
		return ErrSyntax
	}
	return nil
}

func (s *Selector) addKeyPattern(op string) error {
	if s.flags&selAllKeys != 0 {
		return ErrKeyAfterAll
	}
	var perm uint8
	off := 1
	if op[0] == '%' {
		for ; off < len(op); off++ {
			c := op[off]
			if (c == 'R' || c == 'r') && perm&permRead == 0 {
				perm |= permRead
			} else if (c == 'W' || c == 'w') && perm&permWrite == 0 {
				perm |= permWrite
			} else if c == '~' {
				off++
				break
			} else {
				return ErrSyntax
			}
		}
	} else {
		perm = permAll
	}
	if perm == 0 {
		// Redis 7.0.15 accepts "%~pat" and then panics describing the
		// pattern; refuse it instead.
		return ErrSyntax
	}
	pat := ""
	if off <= len(op) {
		pat = op[off:]
	}
	if hasSpaces(pat) {
		return ErrSyntax
	}
	for i := range s.keys {
		if s.keys[i].Pattern == pat {
			s.keys[i].Perm |= perm
			s.flags &^= selAllKeys
			return nil
		}
	}
	s.keys = append(s.keys, KeyPattern{Perm: perm, Pattern: pat, pat: []byte(pat)})
	s.flags &^= selAllKeys
	return nil
}

// allowCommand handles +cmd, +cmd|sub and +cmd|first-arg.
func (s *Selector) allowCommand(cat *Catalog, name string) error {
	bar := strings.LastIndexByte(name, '|')
	if bar < 0 {
		c := cat.Lookup(name)
		if c == nil {
			return ErrUnknown
		}
		s.changePerm(c, true)
		return nil
	}
	c := cat.Lookup(name[:bar])
	if c == nil {
		return ErrUnknown
	}
	if c.Spec.Parent != nil {
		return ErrSubFirstArg
	}
	sub := name[bar+1:]
	if sub == "" {
		return ErrSyntax
	}
	if len(c.Subs) > 0 {
		sc := cat.Lookup(name)
		if sc == nil {
			return ErrUnknown
		}
		s.changePerm(sc, true)
		return nil
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	for _, a := range s.firstArgs[c.ID] {
		if strings.EqualFold(a, sub) {
			return nil
		}
	}
	s.firstArgs[c.ID] = append(s.firstArgs[c.ID], sub)
	return nil
}
