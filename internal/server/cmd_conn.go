package server

import (
	"strings"

	"github.com/shoal-db/shoal/internal/acl"
	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// handle attaches a server-side handler (one that needs client state).
func (s *Server) handle(name string, h command.Handler) *command.Spec {
	return s.table.Handle(name, h)
}

func (s *Server) registerServerCommands() {
	s.registerConn()
	s.registerMulti()
	s.registerPubSub()
	s.registerShardPubSub()
	s.registerAdmin()
	s.initSave()
	s.registerCluster()
	s.registerBlocking()
	s.registerAOF()
	s.registerMigrate()
	s.registerScripting()
	s.registerACL()
	s.initReplication()
}

func (s *Server) clusterEnabled() bool {
	s.cfg.RLock()
	defer s.cfg.RUnlock()
	return s.cfg.ClusterEnabled
}

func (s *Server) registerConn() {
	s.handle("ping", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if len(ctx.Args) > 2 {
			ctx.Error(rediserr.WrongArity("ping"))
			return
		}
		if c.isPubSub() && ctx.W.Proto == 2 {
			ctx.W.Array(2)
			ctx.W.BulkString("pong")
			if len(ctx.Args) == 2 {
				ctx.W.Bulk(ctx.Args[1])
			} else {
				ctx.W.BulkString("")
			}
			return
		}
		if len(ctx.Args) == 2 {
			ctx.W.Bulk(ctx.Args[1])
			return
		}
		ctx.W.Simple("PONG")
	})
	s.handle("echo", func(ctx *command.Ctx) { ctx.W.Bulk(ctx.Args[1]) })
	s.handle("select", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		n, ok := rnum.ParseInt(ctx.Args[1])
		if !ok || n < -1<<31 || n > 1<<31-1 {
			ctx.Error(rediserr.NotInteger)
			return
		}
		if s.clusterEnabled() && n != 0 {
			ctx.Error(rediserr.SelectCluster)
			return
		}
		if n < 0 || n >= int64(s.ks.NumDBs()) {
			ctx.Error(rediserr.InvalidDBIndex)
			return
		}
		c.db = s.ks.DB(int(n))
		ctx.W.OK()
	})
	s.handle("quit", func(ctx *command.Ctx) {
		ctx.W.OK()
		ctx.Client.(*client).closeAfterReply = true
	})
	s.handle("reset", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		s.track.disable(c) // CLIENT TRACKING off, as clearClientConnectionState
		c.discardMulti()
		s.pubsub.unsubscribeAll(c)
		c.db = s.ks.DB(0)
		c.w.Proto = 2
		c.replyOff, c.replySkip = false, false
		c.user.Store(s.acl.Default())
		c.authed = !s.acl.AuthRequired()
		c.metaMu.Lock()
		c.name = ""
		c.metaMu.Unlock()
		ctx.W.Simple("RESET")
	})
	s.handle("auth", func(ctx *command.Ctx) {
		c := ctx.Client.(*client)
		if len(ctx.Args) > 3 {
			ctx.Error(rediserr.Syntax)
			return
		}
		user, pass := "default", ctx.Args[len(ctx.Args)-1]
		if len(ctx.Args) == 3 {
			user = string(ctx.Args[1])
		}
		if len(ctx.Args) == 2 && s.acl.Default().Perms().Flags&acl.FlagNoPass != 0 {
			ctx.Error(rediserr.AuthNotSet)
			return
		}
		if !c.authenticate(user, pass, ctx.Args) {
			ctx.Error(rediserr.WrongPass)
			return
		}
		ctx.W.OK()
	})
	s.handle("hello", s.hello)
}

func (s *Server) hello(ctx *command.Ctx) {
	c := ctx.Client.(*client)
	args := ctx.Args
	proto := c.w.Proto
	if len(args) >= 2 {
		v, ok := rnum.ParseInt(args[1])
		if !ok {
			ctx.Error(rediserr.ProtoVersion)
			return
		}
		if v < 2 || v > 3 {
			ctx.Error(rediserr.NoProto)
			return
		}
		proto = int(v)
	}
	var setName []byte
	authOK := c.authed
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "auth" && more >= 2:
			if !c.authenticate(string(args[i+1]), args[i+2], args) {
				ctx.Error(rediserr.WrongPass)
				return
			}
			authOK = true
			i += 2
		case opt == "setname" && more >= 1:
			setName = args[i+1]
			i++
		default:
			ctx.Error(rediserr.HelloOption(string(args[i])))
			return
		}
	}
	if !authOK {
		ctx.Error(rediserr.HelloNoAuth)
		return
	}
	if setName != nil {
		if msg := validClientName(setName); msg != "" {
			ctx.Error(msg)
			return
		}
	}
	c.authed = true
	if setName != nil {
		c.metaMu.Lock()
		c.name = string(setName)
		c.metaMu.Unlock()
	}
	c.w.Proto = proto
	w := ctx.W
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(Version)
	w.BulkString("proto")
	w.Int(int64(proto))
	w.BulkString("id")
	w.Int(c.id)
	w.BulkString("mode")
	if s.clusterEnabled() {
		w.BulkString("cluster")
	} else {
		w.BulkString("standalone")
	}
	w.BulkString("role")
	w.BulkString("master")
	w.BulkString("modules")
	w.Array(0)
}

// validClientName returns Redis's error for a name with spaces or special characters.
func validClientName(name []byte) string {
	for _, b := range name {
		if b < '!' || b > '~' {
			return rediserr.ClientNameChars
		}
	}
	return ""
}
