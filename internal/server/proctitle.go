package server

import (
	"os"
	"strconv"

	"github.com/shoal-db/shoal/internal/config"
	"github.com/shoal-db/shoal/internal/proctitle"
)

// applyProcTitle shows proc-title-template, expanded as Redis's
// redisSetProcTitle does, as the process title (ps, /proc/PID/cmdline).
// It runs with every settings change, under settingsMu; the title is only
// written when it changed. The listen address and ports are the
// configured ones, as Redis's are.
func (s *Server) applyProcTitle() {
	tmpl, _ := s.cfg.Value("proc-title-template")
	tlsPort, _ := s.cfg.Value("tls-port")
	s.cfg.RLock()
	port, bind, unix, cluster := s.cfg.Port, s.cfg.Bind, s.cfg.Unixsocket, s.cfg.ClusterEnabled
	s.cfg.RUnlock()
	title, ok := config.ExpandProcTitle(tmpl, func(name string) (string, bool) {
		switch name {
		case "title":
			if len(os.Args) > 0 {
				return os.Args[0], true
			}
			return "", true
		case "listen-addr":
			p := strconv.Itoa(port)
			if port == 0 {
				if tlsPort == "0" || tlsPort == "" {
					return "unixsocket:" + unix, true
				}
				p = tlsPort
			}
			addr := "*"
			if len(bind) > 0 {
				addr = bind[0]
			}
			return addr + ":" + p, true
		case "server-mode":
			if cluster {
				return "[cluster]", true
			}
			return "", true
		case "config-file":
			if f := s.cfg.File(); f != "" {
				return f, true
			}
			return "-", true
		case "port":
			return strconv.Itoa(port), true
		case "tls-port":
			return tlsPort, true
		case "unixsocket":
			return unix, true
		}
		return "", false
	})
	if ok && title != s.procTitle {
		s.procTitle = title
		proctitle.Set(title)
	}
}
