package server

import (
	"strings"

	"github.com/shoal-db/shoal/internal/command"
	"github.com/shoal-db/shoal/internal/rediserr"
)

func (s *Server) registerAdmin() {
	flush := func(all bool) command.Handler {
		return func(ctx *command.Ctx) {
			if len(ctx.Args) > 2 || (len(ctx.Args) == 2 && !strings.EqualFold(string(ctx.Args[1]), "async") && !strings.EqualFold(string(ctx.Args[1]), "sync")) {
				ctx.Error(rediserr.Syntax)
				return
			}
			if all {
				for i := 0; i < s.ks.NumDBs(); i++ {
					ctx.Dirty += int(s.ks.DB(i).Flush())
				}
			} else {
				ctx.Dirty += int(ctx.DB.Flush())
			}
			ctx.Dirty++
			ctx.W.OK()
		}
	}
	s.handle("flushdb", flush(false)).LockAll = true
	s.handle("flushall", flush(true)).LockAll = true
	s.handle("dbsize", func(ctx *command.Ctx) { ctx.W.Int(ctx.DB.Len()) })
}
