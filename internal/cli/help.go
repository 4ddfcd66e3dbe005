package cli

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/resp"
)

// helpEntry is one HELP topic: a command (or "COMMAND SUBCOMMAND") built
// from COMMAND DOCS, or a command group "@group" (redis-cli's helpEntry).
type helpEntry struct {
	group    bool
	argv     []string // upper-cased words of full
	full     string
	params   string
	summary  string
	since    string
	hasSince bool
	grp      string
}

// buildHelp turns a COMMAND DOCS reply (RESP2 array or RESP3 map of name →
// docs) into help entries sorted by their full name, commands with their
// subcommands and one entry per group, as redis-cli's cliInitHelp does.
func buildHelp(docs client.Value) []helpEntry {
	var out []helpEntry
	groups := map[string]bool{}
	var add func(cmd, sub string, specs client.Value)
	add = func(cmd, sub string, specs client.Value) {
		e := helpEntry{argv: []string{strings.ToUpper(cmd)}}
		if sub != "" {
			if i := strings.IndexByte(sub, '|'); i >= 0 {
				sub = sub[i+1:]
			}
			e.argv = append(e.argv, strings.ToUpper(sub))
		}
		e.full = strings.Join(e.argv, " ")
		var subs []client.Value
		for j := 0; j+1 < len(specs.Elems); j += 2 {
			v := specs.Elems[j+1]
			switch string(specs.Elems[j].Str) {
			case "summary":
				e.summary = string(v.Str)
			case "since":
				e.since, e.hasSince = string(v.Str), true
			case "group":
				e.grp = string(v.Str)
				groups[e.grp] = true
			case "arguments":
				e.params = concatArgs(e.params, v.Elems, " ")
			case "subcommands":
				subs = v.Elems
			}
		}
		out = append(out, e)
		for i := 0; i+1 < len(subs); i += 2 {
			add(cmd, string(subs[i].Str), subs[i+1])
		}
	}
	for i := 0; i+1 < len(docs.Elems); i += 2 {
		add(string(docs.Elems[i].Str), "", docs.Elems[i+1])
	}
	for g := range groups {
		out = append(out, helpEntry{group: true, argv: []string{"@" + g}, full: "@" + g})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].full < out[j].full })
	return out
}

func concatArgs(params string, args []client.Value, sep string) string {
	for j, a := range args {
		params = addArg(params, a)
		if j != len(args)-1 {
			params += sep
		}
	}
	return params
}

// orEmpty is a token or name as redis-cli shows it: "" for an empty one.
func orEmpty(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// addArg appends one COMMAND DOCS argument in redis-cli's hint syntax:
// [optional], "a|b" for oneof, "TOKEN value", "x [x ...]" for multiple.
func addArg(params string, arg client.Value) string {
	if arg.Kind != resp.KindMap && arg.Kind != resp.KindArray {
		return params
	}
	var name, typ, token, repeat string
	var optional, multiple, multipleToken bool
	var sub []client.Value
	for i := 0; i+1 < len(arg.Elems); i += 2 {
		v := arg.Elems[i+1]
		switch string(arg.Elems[i].Str) {
		case "name":
			name = string(v.Str)
		case "token":
			token += orEmpty(string(v.Str))
		case "type":
			typ = string(v.Str)
		case "arguments":
			sub = v.Elems
		case "flags":
			for _, f := range v.Elems {
				switch string(f.Str) {
				case "optional":
					optional = true
				case "multiple":
					multiple = true
				case "multiple_token":
					multipleToken = true
				}
			}
		}
	}
	switch typ {
	case "key", "string", "integer", "double", "pattern", "unix-time", "token":
		repeat = orEmpty(name)
	case "oneof":
		repeat = concatArgs("", sub, "|")
	case "block":
		repeat = concatArgs("", sub, " ")
	case "pure-token":
	default:
		fmt.Fprintf(os.Stderr, "Unknown type '%s' set for argument '%s'\n", typ, name)
	}
	if token != "" && typ != "pure-token" {
		token += " "
	}
	var b strings.Builder
	b.WriteString(params)
	if optional {
		b.WriteByte('[')
	}
	b.WriteString(token)
	b.WriteString(repeat)
	if multiple {
		b.WriteString(" [")
		if multipleToken {
			b.WriteString(token)
		}
		b.WriteString(repeat)
		b.WriteString(" ...]")
	}
	if optional {
		b.WriteByte(']')
	}
	return b.String()
}

// initHelp loads the help entries from the server's COMMAND DOCS, as
// redis-cli's cliInitHelp does: with no server to ask, or when COMMAND DOCS
// fails, it falls back to redis-cli's compiled-in table (helptable_gen.go),
// completed from the server's COMMAND reply when COMMAND DOCS answered an
// error.
func (s *session) initHelp() {
	s.helpLoaded = true
	if s.conn == nil && !s.connect(false, true) {
		s.help = oldHelp()
		return
	}
	v, err := s.conn.Do("COMMAND", "DOCS")
	if err != nil {
		// As hiredis keeps a failed context's error, the next command
		// reconnects (after a Lua debugging session the server closed it);
		// COMMAND on that context fails too, so no entries are added.
		s.conn.Close()
		s.conn = nil
		s.help = oldHelp()
		return
	}
	if v.IsError() {
		s.help = oldHelp()
		s.integrateHelp()
		return
	}
	if v.Kind != resp.KindArray && v.Kind != resp.KindMap {
		s.help, s.helpLoaded = nil, false
		return
	}
	s.help = buildHelp(v)
}

// helpTableEntry is one line of redis-cli's compiled-in help table.
type helpTableEntry struct {
	name, params, summary string
	group                 int
	since                 string
}

// oldHelp is redis-cli's cliOldInitHelp: the groups, then the commands of
// its compiled-in table, in the table's order.
func oldHelp() []helpEntry {
	out := make([]helpEntry, 0, len(helpGroups)+len(helpTable))
	for _, g := range helpGroups {
		out = append(out, helpEntry{group: true, argv: []string{"@" + g}, full: "@" + g})
	}
	for _, c := range helpTable {
		out = append(out, helpEntry{argv: strings.Fields(c.name), full: c.name, params: c.params,
			summary: c.summary, since: c.since, hasSince: true, grp: helpGroups[c.group]})
	}
	return out
}

// integrateHelp is redis-cli's cliOldIntegrateHelp: each command the
// server's COMMAND lists that the table lacks gets an entry with its arity
// spelled as "key arg ...", in the first group.
func (s *session) integrateHelp() {
	v, err := s.conn.Do("COMMAND")
	if err != nil || v.Kind != resp.KindArray {
		return
	}
	for _, c := range v.Elems {
		if c.Kind != resp.KindArray || len(c.Elems) < 4 || c.Elems[0].Kind != resp.KindBulk ||
			c.Elems[1].Kind != resp.KindInt || c.Elems[3].Kind != resp.KindInt {
			return
		}
		name := string(c.Elems[0].Str)
		known := false
		for _, e := range s.help {
			if strings.EqualFold(e.argv[0], name) {
				known = true
				break
			}
		}
		if known {
			continue
		}
		arity := c.Elems[1].Int
		args := arity
		if args < 0 {
			args = -args
		}
		args--
		params := ""
		if c.Elems[3].Int == 1 {
			params += "key "
			args--
		}
		for ; args > 0; args-- {
			params += "arg "
		}
		if arity < 0 {
			params += "...options..."
		}
		up := strings.ToUpper(name)
		s.help = append(s.help, helpEntry{argv: []string{up}, full: up, params: params,
			summary: "Help not available", since: "Not known", hasSince: true, grp: helpGroups[0]})
	}
}

// outputHelp is cliOutputHelp: HELP alone, HELP <command [sub]> or
// HELP @group.
func (s *session) outputHelp(args []string) {
	if len(args) == 0 {
		fmt.Fprintf(s.out, "shoal-cli %s\nTo get help about Redis commands type:\n      \"help @<group>\" to get a list of commands in <group>\n      \"help <command>\" for help on <command>\n      \"help <tab>\" to get a list of possible help topics\n      \"quit\" to exit\n\nTo set redis-cli preferences:\n      \":set hints\" enable online hints\n      \":set nohints\" disable online hints\nSet your preferences in ~/.redisclirc\n", Version)
		s.out.Flush()
		return
	}
	if !s.helpLoaded {
		s.initHelp()
	}
	group := ""
	if args[0][0] == '@' {
		group = args[0][1:]
	}
	for _, e := range s.help {
		if e.group {
			continue
		}
		switch {
		case group == "" && len(args) <= len(e.argv):
			match := true
			for j := range args {
				if !strings.EqualFold(args[j], e.argv[j]) {
					match = false
					break
				}
			}
			if match {
				s.commandHelp(e, true)
			}
		case group != "" && strings.EqualFold(group, e.grp):
			s.commandHelp(e, false)
		}
	}
	s.out.WriteString("\r\n")
	s.out.Flush()
}

func (s *session) commandHelp(e helpEntry, withGroup bool) {
	fmt.Fprintf(s.out, "\r\n  \x1b[1m%s\x1b[0m \x1b[90m%s\x1b[0m\r\n", e.full, e.params)
	fmt.Fprintf(s.out, "  \x1b[33msummary:\x1b[0m %s\r\n", e.summary)
	if e.hasSince {
		fmt.Fprintf(s.out, "  \x1b[33msince:\x1b[0m %s\r\n", e.since)
	}
	if withGroup {
		fmt.Fprintf(s.out, "  \x1b[33mgroup:\x1b[0m %s\r\n", e.grp)
	}
}

// complete is redis-cli's completionCallback: command names (and, after
// "help ", groups too) that start with what was typed, in help order.
func (s *session) complete(buf string) []string {
	start, groups := 0, false
	if len(buf) >= 5 && strings.EqualFold(buf[:5], "help ") {
		start, groups = 5, true
		for start < len(buf) && isSpace(buf[start]) {
			start++
		}
	}
	typed := buf[start:]
	var out []string
	for _, e := range s.help {
		if e.group && !groups {
			continue
		}
		if len(e.full) >= len(typed) && strings.EqualFold(e.full[:len(typed)], typed) {
			out = append(out, buf[:start]+e.full)
		}
	}
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// hint is redis-cli's hintsCallback: the arguments of the longest command
// the line starts with, minus those already typed, shown in grey.
func (s *session) hint(buf string) (string, bool) {
	if s.noHints {
		return "", false
	}
	parts, _, err := resp.SplitArgs([]byte(buf), nil, nil)
	if err != nil || len(parts) == 0 {
		return "", false
	}
	endSpace := len(buf) > 0 && isSpace(buf[len(buf)-1])
	var entry *helpEntry
	matchLen := 0
	for i := range s.help {
		e := &s.help[i]
		if e.group || len(e.argv) > len(parts) {
			continue
		}
		j := 0
		for ; j < len(e.argv); j++ {
			if !strings.EqualFold(e.argv[j], string(parts[j])) {
				break
			}
		}
		if j == len(e.argv) && len(e.argv) > matchLen {
			matchLen, entry = len(e.argv), e
		}
	}
	if entry == nil {
		return "", false
	}
	h := entry.params
	for remove := len(parts) - matchLen; remove > 0 && h != ""; {
		if h[0] == '[' {
			break
		}
		if h[0] == ' ' {
			remove--
		}
		h = h[1:]
	}
	if !endSpace {
		h = " " + h
	}
	return h, true
}
