package server

import (
	"sort"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/glob"
	"github.com/shoal-db/shoal/internal/rediserr"
)

// COMMAND and its subcommands. Only implemented commands are listed; the
// per-command replies are the raw ones generated from Redis 7.0.15.

var commandHelp = []string{
	"(no subcommand)",
	"    Return details about all Redis commands.",
	"COUNT",
	"    Return the total number of commands in this Redis server.",
	"LIST",
	"    Return a list of all commands in this Redis server.",
	"INFO [<command-name> ...]",
	"    Return details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"DOCS [<command-name> ...]",
	"    Return documentation details about multiple Redis commands.",
	"    If no command names are given, documentation details for all",
	"    commands are returned.",
	"GETKEYS <full-command>",
	"    Return the keys from a full Redis command.",
	"GETKEYSANDFLAGS <full-command>",
	"    Return the keys and the access flags from a full Redis command.",
}

func (s *Server) registerCommandCmd() {
	// COMMAND alone lists every command; its subcommands are the rest. The
	// container gets a handler so "COMMAND" with no argument reaches it.
	s.handle("command", func(ctx *command.Ctx) {
		specs := s.implementedTop()
		ctx.W.Array(len(specs))
		for _, sp := range specs {
			ctx.W.Raw([]byte(s.rawInfo(sp, ctx.W.Proto)))
		}
	})
	s.handle("command|count", func(ctx *command.Ctx) { ctx.W.Int(int64(len(s.implementedTop()))) })
	s.handle("command|info", func(ctx *command.Ctx) {
		if len(ctx.Args) == 2 {
			specs := s.implementedTop()
			ctx.W.Array(len(specs))
			for _, sp := range specs {
				ctx.W.Raw([]byte(s.rawInfo(sp, ctx.W.Proto)))
			}
			return
		}
		ctx.W.Array(len(ctx.Args) - 2)
		for _, a := range ctx.Args[2:] {
			sp := s.lookupImplemented(string(a))
			if sp == nil {
				ctx.W.Null() // $-1 in RESP2, as Redis replies
				continue
			}
			ctx.W.Raw([]byte(s.rawInfo(sp, ctx.W.Proto)))
		}
	})
	s.handle("command|docs", func(ctx *command.Ctx) {
		var specs []*command.Spec
		if len(ctx.Args) == 2 {
			specs = s.implementedTop()
		} else {
			for _, a := range ctx.Args[2:] {
				if sp := s.lookupImplemented(string(a)); sp != nil {
					specs = append(specs, sp)
				}
			}
		}
		ctx.W.Map(len(specs))
		for _, sp := range specs {
			ctx.W.BulkString(sp.Name)
			ctx.W.Raw([]byte(s.rawDocs(sp, ctx.W.Proto)))
		}
	})
	s.handle("command|list", s.commandList)
	s.handle("command|getkeys", func(ctx *command.Ctx) { s.commandGetKeys(ctx, false) })
	s.handle("command|getkeysandflags", func(ctx *command.Ctx) { s.commandGetKeys(ctx, true) })
	s.handle("command|help", helpReply("COMMAND", commandHelp))
}

// implementedTop returns the implemented top-level commands, by name.
func (s *Server) implementedTop() []*command.Spec {
	var out []*command.Spec
	for _, sp := range s.table.All() {
		if !strings.Contains(sp.Name, "|") {
			out = append(out, sp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// full returns the spec carrying a subcommand's complete generated
// replies: the table's nested subcommand specs hold only the RESP2 INFO
// reply, the flat "container|sub" entries hold all four.
func (s *Server) full(sp *command.Spec) *command.Spec {
	if sp.Parent != nil {
		if d := s.table.Orig(sp.Name); d != nil && d.Info(3) != "" {
			return d
		}
	}
	return sp
}

func (s *Server) rawInfo(sp *command.Spec, proto int) string { return s.full(sp).Info(proto) }
func (s *Server) rawDocs(sp *command.Spec, proto int) string { return s.full(sp).Docs(proto) }

// lookupImplemented finds "name" or "container|sub" if Shoal implements it.
func (s *Server) lookupImplemented(name string) *command.Spec {
	sp := s.table.Find(strings.ToLower(name))
	if sp == nil || sp.Info(2) == "" || !sp.Implemented() {
		return nil
	}
	return sp
}

// commandList is COMMAND LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p]:
// names of implemented commands and subcommands.
func (s *Server) commandList(ctx *command.Ctx) {
	args := ctx.Args
	filter, val := "", ""
	if len(args) != 2 {
		if len(args) != 5 || !strings.EqualFold(string(args[2]), "filterby") {
			ctx.Error(rediserr.Syntax)
			return
		}
		filter, val = strings.ToLower(string(args[3])), string(args[4])
		if filter != "module" && filter != "aclcat" && filter != "pattern" {
			ctx.Error(rediserr.Syntax)
			return
		}
	}
	var names []string
	match := func(sp *command.Spec) bool {
		switch filter {
		case "module":
			return false // no modules
		case "aclcat":
			for _, c := range aclCategories(sp) {
				if strings.EqualFold(c, val) {
					return true
				}
			}
			return false
		case "pattern":
			return glob.Match([]byte(val), []byte(sp.Name), true)
		}
		return true
	}
	for _, top := range s.implementedTop() {
		if match(top) {
			names = append(names, top.Name)
		}
		subs := make([]*command.Spec, 0, len(top.Subs))
		for _, sub := range top.Subs {
			if sub.Handler != nil && sub.Info(2) != "" {
				subs = append(subs, sub)
			}
		}
		sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
		for _, sub := range subs {
			if match(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	ctx.W.Array(len(names))
	for _, n := range names {
		ctx.W.BulkString(n)
	}
}

// aclCategories reads a command's ACL categories (without '@') from its
// generated COMMAND INFO reply: the 7th element, an array of +@cat.
func aclCategories(sp *command.Spec) []string {
	r := respScanner{s: sp.Info(2)}
	if !r.header('*') {
		return nil
	}
	r.skip() // name
	r.skip() // arity
	r.skip() // flags
	r.skip() // first
	r.skip() // last
	r.skip() // step
	n := r.count()
	out := make([]string, 0, n)
	for i := 0; i < n; i++ {
		line := r.line()
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(line, "+"), "@"))
	}
	return out
}

// respScanner walks a trusted, well-formed RESP2 reply.
type respScanner struct {
	s   string
	pos int
}

func (r *respScanner) line() string {
	i := strings.Index(r.s[r.pos:], "\r\n")
	if i < 0 {
		r.pos = len(r.s)
		return ""
	}
	l := r.s[r.pos : r.pos+i]
	r.pos += i + 2
	return l
}

func (r *respScanner) header(t byte) bool {
	l := r.line()
	return len(l) > 0 && l[0] == t
}

func (r *respScanner) count() int {
	l := r.line()
	n := 0
	for _, c := range l[1:] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// skip passes over one whole element.
func (r *respScanner) skip() {
	if r.pos >= len(r.s) {
		return
	}
	switch r.s[r.pos] {
	case '*', '%', '~':
		t := r.s[r.pos]
		n := r.count()
		if t == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			r.skip()
		}
	case '$':
		n := r.count()
		r.pos += n + 2
	default:
		r.line()
	}
}

// commandGetKeys is COMMAND GETKEYS / GETKEYSANDFLAGS <full command>.
func (s *Server) commandGetKeys(ctx *command.Ctx, withFlags bool) {
	cmdArgs := ctx.Args[2:]
	sp := s.table.Lookup(cmdArgs[0])
	if sp != nil && sp.Subs != nil {
		if len(cmdArgs) < 2 {
			sp = nil
		} else {
			sp = sp.LookupSub(cmdArgs)
		}
	}
	if sp == nil || sp.Info(2) == "" {
		ctx.Error(rediserr.InvalidCommand)
		return
	}
	if !hasKeys(sp) {
		ctx.Error(rediserr.NoKeyArguments)
		return
	}
	if !sp.CheckArity(len(cmdArgs)) {
		ctx.Error(rediserr.InvalidCommandArgs)
		return
	}
	type keyFlag struct {
		pos   int
		flags string
	}
	var keys []keyFlag
	if sp.GetKeys != nil {
		for i, p := range sp.KeyPositions(cmdArgs, nil) {
			fl := ""
			if len(sp.KeySpecs) > 0 {
				j := 0
				if sp.GetKeysSpec != nil {
					j = sp.GetKeysSpec(i)
				}
				fl = sp.KeySpecs[j].Flags
			}
			keys = append(keys, keyFlag{p, fl})
		}
	} else {
		for i := range sp.KeySpecs {
			one := command.Spec{KeySpecs: sp.KeySpecs[i : i+1]}
			for _, p := range one.KeyPositions(cmdArgs, nil) {
				keys = append(keys, keyFlag{p, sp.KeySpecs[i].Flags})
			}
		}
	}
	if len(keys) == 0 || keySpecsInvalid(sp, cmdArgs) {
		if sp.Has(command.FlagNoMandatoryKeys) {
			ctx.W.Array(0)
		} else {
			ctx.Error(rediserr.InvalidKeyArgs)
		}
		return
	}
	ctx.W.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			ctx.W.Bulk(cmdArgs[k.pos])
			continue
		}
		flags := variableKeyFlags(sp.Name, cmdArgs, k.flags)
		ctx.W.Array(2)
		ctx.W.Bulk(cmdArgs[k.pos])
		ctx.W.Set(len(flags))
		for _, f := range flags {
			ctx.W.Simple(f)
		}
	}
}

// keySpecsInvalid reports whether a key-count spec asks for more keys than
// the command has (or cannot read its count). Redis's getKeysUsingKeySpecs
// then gives up on the specs and the command reports no keys at all.
func keySpecsInvalid(sp *command.Spec, args [][]byte) bool {
	for _, ks := range sp.KeySpecs {
		if !ks.KeyNum || ks.BeginUnknown {
			continue
		}
		// Locate where the search begins with a one-key range spec.
		begin := ks
		begin.KeyNum, begin.LastKey, begin.KeyStep, begin.Limit = false, 0, 1, 0
		one := command.Spec{KeySpecs: []command.KeySpec{begin}}
		pos := one.KeyPositions(args, nil)
		if len(pos) == 0 {
			if ks.BeginKeyword != "" {
				continue // keyword absent: no keys from this spec, not an error
			}
			return true
		}
		ki := pos[0] + ks.KeyNumIdx
		if ki >= len(args) {
			return true
		}
		n, err := strconv.Atoi(string(args[ki]))
		if err != nil || n < 0 {
			return true
		}
		if n > 0 && ki+ks.FirstKey+(n-1)*ks.KeyStep >= len(args) {
			return true
		}
	}
	return false
}

// hasKeys is Redis's doesCommandHaveKeys: a key spec that is not NOT_KEY, or
// a key-extraction procedure.
func hasKeys(sp *command.Spec) bool {
	if sp.GetKeys != nil {
		return true
	}
	for _, ks := range sp.KeySpecs {
		if !strings.Contains(" "+ks.Flags+" ", " not_key ") {
			return true
		}
	}
	return false
}

// variableKeyFlags resolves the key flags of commands whose key spec says
// variable_flags (SET and BITFIELD), as their getkeys procedures do.
func variableKeyFlags(name string, args [][]byte, flags string) []string {
	f := strings.Fields(flags)
	if !strings.Contains(flags, "variable_flags") {
		return f
	}
	switch name {
	case "set":
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				return []string{"RW", "access", "update"}
			}
		}
		return []string{"OW", "update"}
	case "bitfield":
		readOnly := true
		for i := 2; i < len(args); i++ {
			switch strings.ToLower(string(args[i])) {
			case "get":
				i += 2
			case "set", "incrby":
				readOnly = false
				i += 3
			case "overflow":
				i++
			}
		}
		if readOnly {
			return []string{"RO", "access"}
		}
		return []string{"RW", "access", "update"}
	}
	out := f[:0:0]
	for _, x := range f {
		if x != "variable_flags" {
			out = append(out, x)
		}
	}
	return out
}

// ApplyRenames applies the config's rename-command lines to the command
// table, in file order, as Redis does while it reads the file. A bad line
// is a *config.FileError (the caller prints it and exits). Call it once,
// before Serve.
func (s *Server) ApplyRenames() error {
	for _, r := range s.cfg.RenameCommands {
		if err := s.table.Rename(r.Old, r.New); err != nil {
			return r.Fail(err.Error())
		}
	}
	return nil
}
