package acl

import (
	"bytes"
	"strings"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/glob"
)

// Scratch is a connection's reusable buffers for Check.
type Scratch struct {
	keys  []int
	specs []uint8
	need  []uint8
	init  bool
}

// Check is ACLCheckAllUserCommandPerm: whether the user may run the
// command (spec already resolved to the subcommand) with args. It returns
// OK, or the denial and the index in args of the refused key or channel.
// With several selectors the first that allows wins; otherwise the error
// reported is the command one unless a selector got further (the last
// refused key or channel, as Redis picks it).
func (p *Perms) Check(cat *Catalog, spec *command.Spec, args [][]byte, sc *Scratch) (int, int) {
	if p.All {
		return OK, 0
	}
	sc.init = false
	relevant, lastIdx := DeniedCmd, 0
	for _, s := range p.Selectors {
		r, idx := s.check(cat, spec, args, sc)
		if r == OK {
			return OK, 0
		}
		if r > relevant || (r == relevant && idx > lastIdx) {
			relevant, lastIdx = r, idx
		}
	}
	return relevant, lastIdx
}

func (s *Selector) check(cat *Catalog, spec *command.Spec, args [][]byte, sc *Scratch) (int, int) {
	c := cat.byID[spec.ID]
	if c.Spec != spec {
		// A command Redis 7.0 does not have (CLIENT SETINFO, accepted for
		// newer clients): 7.0 refuses it as unknown before any ACL check,
		// so no rule names it and none refuses it.
		return OK, 0
	}
	if s.flags&selAllCommands == 0 && !spec.Has(command.FlagNoAuth) && !s.bit(spec.ID) {
		fa := s.firstArgs[spec.ID]
		if len(args) < 2 || fa == nil {
			return DeniedCmd, 0
		}
		i := 1
		if spec.Parent != nil {
			i = 2
		}
		ok := false
		for _, a := range fa {
			if i < len(args) && strings.EqualFold(string(args[i]), a) {
				ok = true
				break
			}
		}
		if !ok {
			return DeniedCmd, 0
		}
	}
	if s.flags&selAllKeys == 0 && (len(spec.KeySpecs) > 0 || spec.GetKeys != nil) {
		if !sc.init {
			sc.keyRefs(c, args)
		}
		for j, pos := range sc.keys {
			if !s.keyAllowed(args[pos], sc.need[j]) {
				return DeniedKey, pos
			}
		}
	}
	if s.flags&selAllChannels == 0 && c.chanFlags&(chanPublish|chanSubscribe) != 0 {
		last := len(args) - 1
		if c.chanFlags&chanPublish != 0 && last > 1 {
			last = 1
		}
		for pos := 1; pos <= last; pos++ {
			if !s.channelAllowed(args[pos], c.chanFlags&chanPattern != 0) {
				return DeniedChannel, pos
			}
		}
	}
	return OK, 0
}

// keyAllowed is ACLSelectorCheckKey.
func (s *Selector) keyAllowed(key []byte, need uint8) bool {
	for i := range s.keys {
		k := &s.keys[i]
		if k.Perm&need != need {
			continue
		}
		if glob.Match(k.pat, key, false) {
			return true
		}
	}
	return false
}

// channelAllowed is ACLCheckChannelAgainstList: a PSUBSCRIBE pattern must
// equal an allowed pattern; a channel must match one.
func (s *Selector) channelAllowed(ch []byte, isPattern bool) bool {
	for _, p := range s.chanPats {
		if isPattern {
			if bytes.Equal(p, ch) {
				return true
			}
		} else if glob.Match(p, ch, false) {
			return true
		}
	}
	return false
}

// keyRefs finds the command's keys and the permission each needs, as
// getKeysFromCommandWithSpecs does for ACL: key specs with their flags,
// SET's and BITFIELD's variable flags resolved as their getkeys procs do,
// and SORT's and MIGRATE's getkeys procs.
func (sc *Scratch) keyRefs(c *Cmd, args [][]byte) {
	sc.init = true
	spec := c.Spec
	sc.need = sc.need[:0]
	if spec.GetKeys != nil {
		sc.keys = spec.KeyPositions(args, sc.keys[:0])
		var union uint8
		for _, n := range c.keyNeed {
			union |= n
		}
		for i := range sc.keys {
			n := union
			if c.keyProc == procSort {
				n = permWrite // the STORE key (sortGetKeys: OW update)
				if i == 0 {
					n = permRead
				}
			}
			sc.need = append(sc.need, n)
		}
		return
	}
	var ok bool
	sc.keys, sc.specs, ok = spec.SpecKeyPositions(args, sc.keys[:0], sc.specs)
	if !ok {
		// An invalid spec: Redis falls back to the command's getkeys
		// proc; those of the commands Shoal does not override find no
		// keys in arguments the specs refuse (a bad numkeys), but
		// sortROGetKeys: the sorted key, read.
		if c.keyProc == procSortRO {
			sc.keys = append(sc.keys[:0], 1)
			sc.need = append(sc.need, permRead)
		}
		return
	}
	for _, si := range sc.specs {
		sc.need = append(sc.need, c.keyNeed[si])
	}
	switch c.keyProc {
	case procSet:
		// setGetKeys: RW access update with GET, else OW update.
		n := permWrite
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				n = permAll
			}
		}
		for i := range sc.need {
			sc.need[i] = n
		}
	case procBitfield:
		// bitfieldGetKeys: read-only when every operation is a GET.
		n := permRead
		for i := 2; i < len(args); i++ {
			switch strings.ToLower(string(args[i])) {
			case "set", "incrby":
				n = permAll
			}
		}
		for i := range sc.need {
			sc.need[i] = n
		}
	}
}

// CanReadAllKeys is ACLUserCheckKeyPerm(user, "*", CMD_KEY_ACCESS): some
// selector reads every key (allkeys, or a read pattern matching "*").
// SORT's BY and GET patterns need it.
func (p *Perms) CanReadAllKeys() bool {
	if p.All {
		return true
	}
	for _, s := range p.Selectors {
		if s.flags&selAllKeys != 0 || s.keyAllowed([]byte("*"), permRead) {
			return true
		}
	}
	return false
}
