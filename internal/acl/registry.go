package acl

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/shoal-db/shoal/internal/resp"
)

// Registry is the set of users (Redis's Users rax) and the default user.
type Registry struct {
	Cat *Catalog
	Log *Log

	mu    sync.RWMutex
	users map[string]*User
	def   *User
	// allChannels is acl-pubsub-default allchannels: new users and
	// selectors start with &*.
	allChannels atomic.Bool
	// authRequired: the default user has a password or is off, so a new
	// connection must AUTH (authRequired in networking.c).
	authRequired atomic.Bool
}

// NewRegistry makes the registry with the default user of a fresh Redis:
// on nopass ~* &* +@all.
func NewRegistry(cat *Catalog) *Registry {
	r := &Registry{Cat: cat, Log: NewLog(128), users: map[string]*User{}}
	r.def = &User{Name: "default"}
	r.def.perms.Store(r.defaultPerms())
	r.users["default"] = r.def
	return r
}

func (r *Registry) defaultPerms() *Perms {
	p := newPerms(r.Cat, false)
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		_ = p.apply(r.Cat, false, op)
	}
	return p.seal()
}

// SetPubsubDefault sets acl-pubsub-default (true: allchannels).
func (r *Registry) SetPubsubDefault(all bool) { r.allChannels.Store(all) }

// Default returns the default user.
func (r *Registry) Default() *User { return r.def }

// AuthRequired reports whether a connection that has not authenticated
// must do so before running commands.
func (r *Registry) AuthRequired() bool { return r.authRequired.Load() }

func (r *Registry) publish(u *User, p *Perms) {
	u.perms.Store(p.seal())
	if u == r.def {
		r.authRequired.Store(p.Flags&FlagNoPass == 0 || p.Flags&FlagDisabled != 0)
	}
}

// Get returns a user by name, nil if there is none.
func (r *Registry) Get(name string) *User {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.users[name]
}

// Users returns every user, by name (the rax order).
func (r *Registry) Users() []*User {
	r.mu.RLock()
	out := make([]*User, 0, len(r.users))
	for _, u := range r.users {
		out = append(out, u)
	}
	r.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// SetUserError is a refused ACL SETUSER, with Redis's text.
type SetUserError struct{ Msg string }

func (e *SetUserError) Error() string { return e.Msg }

// stage applies rules to a copy of base (or a fresh user's state).
func (r *Registry) stage(base *Perms, rules []string) (*Perms, error) {
	merged, bad, ok := MergeSelectorArgs(rules)
	if !ok {
		return nil, &SetUserError{"Unmatched parenthesis in acl selector starting at '" + rules[bad] + "'."}
	}
	all := r.allChannels.Load()
	var p *Perms
	if base != nil {
		p = base.clone()
	} else {
		p = newPerms(r.Cat, all)
	}
	for _, op := range merged {
		if err := p.apply(r.Cat, all, op); err != nil {
			return nil, &SetUserError{"Error in ACL SETUSER modifier '" + op + "': " + err.Error()}
		}
	}
	return p, nil
}

// SetUser creates or changes a user (ACLStringSetUser): every rule is
// applied to a copy first, so a bad rule changes nothing. It returns the
// user and its state before the change (nil for a new user).
func (r *Registry) SetUser(name string, rules []string) (u *User, old *Perms, err error) {
	if hasSpaces(name) {
		return nil, nil, &SetUserError{"Usernames can't contain spaces or null characters"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	u = r.users[name]
	if u != nil {
		old = u.Perms()
	}
	p, err := r.stage(old, rules)
	if err != nil {
		return nil, nil, err
	}
	if u == nil {
		u = &User{Name: name}
		r.users[name] = u
	}
	r.publish(u, p)
	return u, old, nil
}

// SetDefaultPassword is requirepass: the default user's only password,
// or nopass when pass is empty (ACLUpdateDefaultUserPassword).
func (r *Registry) SetDefaultPassword(pass string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.def.Perms().clone()
	_ = p.apply(r.Cat, false, "resetpass")
	if pass != "" {
		_ = p.apply(r.Cat, false, ">"+pass)
	} else {
		_ = p.apply(r.Cat, false, "nopass")
	}
	r.publish(r.def, p)
}

// DelUsers removes users (ACL DELUSER) and returns the ones removed.
func (r *Registry) DelUsers(names []string) ([]*User, error) {
	for _, n := range names {
		if n == "default" {
			return nil, &SetUserError{"The 'default' user cannot be removed"}
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var gone []*User
	for _, n := range names {
		if u := r.users[n]; u != nil {
			delete(r.users, n)
			gone = append(gone, u)
		}
	}
	return gone, nil
}

// Authenticate checks a user name and password; it returns the user, or
// nil when the pair does not open an enabled user.
func (r *Registry) Authenticate(name string, pass []byte) *User {
	u := r.Get(name)
	if u == nil || !u.Perms().CheckPassword(pass) {
		return nil
	}
	return u
}

// Line is one ACL LIST / aclfile line for a user.
func (u *User) Line(cat *Catalog) string { return "user " + u.Name + " " + u.Perms().Describe(cat) }

// FileText is the aclfile ACL SAVE writes: one line per user, by name.
func (r *Registry) FileText() string {
	var b strings.Builder
	for _, u := range r.Users() {
		b.WriteString(u.Line(r.Cat))
		b.WriteByte('\n')
	}
	return b.String()
}

// LoadConfigUsers applies the `user` lines of redis.conf at startup
// (ACLLoadConfiguredUsers). A "user default" line resets the default user
// first. Errors name the rule and user as Redis's log does.
func (r *Registry) LoadConfigUsers(lines [][]string) error {
	seen := map[string]bool{}
	for _, l := range lines {
		if len(l) < 1 {
			continue
		}
		name := l[0]
		if seen[name] {
			return fmt.Errorf("Duplicate user '%s' found. %s", name, ErrDuplicate)
		}
		seen[name] = true
		if hasSpaces(name) {
			return fmt.Errorf("Spaces not allowed in ACL usernames")
		}
		merged, bad, ok := MergeSelectorArgs(l[1:])
		if !ok {
			return fmt.Errorf("Unmatched parenthesis in acl selector starting at '%s'.", l[1+bad])
		}
		all := r.allChannels.Load()
		var p *Perms
		if name == "default" {
			p = r.def.Perms().clone()
			_ = p.apply(r.Cat, all, "reset")
		} else {
			p = newPerms(r.Cat, all)
		}
		for _, op := range merged {
			if err := p.apply(r.Cat, all, op); err != nil {
				return fmt.Errorf("Error loading ACL rule '%s' for the user named '%s': %s", op, name, err)
			}
		}
		r.mu.Lock()
		u := r.users[name]
		if u == nil {
			u = &User{Name: name}
			r.users[name] = u
		}
		r.publish(u, p)
		r.mu.Unlock()
	}
	return nil
}

// LoadFile replaces every user with the aclfile's text (ACLLoadFromFile).
// path names the file in error messages. On any error nothing changes;
// otherwise the users no longer in force are returned (their connections
// must be closed: Redis frees every old user but the default one).
func (r *Registry) LoadFile(path, text string) (gone []*User, err error) {
	var errs strings.Builder
	all := r.allChannels.Load()
	users := map[string]*Perms{}
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		argv := strings.Split(line, " ")
		var args []string
		for _, a := range argv {
			if a != "" {
				args = append(args, a)
			}
		}
		if len(args) == 0 {
			continue
		}
		if args[0] != "user" || len(args) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", path, n)
			continue
		}
		name := args[1]
		if _, dup := users[name]; dup {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", name, n)
			continue
		}
		p := newPerms(r.Cat, all)
		users[name] = p
		merged, _, ok := MergeSelectorArgs(args[2:])
		if !ok {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", path, n)
		}
		synErr := false
		for _, op := range merged {
			op = strings.Trim(op, "\t\r\n")
			if err := p.apply(r.Cat, all, op); err != nil {
				if err == ErrUnknown {
					fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", path, n, op, err)
				} else if !synErr {
					fmt.Fprintf(&errs, "%s:%d: %s. ", path, n, err)
					synErr = true
				}
			}
		}
	}
	if errs.Len() > 0 {
		return nil, &SetUserError{errs.String() + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if users["default"] == nil {
		users["default"] = r.defaultPerms()
	}
	for name, u := range r.users {
		if name != "default" {
			gone = append(gone, u)
		}
	}
	r.users = map[string]*User{"default": r.def}
	for name, p := range users {
		u := r.def
		if name != "default" {
			u = &User{Name: name}
			r.users[name] = u
		}
		r.publish(u, p)
	}
	return gone, nil
}

// splitRules splits a rule string ("on >pw ~*") as sdssplitargs would.
func splitRules(s string) []string {
	args, _, err := resp.SplitArgs([]byte(s), nil, nil)
	if err != nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}
