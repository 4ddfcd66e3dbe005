package types

// SetMembers is what ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and their
// relatives need of a plain SET given as input (its members count with
// score 1). The set type implements it; the sorted-set commands accept any
// Object of KindSet that does.
type SetMembers interface {
	Object
	// ForEachMember calls fn for every member until fn returns false. The
	// slice is valid only during the call.
	ForEachMember(fn func(member []byte) bool)
	// HasMember reports whether member is in the set.
	HasMember(member []byte) bool
}

// A plain set is a valid input to the sorted-set algebra commands.
var _ SetMembers = (*Set)(nil)

// ForEachMember walks the set's members (SetMembers).
func (s *Set) ForEachMember(fn func(member []byte) bool) { s.Each(fn) }

// HasMember reports membership (SetMembers).
func (s *Set) HasMember(member []byte) bool { return s.Contains(member) }
