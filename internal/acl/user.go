package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"sync/atomic"

	"github.com/shoal-db/shoal/internal/resp"
)

// User flags (USER_FLAG_*), in the order ACL LIST and GETUSER show them.
const (
	FlagEnabled uint8 = 1 << iota
	FlagDisabled
	FlagNoPass
	FlagSkipSanitize
	FlagSanitize
)

var userFlagNames = []struct {
	name string
	flag uint8
}{
	{"on", FlagEnabled}, {"off", FlagDisabled}, {"nopass", FlagNoPass},
	{"skip-sanitize-payload", FlagSkipSanitize}, {"sanitize-payload", FlagSanitize},
}

// Perms is a user's state at one moment: flags, password hashes and
// selectors (the root first). Never written once published.
type Perms struct {
	Flags     uint8
	Passwords []string // SHA-256 hex
	Selectors []*Selector
	// All: the root selector allows every command, key and channel, so
	// every check passes (the dispatcher's fast path).
	All bool
	// desc caches Describe (ACL LIST).
	desc atomic.Pointer[string]
}

// User is an ACL user. Its permissions change as a whole (SetPerms), so a
// connection logged in as it sees each change at its next command.
type User struct {
	Name  string
	perms atomic.Pointer[Perms]
}

// Perms returns the user's permissions in force.
func (u *User) Perms() *Perms { return u.perms.Load() }

func (p *Perms) clone() *Perms {
	n := &Perms{Flags: p.Flags, Passwords: append([]string(nil), p.Passwords...)}
	for _, s := range p.Selectors {
		n.Selectors = append(n.Selectors, s.clone())
	}
	return n
}

func (p *Perms) root() *Selector { return p.Selectors[0] }

// seal computes the derived fields before the value is published.
func (p *Perms) seal() *Perms {
	r := p.root()
	p.All = r.flags&(selAllCommands|selAllKeys|selAllChannels) == selAllCommands|selAllKeys|selAllChannels
	return p
}

// HashPassword is ACLHashPassword: SHA-256, lower-case hex.
func HashPassword(pass []byte) string {
	sum := sha256.Sum256(pass)
	return hex.EncodeToString(sum[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < 'a' || c > 'f') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// CheckPassword reports whether pass opens an enabled user
// (ACLCheckUserCredentials, after the user was found).
func (p *Perms) CheckPassword(pass []byte) bool {
	if p.Flags&FlagDisabled != 0 {
		return false
	}
	if p.Flags&FlagNoPass != 0 {
		return true
	}
	h := HashPassword(pass)
	ok := false
	for _, w := range p.Passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(w)) == 1 {
			ok = true
		}
	}
	return ok
}

// newPerms is a fresh user's state (ACLCreateUser): off, no passwords,
// a root selector with nothing allowed (but all channels if
// acl-pubsub-default is allchannels).
func newPerms(cat *Catalog, allChannels bool) *Perms {
	f := selRoot
	if allChannels {
		f |= selAllChannels
	}
	return &Perms{Flags: FlagDisabled, Selectors: []*Selector{newSelector(cat, f)}}
}

// apply applies one rule to the state (ACLSetUser).
func (p *Perms) apply(cat *Catalog, allChannels bool, op string) error {
	if op == "" {
		return nil
	}
	switch {
	case strings.EqualFold(op, "on"):
		p.Flags = p.Flags&^FlagDisabled | FlagEnabled
	case strings.EqualFold(op, "off"):
		p.Flags = p.Flags&^FlagEnabled | FlagDisabled
	case strings.EqualFold(op, "skip-sanitize-payload"):
		p.Flags = p.Flags&^FlagSanitize | FlagSkipSanitize
	case strings.EqualFold(op, "sanitize-payload"):
		p.Flags = p.Flags&^FlagSkipSanitize | FlagSanitize
	case strings.EqualFold(op, "nopass"):
		p.Flags |= FlagNoPass
		p.Passwords = nil
	case strings.EqualFold(op, "resetpass"):
		p.Flags &^= FlagNoPass
		p.Passwords = nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword([]byte(op[1:]))
		} else if !validHash(h) {
			return ErrBadHash
		}
		found := false
		for _, w := range p.Passwords {
			if w == h {
				found = true
			}
		}
		if !found {
			p.Passwords = append(p.Passwords, h)
		}
		p.Flags &^= FlagNoPass
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword([]byte(op[1:]))
		} else if !validHash(h) {
			return ErrBadHash
		}
		for i, w := range p.Passwords {
			if w == h {
				p.Passwords = append(p.Passwords[:i:i], p.Passwords[i+1:]...)
				return nil
			}
		}
		return ErrNoSuchPass
	case op[0] == '(' && op[len(op)-1] == ')':
		s, err := selectorFromOpSet(cat, allChannels, op)
		if err != nil {
			return err
		}
		p.Selectors = append(p.Selectors, s)
	case strings.EqualFold(op, "clearselectors"):
		p.Selectors = p.Selectors[:1]
	case strings.EqualFold(op, "reset"):
		p.Flags &^= FlagNoPass
		p.Passwords = nil
		r := p.root()
		r.flags &^= selAllKeys | selAllChannels
		r.keys, r.channels, r.chanPats = nil, nil, nil
		if allChannels {
			r.flags |= selAllChannels
		}
		p.Flags = p.Flags&^(FlagEnabled|FlagSkipSanitize) | FlagDisabled | FlagSanitize
		p.Selectors = p.Selectors[:1]
		_ = r.apply(cat, "-@all")
	default:
		return p.root().apply(cat, op)
	}
	return nil
}

// selectorFromOpSet builds a selector from "(rule rule …)".
func selectorFromOpSet(cat *Catalog, allChannels bool, op string) (*Selector, error) {
	var f uint8
	if allChannels {
		f = selAllChannels
	}
	s := newSelector(cat, f)
	args, _, err := resp.SplitArgs([]byte(op[1:len(op)-1]), nil, nil)
	if err != nil {
		// sdssplitargs fails on unbalanced quotes: no rules at all.
		return s, nil
	}
	for _, a := range args {
		if len(a) == 0 {
			continue
		}
		if err := s.apply(cat, string(a)); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// MergeSelectorArgs joins a selector spread over several arguments
// ("(~x", "+get)") into one (ACLMergeSelectorArguments). On an unclosed
// parenthesis it returns the index of the argument that opened it.
func MergeSelectorArgs(args []string) (merged []string, badIdx int, ok bool) {
	open := -1
	var sel string
	for j, op := range args {
		if len(op) > 0 && op[0] == '(' && op[len(op)-1] != ')' {
			sel, open = op, j
			continue
		}
		if open >= 0 {
			sel += " " + op
			if len(op) > 0 && op[len(op)-1] == ')' {
				open = -1
				merged = append(merged, sel)
			}
			continue
		}
		merged = append(merged, op)
	}
	if open >= 0 {
		return nil, open, false
	}
	return merged, 0, true
}

// NewSuperuser is a user outside the registry that may do anything: the
// identity of connection-less sessions (AOF loading), which Redis runs
// with no user at all.
func NewSuperuser(cat *Catalog) *User {
	u := &User{Name: "default"}
	p := newPerms(cat, false)
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		_ = p.apply(cat, false, op)
	}
	u.perms.Store(p.seal())
	return u
}

// ChannelsNarrowed reports whether the channels p allows may be fewer
// than old allowed: no selector has &*, and some pattern of old is not in
// p's list (the test of ACLKillPubsubClientsIfNeeded).
func (p *Perms) ChannelsNarrowed(old *Perms) bool {
	have := map[string]bool{}
	for _, s := range p.Selectors {
		if s.flags&selAllChannels != 0 {
			return false
		}
		for _, c := range s.channels {
			have[c] = true
		}
	}
	for _, s := range old.Selectors {
		if s.flags&selAllChannels != 0 {
			return true
		}
		for _, c := range s.channels {
			if !have[c] {
				return true
			}
		}
	}
	return false
}

// ChannelListed checks a subscribed channel (or pattern) against the
// union of p's channel lists, as ACLKillPubsubClientsIfNeeded does.
func (p *Perms) ChannelListed(name string, isPattern bool) bool {
	for _, s := range p.Selectors {
		if s.flags&selAllChannels != 0 || s.channelAllowed([]byte(name), isPattern) {
			return true
		}
	}
	return false
}
