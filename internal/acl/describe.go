package acl

import "strings"

// CommandRules describes a selector's command bitmap as rules
// (ACLDescribeSelectorCommandRules): +@all or -@all, then the categories
// that fit best, then single commands and first-args. Redis walks its
// command dict in hash order for the single commands; this walks the
// table by ID, so that part may come out in another order (same rules).
func (s *Selector) CommandRules(cat *Catalog) string {
	var b strings.Builder
	additive := !s.future
	fake := newSelector(cat, 0)
	if additive {
		b.WriteString("-@all ")
		_ = fake.apply(cat, "-@all")
	} else {
		b.WriteString("+@all ")
		_ = fake.apply(cat, "+@all")
	}
	temp := newSelector(cat, 0)
	copy(temp.cmds, s.cmds)
	applied := make([]bool, len(Categories))
	for {
		best := -1
		mindiff, maxsame := int(^uint(0)>>1), 0
		for j := range Categories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cat, 1<<j)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		bit := uint32(1) << best
		fake.setCategory(cat, bit, additive)
		temp.setCategory(cat, bit, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(Categories[best])
		b.WriteByte(' ')
		applied[best] = true
	}
	for _, c := range cat.byID {
		user, fk := s.bit(c.ID), fake.bit(c.ID)
		if user != fk {
			if user {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			b.WriteString(c.Spec.Name)
			b.WriteByte(' ')
			fake.changePerm(c, user)
		}
		if !user {
			for _, a := range s.firstArgs[c.ID] {
				b.WriteString("+" + c.Spec.Name + "|" + a + " ")
			}
		}
	}
	out := b.String()
	return out[:len(out)-1]
}

func (s *Selector) countCategory(cat *Catalog, bit uint32) (on, off int) {
	for _, c := range cat.byID {
		if c.Cats&bit != 0 {
			if s.bit(c.ID) {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}

// KeysRule is the selector's key patterns as GETUSER shows them.
func (s *Selector) KeysRule() string {
	if s.flags&selAllKeys != 0 {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

// ChannelsRule is the selector's channel patterns as GETUSER shows them.
func (s *Selector) ChannelsRule() string {
	if s.flags&selAllChannels != 0 {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is ACLDescribeSelector: keys, channels, command rules.
func (s *Selector) describe(cat *Catalog) string {
	var b strings.Builder
	if s.flags&selAllKeys != 0 {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteByte(' ')
		}
	}
	if s.flags&selAllChannels != 0 {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.CommandRules(cat))
	return b.String()
}

// FlagNames lists the user's flags in Redis's order.
func (p *Perms) FlagNames() []string {
	var out []string
	for _, f := range userFlagNames {
		if p.Flags&f.flag != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// Describe is ACLDescribeUser: the rules that rebuild the user, as ACL
// LIST and the aclfile show them (without "user <name> ").
func (p *Perms) Describe(cat *Catalog) string {
	if d := p.desc.Load(); d != nil {
		return *d
	}
	var b strings.Builder
	for _, f := range p.FlagNames() {
		b.WriteString(f + " ")
	}
	for _, h := range p.Passwords {
		b.WriteString("#" + h + " ")
	}
	for i, s := range p.Selectors {
		if i == 0 {
			b.WriteString(s.describe(cat))
		} else {
			b.WriteString(" (" + s.describe(cat) + ")")
		}
	}
	d := b.String()
	p.desc.Store(&d)
	return d
}

// RootSelector and Selectors give GETUSER the selectors.
func (p *Perms) RootSelector() *Selector { return p.Selectors[0] }

// ExtraSelectors are the (…) selectors.
func (p *Perms) ExtraSelectors() []*Selector { return p.Selectors[1:] }
