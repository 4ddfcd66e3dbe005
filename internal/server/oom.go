package server

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// oom-score-adj as Redis 7.0's setOOMScoreAdj: when on, the process's
// /proc/self/oom_score_adj is the oom-score-adj-values entry of its class
// (master, replica; a writer child gets the background-child one), added to
// the score the process had before Shoal first changed it when "relative"
// (yes), taken as is when "absolute", clamped to ±1000; turning it off puts
// that first score back. It is applied at start, on CONFIG SET, and when
// the node becomes a replica or a master.

const (
	oomMaster = iota
	oomReplica
	oomBgChild
)

const oomApplyError = "Failed to set current oom_score_adj. Check server logs."

type oomState struct {
	mu       sync.Mutex
	adjusted bool // the score is Shoal's; base is the one before
	base     int
}

// setOOMScoreAdj writes the score of class (-1: master or replica, as the
// node is) for pid (0: this process).
func (s *Server) setOOMScoreAdj(class, pid int) error {
	mode, _ := s.cfg.Value("oom-score-adj")
	vals, _ := s.cfg.Value("oom-score-adj-values")
	if class < 0 {
		class = oomMaster
		if s.isReplica() {
			class = oomReplica
		}
	}
	o := &s.oom
	o.mu.Lock()
	defer o.mu.Unlock()
	var val int
	switch {
	case mode != "no":
		if !o.adjusted {
			b, err := os.ReadFile("/proc/self/oom_score_adj")
			if err != nil {
				s.Logf('#', "Unable to read oom_score_adj: %s", strerror(err))
				return err
			}
			o.base, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			o.adjusted = true
		}
		if f := strings.Fields(vals); len(f) == 3 {
			val, _ = strconv.Atoi(f[class])
		}
		if mode != "absolute" {
			val += o.base
		}
		val = max(-1000, min(1000, val))
	case o.adjusted && pid == 0:
		o.adjusted = false
		val = o.base
	default:
		return nil
	}
	path := "/proc/self/oom_score_adj"
	if pid != 0 {
		path = "/proc/" + strconv.Itoa(pid) + "/oom_score_adj"
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err == nil {
		_, err = f.WriteString(strconv.Itoa(val) + "\n")
		f.Close()
	}
	if err != nil {
		s.Logf('#', "Unable to write oom_score_adj: %s", strerror(err))
	}
	return err
}

// applyOOM is CONFIG SET's step for oom-score-adj and its values: on
// failure the old values come back (and are applied) and Redis's reason is
// returned.
func (s *Server) applyOOM(old [][2]string) string {
	if s.setOOMScoreAdj(-1, 0) == nil {
		return ""
	}
	s.cfg.Set(old)
	s.setOOMScoreAdj(-1, 0)
	return oomApplyError
}
