package config

import (
	"fmt"
	"strings"

	"github.com/shoal-db/shoal/internal/rediserr"
)

// Get is CONFIG GET. Each pattern without glob characters is looked up
// exactly (case-insensitively) and echoed back as written, hidden directives
// included; a glob pattern (Redis stringmatch, case-insensitive) matches
// every visible name and alias, which are reported in lowercase. Every name
// is reported once. Values are formatted as Redis 7.0 formats them.
func (c *Config) Get(patterns ...string) [][2]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[string]bool{}
	var out [][2]string
	add := func(key string, d *directive) {
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, [2]string{key, d.get(c)})
	}
	for _, p := range patterns {
		if !strings.ContainsAny(p, "[*?") {
			if d := lookup(p); d != nil {
				add(p, d)
			}
			continue
		}
		for _, d := range table {
			if d.flags&hidden != 0 {
				continue
			}
			if stringMatch(p, d.name, true) {
				add(d.name, d)
			}
			if d.alias != "" && stringMatch(p, d.alias, true) {
				add(d.alias, d)
			}
		}
	}
	return out
}

// SetError is a CONFIG SET failure; Error() is Redis's reply text.
type SetError struct{ msg string }

func (e *SetError) Error() string { return e.msg }

// Set is CONFIG SET name value [name value ...]. It is all or nothing: if
// any pair fails, every directive keeps its old value. Multi-argument
// directives (save, bind, client-output-buffer-limit, …) take their
// arguments space-separated in one value, as in Redis. Callbacks registered
// with OnSet run afterwards, once per changed directive.
//
// Protected directives (dir, dbfilename) are refused unless
// enable-protected-configs is "yes"; use SetLocal for a connection from
// loopback, which "local" also allows.
func (c *Config) Set(pairs [][2]string) error { return c.set(pairs, false) }

// SetLocal is Set for a client connected over loopback or a unix socket.
func (c *Config) SetLocal(pairs [][2]string) error { return c.set(pairs, true) }

func (c *Config) set(pairs [][2]string, local bool) error {
	c.mu.Lock()
	ds := make([]*directive, len(pairs))
	var errArg, errStr, unknown string
	refuseLoading := false
	for i, p := range pairs {
		d := lookup(p[0])
		if d == nil {
			if errArg == "" && errStr == "" && unknown == "" {
				unknown = p[0]
			}
			continue
		}
		if d.flags&denyLoading != 0 && (d.flags&protected == 0 || c.allowProtected(local)) && c.loading != nil && c.loading() {
			refuseLoading = true // checked on every pair, as in Redis
			continue
		}
		if unknown != "" || errStr != "" {
			continue
		}
		if d.flags&immutable != 0 {
			errArg, errStr = p[0], "can't set immutable config"
			continue
		}
		if d.flags&protected != 0 && !c.allowProtected(local) {
			errArg, errStr = p[0], "can't set protected config"
			continue
		}
		for j := 0; j < i; j++ {
			if ds[j] == d {
				errArg, errStr = p[0], "duplicate parameter"
				break
			}
		}
		ds[i] = d
	}
	if refuseLoading { // the loading error goes first, as in Redis
		c.mu.Unlock()
		return &SetError{rediserr.Loading}
	}
	if unknown != "" {
		c.mu.Unlock()
		return &SetError{fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", unknown)}
	}
	if errStr != "" {
		c.mu.Unlock()
		return &SetError{fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", errArg, errStr)}
	}
	old := make([]string, len(ds))
	for i, d := range ds {
		old[i] = d.get(c)
	}
	changed := make([]bool, len(ds))
	for i, d := range ds {
		if err := d.set(c, setArgs(d, pairs[i][1])); err != "" {
			for j := i; j >= 0; j-- { // restore in reverse: the first value set wins
				ds[j].set(c, setArgs(ds[j], old[j]))
			}
			c.mu.Unlock()
			return &SetError{fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", displayName(d, pairs[i][0]), err)}
		}
		changed[i] = d.get(c) != old[i]
		switch d.name {
		case "hz":
			c.clampHz()
		case "repl-backlog-size":
			c.clampReplBacklog()
		}
	}
	fns := append([]func(string){}, c.onSet...)
	c.mu.Unlock()
	for i, d := range ds {
		if !changed[i] {
			continue
		}
		for _, fn := range fns {
			fn(d.name)
		}
	}
	return nil
}

// displayName is the name Redis reports when setting a value fails: the
// name it was registered under (the alias if the alias was used).
func displayName(d *directive, used string) string {
	if d.alias != "" && strings.EqualFold(used, d.alias) {
		return d.alias
	}
	return d.name
}

// setArgs splits a CONFIG SET value: multi-argument directives split on
// single spaces (sdssplitlen), so "" is no arguments and "a  b" has an
// empty middle one.
func setArgs(d *directive, v string) []string {
	if d.flags&multiArg == 0 {
		return []string{v}
	}
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

func (c *Config) allowProtected(local bool) bool {
	v := *c.xs["enable-protected-configs"]
	return v == "yes" || (v == "local" && local)
}
