package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shoal-db/shoal/internal/acl"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/persist"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// ACL (acl.c): the server's side of internal/acl — the users registry,
// the permission check in the dispatcher, the ACL command, and closing
// the connections of users that were removed.

// initACL makes the registry; New calls it before the first settings.
func (s *Server) initACL() {
	s.acl = acl.NewRegistry(acl.NewCatalog(s.table))
	// Sessions (AOF loading) run as Redis's fake clients with no user:
	// a user that may do anything, not in the registry.
	s.aclSuper = acl.NewSuperuser(s.acl.Cat)
}

// applyACLSettings carries the ACL directives of a new settings value
// into the registry: requirepass when it changed (it is the default
// user's password), acl-pubsub-default, acllog-max-len.
func (s *Server) applyACLSettings(old, n *settings) {
	if old == nil || old.requirepass != n.requirepass {
		if old != nil || n.requirepass != "" {
			s.acl.SetDefaultPassword(n.requirepass)
		}
	}
	s.acl.SetPubsubDefault(n.aclPubsubAll)
	s.acl.Log.SetMax(int(n.acllogMax))
}

// LoadACL loads the users of redis.conf's `user` lines, or of the aclfile
// (ACLLoadUsersAtStartup). Both at once is refused, as Redis refuses it.
func (s *Server) LoadACL() error {
	s.cfg.RLock()
	users, file := s.cfg.Users, s.cfg.Aclfile
	s.cfg.RUnlock()
	if file != "" && len(users) > 0 {
		return fmt.Errorf("Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.")
	}
	if err := s.acl.LoadConfigUsers(users); err != nil {
		return fmt.Errorf("%v\nCritical error while loading ACLs. Exiting.", err)
	}
	if file != "" {
		if _, err := s.loadACLFile(file); err != nil {
			return fmt.Errorf("Aborting Redis startup because of ACL errors: %v", err)
		}
	}
	s.syncConfigUsers()
	return nil
}

func (s *Server) loadACLFile(file string) ([]*acl.User, error) {
	data, err := os.ReadFile(s.aclPath(file))
	if err != nil {
		return nil, fmt.Errorf("Error loading ACLs, opening file '%s': %s", file, strerrorOf(err))
	}
	return s.acl.LoadFile(file, string(data))
}

func (s *Server) aclPath(file string) string {
	if filepath.IsAbs(file) {
		return file
	}
	s.cfg.RLock()
	dir := s.cfg.Dir
	s.cfg.RUnlock()
	return filepath.Join(dir, file)
}

// strerrorOf is the C strerror text of a file error.
func strerrorOf(err error) string {
	switch {
	case os.IsNotExist(err):
		return "No such file or directory"
	case os.IsPermission(err):
		return "Permission denied"
	}
	return err.Error()
}

// syncConfigUsers keeps the config's `user` lines equal to the registry,
// so CONFIG REWRITE writes the users in force (Redis rewrites them from
// its ACL unless an aclfile holds them).
func (s *Server) syncConfigUsers() {
	var lines [][]string
	for _, u := range s.acl.Users() {
		lines = append(lines, append([]string{u.Name}, strings.Fields(u.Perms().Describe(s.acl.Cat))...))
	}
	s.cfg.Lock()
	s.cfg.Users = lines
	s.cfg.Unlock()
}

// aclCheck is the dispatcher's permission check, after the auth check,
// for a user p without every permission (execute tests Perms.All inline).
func (c *client) aclCheck(p *acl.Perms, spec *command.Spec, args [][]byte) bool {
	r, idx := p.Check(c.srv.acl.Cat, spec, args, &c.aclSc)
	if r == acl.OK {
		return true
	}
	ctx := "toplevel"
	if c.inMulti {
		ctx = "multi"
	}
	c.aclLog(spec, args, r, idx, ctx)
	switch r {
	case acl.DeniedCmd:
		c.rejectCmd(spec, rediserr.NoPermCommand(spec.Name))
	case acl.DeniedKey:
		c.rejectCmd(spec, rediserr.NoPermKeys)
	default:
		c.rejectCmd(spec, rediserr.NoPermChannels)
	}
	return false
}

// aclRecheck checks a command run outside the dispatcher (EXEC's queue,
// a script's call) and logs a refusal under context; it returns acl.OK or
// the denial.
func (c *client) aclRecheck(spec *command.Spec, args [][]byte, context string) int {
	p := c.user.Load().Perms()
	if p.All {
		return acl.OK
	}
	r, idx := p.Check(c.srv.acl.Cat, spec, args, &c.aclSc)
	if r != acl.OK {
		c.aclLog(spec, args, r, idx, context)
	}
	return r
}

// aclExecCheck checks a queued command again at EXEC (the rules may have
// changed since it was queued); it returns the error to reply, or "".
func (c *client) aclExecCheck(spec *command.Spec, args [][]byte) string {
	reason := "no permission to execute the command or subcommand"
	switch c.aclRecheck(spec, args, "multi") {
	case acl.OK:
		return ""
	case acl.DeniedKey:
		reason = "no permission to touch the specified keys"
	case acl.DeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	}
	return rediserr.NoPermAtExec(reason)
}

// aclScriptCheck checks a command a script calls; it returns the error
// the script sees, or "".
func (c *client) aclScriptCheck(spec *command.Spec, args [][]byte) string {
	msg := "can't run this command or subcommand"
	switch c.aclRecheck(spec, args, "lua") {
	case acl.OK:
		return ""
	case acl.DeniedKey:
		msg = "can't access at least one of the keys mentioned in the command arguments"
	case acl.DeniedChannel:
		msg = "can't publish to the channel mentioned in the command"
	}
	return "The user executing the script " + msg
}

// aclLog adds an ACL LOG entry for a refused command.
func (c *client) aclLog(spec *command.Spec, args [][]byte, r, idx int, context string) {
	obj := spec.Name
	if r == acl.DeniedKey || r == acl.DeniedChannel {
		obj = string(args[idx])
	}
	shown := spec
	if context == "lua" {
		shown = c.ctx.Cmd
	}
	info := c.logClientInfo(shown, args)
	c.srv.acl.Log.Add(acl.LogEntry{Reason: r, Context: context, Object: obj,
		Username: c.user.Load().Name, CtimeMs: time.Now().UnixMilli(), ClientInfo: info})
}

// logClientInfo is the client info of an ACL LOG entry: its cmd= is
// Redis's c->lastcmd — the command refused at the top level, EXEC for a
// command EXEC runs, the script's caller's command from a script.
func (c *client) logClientInfo(shown *command.Spec, args [][]byte) string {
	if c.inExec {
		shown = c.srv.table.Get("exec")
	}
	prev := c.ctx.Cmd
	c.ctx.Cmd = shown
	info := c.infoLine(true, args)
	c.ctx.Cmd = prev
	return info
}

// authenticate is AUTH's and HELLO AUTH's check (ACLAuthenticateUser):
// on success the connection becomes the user; on failure an auth entry
// goes to the ACL LOG.
func (c *client) authenticate(user string, pass []byte, args [][]byte) bool {
	u := c.srv.acl.Authenticate(user, pass)
	if u == nil {
		ctx := "toplevel"
		if c.inMulti || c.inExec {
			ctx = "multi"
		}
		c.srv.acl.Log.Add(acl.LogEntry{Reason: acl.DeniedAuth, Context: ctx, Object: string(args[0]),
			Username: user, CtimeMs: time.Now().UnixMilli(), ClientInfo: c.logClientInfo(c.ctx.Cmd, args)})
		return false
	}
	c.user.Store(u)
	c.authed = true
	return true
}

// killUserClients closes the connections logged in as removed users
// (ACLFreeUserAndKillClients); self is closed after its reply.
func (s *Server) killUserClients(self *client, gone []*acl.User) {
	if len(gone) == 0 {
		return
	}
	dead := make(map[*acl.User]bool, len(gone))
	for _, u := range gone {
		dead[u] = true
	}
	for _, c := range s.snapshotClients() {
		if c.isMaster || !dead[c.user.Load()] {
			continue
		}
		if c == self {
			self.user.Store(s.acl.Default())
			self.authed = false
			self.closeAfterReply = true
			continue
		}
		c.kill()
	}
}

// killRevokedSubscribers closes the Pub/Sub connections of u whose
// channels the new rules no longer allow (ACLKillPubsubClientsIfNeeded).
func (s *Server) killRevokedSubscribers(self *client, u *acl.User, old *acl.Perms) {
	p := u.Perms()
	if !p.ChannelsNarrowed(old) {
		return
	}
	h := s.pubsub
	victims := map[*client]bool{}
	h.mu.RLock()
	scan := func(m map[string]map[*client]struct{}, pattern bool) {
		for name, subs := range m {
			for c := range subs {
				if c.user.Load() == u && !victims[c] && !p.ChannelListed(name, pattern) {
					victims[c] = true
				}
			}
		}
	}
	scan(h.channels, false)
	scan(h.shard, false)
	scan(h.patterns, true)
	h.mu.RUnlock()
	for c := range victims {
		if c == self {
			self.closeAfterReply = true
			continue
		}
		c.kill()
	}
}

var aclHelp = []string{
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
}

func (s *Server) registerACL() {
	reg := s.acl
	s.handle("acl|help", func(ctx *command.Ctx) { writeHelp(ctx.W, "acl", aclHelp) })
	s.handle("acl|setuser", func(ctx *command.Ctx) {
		rules := make([]string, 0, len(ctx.Args)-3)
		for _, a := range ctx.Args[3:] {
			rules = append(rules, string(a))
		}
		u, old, err := reg.SetUser(string(ctx.Args[2]), rules)
		if err != nil {
			ctx.Error("ERR " + err.Error())
			return
		}
		if old != nil {
			s.killRevokedSubscribers(ctx.Client.(*client), u, old)
		}
		s.syncConfigUsers()
		ctx.W.OK()
	})
	s.handle("acl|deluser", func(ctx *command.Ctx) {
		names := make([]string, 0, len(ctx.Args)-2)
		for _, a := range ctx.Args[2:] {
			names = append(names, string(a))
		}
		gone, err := reg.DelUsers(names)
		if err != nil {
			ctx.Error("ERR " + err.Error())
			return
		}
		s.killUserClients(ctx.Client.(*client), gone)
		s.syncConfigUsers()
		ctx.W.Int(int64(len(gone)))
	})
	s.handle("acl|getuser", func(ctx *command.Ctx) {
		u := reg.Get(string(ctx.Args[2]))
		if u == nil {
			ctx.W.Null()
			return
		}
		p := u.Perms()
		w := ctx.W
		w.Map(6)
		w.BulkString("flags")
		flags := p.FlagNames()
		w.Set(len(flags))
		for _, f := range flags {
			w.BulkString(f)
		}
		w.BulkString("passwords")
		w.Array(len(p.Passwords))
		for _, h := range p.Passwords {
			w.BulkString(h)
		}
		writeSelector := func(sel *acl.Selector) {
			w.BulkString("commands")
			w.BulkString(sel.CommandRules(reg.Cat))
			w.BulkString("keys")
			w.BulkString(sel.KeysRule())
			w.BulkString("channels")
			w.BulkString(sel.ChannelsRule())
		}
		writeSelector(p.RootSelector())
		w.BulkString("selectors")
		extra := p.ExtraSelectors()
		w.Array(len(extra))
		for _, sel := range extra {
			w.Map(3)
			writeSelector(sel)
		}
	})
	s.handle("acl|users", func(ctx *command.Ctx) {
		users := reg.Users()
		ctx.W.Array(len(users))
		for _, u := range users {
			ctx.W.BulkString(u.Name)
		}
	})
	s.handle("acl|list", func(ctx *command.Ctx) {
		users := reg.Users()
		ctx.W.Array(len(users))
		for _, u := range users {
			ctx.W.BulkString(u.Line(reg.Cat))
		}
	})
	s.handle("acl|whoami", func(ctx *command.Ctx) {
		ctx.W.BulkString(ctx.Client.(*client).user.Load().Name)
	})
	s.handle("acl|cat", func(ctx *command.Ctx) {
		if len(ctx.Args) == 2 {
			ctx.W.Array(len(acl.Categories))
			for _, c := range acl.Categories {
				ctx.W.BulkString(c)
			}
			return
		}
		if len(ctx.Args) != 3 {
			ctx.Error(rediserr.SubcommandSyntax(string(ctx.Args[1]), "ACL"))
			return
		}
		names, ok := reg.Cat.InCategory(string(ctx.Args[2]))
		if !ok {
			ctx.Error(rediserr.ACLUnknownCategory(string(ctx.Args[2])))
			return
		}
		ctx.W.Array(len(names))
		for _, n := range names {
			ctx.W.BulkString(n)
		}
	})
	s.handle("acl|genpass", func(ctx *command.Ctx) {
		bits := int64(256)
		if len(ctx.Args) > 3 {
			ctx.Error(rediserr.SubcommandSyntax(string(ctx.Args[1]), "ACL"))
			return
		}
		if len(ctx.Args) == 3 {
			n, ok := rnum.ParseInt(ctx.Args[2])
			if !ok {
				ctx.Error(rediserr.NotInteger)
				return
			}
			bits = n
		}
		if bits <= 0 || bits > 4096 {
			ctx.Error(rediserr.ACLGenpassBits)
			return
		}
		chars := (bits + 3) / 4
		buf := make([]byte, (chars+1)/2)
		_, _ = rand.Read(buf)
		ctx.W.BulkString(hex.EncodeToString(buf)[:chars])
	})
	s.handle("acl|log", func(ctx *command.Ctx) {
		count := int64(10)
		if len(ctx.Args) > 3 {
			ctx.Error(rediserr.SubcommandSyntax(string(ctx.Args[1]), "ACL"))
			return
		}
		if len(ctx.Args) == 3 {
			if strings.EqualFold(string(ctx.Args[2]), "reset") {
				reg.Log.Reset()
				ctx.W.OK()
				return
			}
			n, ok := rnum.ParseInt(ctx.Args[2])
			if !ok {
				ctx.Error(rediserr.NotInteger)
				return
			}
			count = max(n, 0)
		}
		entries := reg.Log.Newest(int(min(count, 1<<30)))
		now := time.Now().UnixMilli()
		w := ctx.W
		w.Array(len(entries))
		for _, e := range entries {
			w.Map(7)
			w.BulkString("count")
			w.Int(e.Count)
			w.BulkString("reason")
			w.BulkString(acl.ReasonName(e.Reason))
			w.BulkString("context")
			w.BulkString(e.Context)
			w.BulkString("object")
			w.BulkString(e.Object)
			w.BulkString("username")
			w.BulkString(e.Username)
			w.BulkString("age-seconds")
			w.Double(float64(now-e.CtimeMs) / 1000)
			w.BulkString("client-info")
			w.BulkString(e.ClientInfo)
		}
	})
	s.handle("acl|load", func(ctx *command.Ctx) {
		s.cfg.RLock()
		file := s.cfg.Aclfile
		s.cfg.RUnlock()
		if file == "" {
			ctx.Error(rediserr.NoACLFile)
			return
		}
		gone, err := s.loadACLFile(file)
		if err != nil {
			ctx.Error("ERR " + err.Error())
			return
		}
		s.killUserClients(ctx.Client.(*client), gone)
		s.syncConfigUsers()
		ctx.W.OK()
	})
	s.handle("acl|save", func(ctx *command.Ctx) {
		s.cfg.RLock()
		file := s.cfg.Aclfile
		s.cfg.RUnlock()
		if file == "" {
			ctx.Error(rediserr.NoACLFile)
			return
		}
		if err := writeACLFile(s.aclPath(file), reg.FileText()); err != nil {
			s.Logf('#', "Writing ACL file for ACL SAVE: %v", err)
			ctx.Error(rediserr.ACLSaveFailed)
			return
		}
		ctx.W.OK()
	})
	s.handle("acl|dryrun", func(ctx *command.Ctx) {
		u := reg.Get(string(ctx.Args[2]))
		if u == nil {
			ctx.Error(rediserr.ACLUserNotFound(string(ctx.Args[2])))
			return
		}
		args := ctx.Args[3:]
		spec := s.table.Lookup(args[0])
		if spec != nil && spec.Subs != nil && len(args) >= 2 {
			spec = spec.LookupSub(args)
		}
		if spec == nil {
			ctx.Error(rediserr.ACLCommandNotFound(string(args[0])))
			return
		}
		if !spec.CheckArity(len(args)) {
			ctx.Error(rediserr.WrongArity(spec.Name))
			return
		}
		var sc acl.Scratch
		r, idx := u.Perms().Check(reg.Cat, spec, args, &sc)
		switch r {
		case acl.OK:
			ctx.W.OK()
		case acl.DeniedCmd:
			ctx.W.BulkString("This user has no permissions to run the '" + spec.Name + "' command")
		case acl.DeniedKey:
			ctx.W.BulkString("This user has no permissions to access the '" + string(args[idx]) + "' key")
		default:
			ctx.W.BulkString("This user has no permissions to access the '" + string(args[idx]) + "' channel")
		}
	})
}

// writeACLFile replaces the aclfile atomically (ACLSaveToFile).
func writeACLFile(path, text string) error {
	f, err := persist.CreateAtomic(path, fmt.Sprintf("%s.tmp-%d-%d", filepath.Base(path), os.Getpid(), time.Now().UnixMilli()))
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Abort()
		return err
	}
	return f.Commit()
}
