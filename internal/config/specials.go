package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Special directives: the ones with their own syntax (config.c's
// createSpecialConfig rows).
var specials = []*directive{
	{name: "dir", flags: protected | denyLoading, typ: tSpecial,
		initFn: func(c *Config) {}, setFn: setDir,
		getFn:     func(c *Config) string { return c.Dir },
		rewriteFn: func(c *Config, st *rewriteState) { st.stringOption("dir", c.Dir, false, "", false) }},
	{name: "save", flags: multiArg, typ: tSpecial,
		initFn: func(c *Config) { c.Save = []SavePoint{{3600, 1}, {300, 100}, {60, 10000}} },
		setFn:  setSave, getFn: getSave, rewriteFn: rewriteSave},
	{name: "client-output-buffer-limit", flags: multiArg, typ: tSpecial,
		initFn: func(c *Config) { c.ClientOutputBufferLimit = obufDefaults },
		setFn:  setObuf, getFn: getObuf, rewriteFn: rewriteObuf},
	{name: "oom-score-adj-values", flags: multiArg, typ: tSpecial,
		initFn: func(c *Config) { c.oomScoreAdjValues = oomDefaults },
		setFn:  setOOMValues, getFn: getOOMValues,
		rewriteFn: func(c *Config, st *rewriteState) {
			st.rewriteLine("oom-score-adj-values", "oom-score-adj-values "+getOOMValues(c), c.oomScoreAdjValues != oomDefaults)
		}},
	{name: "notify-keyspace-events", typ: tSpecial,
		initFn: func(c *Config) { c.nke = 0; c.NotifyKeyspaceEvents = "" },
		setFn:  setNKE, getFn: func(c *Config) string { return c.NotifyKeyspaceEvents },
		rewriteFn: func(c *Config, st *rewriteState) {
			st.rewriteLine("notify-keyspace-events", "notify-keyspace-events "+repr(c.NotifyKeyspaceEvents), c.nke != 0)
		}},
	{name: "bind", flags: multiArg, typ: tSpecial,
		initFn: func(c *Config) { c.Bind = []string{"*", "-::*"} },
		setFn:  setBind, getFn: func(c *Config) string { return strings.Join(c.Bind, " ") },
		rewriteFn: rewriteBind},
	{name: "replicaof", alias: "slaveof", flags: immutable | multiArg, typ: tSpecial,
		initFn: func(c *Config) { c.ReplicaOfHost, c.ReplicaOfPort = "", 0 },
		setFn:  setReplicaOf, getFn: getReplicaOf, rewriteFn: rewriteReplicaOf},
	{name: "latency-tracking-info-percentiles", flags: multiArg, typ: tSpecial,
		initFn: func(c *Config) { c.latencyPercentiles = []float64{50, 99, 99.9} },
		setFn:  setPercentiles, getFn: getPercentiles,
		rewriteFn: func(c *Config, st *rewriteState) {
			line := "latency-tracking-info-percentiles"
			if len(c.latencyPercentiles) == 0 {
				line += ` ""`
			} else {
				line += " " + getPercentiles(c)
			}
			st.rewriteLine("latency-tracking-info-percentiles", line, true)
		}},
}

var (
	obufDefaults = [3]ObufLimit{{0, 0, 0}, {256 << 20, 64 << 20, 60}, {32 << 20, 8 << 20, 60}}
	oomDefaults  = [3]int{0, 200, 800}
	obufNames    = [3]string{"normal", "slave", "pubsub"}
)

const wrongArgs = "wrong number of arguments"

func setDir(c *Config, args []string) string {
	if len(args) != 1 {
		return wrongArgs
	}
	p := args[0]
	if !filepath.IsAbs(p) {
		p = filepath.Join(c.Dir, p)
	}
	p = filepath.Clean(p)
	if c.fsChecks {
		fi, err := os.Stat(p)
		if err != nil {
			return strerror(err)
		}
		if !fi.IsDir() {
			return strerror(syscall.ENOTDIR)
		}
	}
	c.Dir = p
	return ""
}

// strerror renders an OS error as strerror(3) does ("No such file or directory").
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		err = errno
	}
	s := err.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

func setSave(c *Config, args []string) string {
	reset := false
	if len(args) == 1 && args[0] == "" {
		// A lone "" empties the list, even after earlier lines of a file
		// (Redis's resetServerSaveParams before the checks).
		args, reset = nil, true
	}
	if len(args)%2 != 0 {
		return "Invalid save parameters"
	}
	points := make([]SavePoint, 0, len(args)/2)
	for j := 0; j < len(args); j += 2 {
		sec, ok1 := strtoll(args[j], 10)
		ch, ok2 := strtoll(args[j+1], 10)
		if !ok1 || !ok2 || sec < 1 || ch < 0 {
			return "Invalid save parameters"
		}
		points = append(points, SavePoint{Seconds: sec, Changes: int(int32(ch))})
	}
	// In a file the defaults stay unless a save line appears; the first
	// one replaces them and later ones add to it (Redis's save_loaded).
	if c.inFile && c.saveSeen && !reset {
		c.Save = append(c.Save, points...)
	} else {
		c.Save = points
	}
	if c.inFile {
		c.saveSeen = true
	}
	return ""
}

func getSave(c *Config) string {
	parts := make([]string, len(c.Save))
	for i, p := range c.Save {
		parts[i] = fmt.Sprintf("%d %d", p.Seconds, p.Changes)
	}
	return strings.Join(parts, " ")
}

func rewriteSave(c *Config, st *rewriteState) {
	if len(c.Save) == 0 {
		st.rewriteLine("save", `save ""`, true)
	}
	for _, p := range c.Save {
		st.rewriteLine("save", fmt.Sprintf("save %d %d", p.Seconds, p.Changes), true)
	}
	st.markProcessed("save")
}

func obufClass(name string) int {
	switch strings.ToLower(name) {
	case "normal":
		return ObufNormal
	case "slave", "replica":
		return ObufReplica
	case "pubsub":
		return ObufPubsub
	}
	return -1
}

func setObuf(c *Config, args []string) string {
	if len(args)%4 != 0 {
		return "Wrong number of arguments in buffer limit configuration."
	}
	vals := c.ClientOutputBufferLimit
	for j := 0; j < len(args); j += 4 {
		class := obufClass(args[j])
		if class < 0 {
			return "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := memToUint(args[j+1])
		soft, ok2 := memToUint(args[j+2])
		secs, ok3 := strtoll(args[j+3], 10)
		if !ok1 || !ok2 || !ok3 || int32(secs) < 0 {
			return "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		vals[class] = ObufLimit{HardBytes: hard, SoftBytes: soft, SoftSeconds: int64(int32(secs))}
	}
	c.ClientOutputBufferLimit = vals
	return ""
}

func getObuf(c *Config) string {
	parts := make([]string, 3)
	for j, l := range c.ClientOutputBufferLimit {
		parts[j] = fmt.Sprintf("%s %d %d %d", obufNames[j], l.HardBytes, l.SoftBytes, l.SoftSeconds)
	}
	return strings.Join(parts, " ")
}

func rewriteObuf(c *Config, st *rewriteState) {
	for j, l := range c.ClientOutputBufferLimit {
		name := obufNames[j]
		if name == "slave" {
			name = "replica"
		}
		line := fmt.Sprintf("client-output-buffer-limit %s %s %s %d", name,
			formatMemory(int64(l.HardBytes)), formatMemory(int64(l.SoftBytes)), l.SoftSeconds)
		st.rewriteLine("client-output-buffer-limit", line, l != obufDefaults[j])
	}
}

func setOOMValues(c *Config, args []string) string {
	if len(args) != 3 {
		return wrongArgs
	}
	var vals [3]int
	for i, a := range args {
		v, ok := strtoll(a, 10)
		if !ok || v < -2000 || v > 2000 {
			return "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
		}
		vals[i] = int(v)
	}
	c.oomScoreAdjValues = vals
	return ""
}

func getOOMValues(c *Config) string {
	v := c.oomScoreAdjValues
	return fmt.Sprintf("%d %d %d", v[0], v[1], v[2])
}

// Keyspace notification classes, as in Redis's server.h.
const (
	nkeKeyspace = 1 << 0  // K
	nkeKeyevent = 1 << 1  // E
	nkeGeneric  = 1 << 2  // g
	nkeString   = 1 << 3  // $
	nkeList     = 1 << 4  // l
	nkeSet      = 1 << 5  // s
	nkeHash     = 1 << 6  // h
	nkeZset     = 1 << 7  // z
	nkeExpired  = 1 << 8  // x
	nkeEvicted  = 1 << 9  // e
	nkeStream   = 1 << 10 // t
	nkeKeyMiss  = 1 << 11 // m
	nkeModule   = 1 << 13 // d
	nkeNew      = 1 << 14 // n
	nkeAll      = nkeGeneric | nkeString | nkeList | nkeSet | nkeHash | nkeZset | nkeExpired | nkeEvicted | nkeStream | nkeModule
)

// NotifyFlags is notify-keyspace-events as Redis's NOTIFY_* bits (K = 1,
// E = 2, g = 4, … n = 1<<14); 0 when off. Read under the config's lock.
func (c *Config) NotifyFlags() int { return c.nke }

// LatencyPercentiles is latency-tracking-info-percentiles (a copy). Read
// under the config's lock.
func (c *Config) LatencyPercentiles() []float64 {
	return append([]float64(nil), c.latencyPercentiles...)
}

var nkeChars = []struct {
	c    byte
	flag int
}{{'g', nkeGeneric}, {'$', nkeString}, {'l', nkeList}, {'s', nkeSet}, {'h', nkeHash}, {'z', nkeZset},
	{'x', nkeExpired}, {'e', nkeEvicted}, {'t', nkeStream}, {'d', nkeModule}, {'n', nkeNew}}

func setNKE(c *Config, args []string) string {
	if len(args) != 1 {
		return wrongArgs
	}
	flags := 0
	for i := 0; i < len(args[0]); i++ {
		switch ch := args[0][i]; ch {
		case 'A':
			flags |= nkeAll
		case 'K':
			flags |= nkeKeyspace
		case 'E':
			flags |= nkeKeyevent
		case 'm':
			flags |= nkeKeyMiss
		case 'n':
			flags |= nkeNew
		default:
			found := false
			for _, nc := range nkeChars {
				if nc.c == ch {
					flags |= nc.flag
					found = true
				}
			}
			if !found {
				return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
			}
		}
	}
	c.nke = flags
	// As Redis 7.0's keyspaceEventsFlagsToString: n prints among the
	// classes A stands for (so not after an A), though A does not set it.
	var b strings.Builder
	if flags&nkeAll == nkeAll {
		b.WriteByte('A')
	} else {
		for _, nc := range nkeChars {
			if flags&nc.flag != 0 {
				b.WriteByte(nc.c)
			}
		}
	}
	for _, x := range []struct {
		c    byte
		flag int
	}{{'K', nkeKeyspace}, {'E', nkeKeyevent}, {'m', nkeKeyMiss}} {
		if flags&x.flag != 0 {
			b.WriteByte(x.c)
		}
	}
	c.NotifyKeyspaceEvents = b.String()
	return ""
}

func setBind(c *Config, args []string) string {
	if len(args) > 16 {
		return "Too many bind addresses specified."
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	c.Bind = append([]string{}, args...)
	return ""
}

func rewriteBind(c *Config, st *rewriteState) {
	if len(c.Bind) == 2 && c.Bind[0] == "*" && c.Bind[1] == "-::*" {
		st.markProcessed("bind")
		return
	}
	addrs := `""`
	if len(c.Bind) > 0 {
		addrs = strings.Join(c.Bind, " ")
	}
	st.rewriteLine("bind", "bind "+addrs, true)
}

func setReplicaOf(c *Config, args []string) string {
	if len(args) != 2 {
		return wrongArgs
	}
	c.ReplicaOfHost = ""
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return ""
	}
	port, ok := strtoll(args[1], 10)
	if !ok || port < 0 || port > 65535 {
		return "Invalid master port"
	}
	c.ReplicaOfHost, c.ReplicaOfPort = args[0], int(port)
	return ""
}

func getReplicaOf(c *Config) string {
	if c.ReplicaOfHost == "" {
		return ""
	}
	return fmt.Sprintf("%s %d", c.ReplicaOfHost, c.ReplicaOfPort)
}

func rewriteReplicaOf(c *Config, st *rewriteState) {
	if c.ClusterEnabled || c.ReplicaOfHost == "" {
		st.markProcessed("replicaof")
		return
	}
	st.rewriteLine("replicaof", fmt.Sprintf("replicaof %s %d", c.ReplicaOfHost, c.ReplicaOfPort), true)
}

func setPercentiles(c *Config, args []string) string {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	vals := make([]float64, 0, len(args))
	for _, a := range args {
		f, ok := string2d(a)
		if !ok {
			c.latencyPercentiles = nil
			return "Invalid latency-tracking-info-percentiles parameters"
		}
		if f > 100 || f < 0 {
			c.latencyPercentiles = nil
			return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		vals = append(vals, f)
	}
	c.latencyPercentiles = vals
	return ""
}

// string2d is Redis's strict strtod wrapper: no leading blank, no NaN, no
// trailing bytes.
func string2d(s string) (float64, bool) {
	if s == "" || isSpace(s[0]) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != f {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true // strtod returns ±HUGE_VAL and string2d accepts it
		}
		return 0, false
	}
	return f, true
}

func getPercentiles(c *Config) string {
	parts := make([]string, len(c.latencyPercentiles))
	for i, f := range c.latencyPercentiles {
		s := strconv.FormatFloat(f, 'f', 6, 64) // "%f" then trimDoubleString
		if strings.Contains(s, ".") {
			s = strings.TrimRight(s, "0")
			s = strings.TrimSuffix(s, ".")
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}

// Validators of string directives.

func pathIsBaseName(s string) bool { return !strings.ContainsAny(s, "/\\") }

func validDBFilename(s string) string {
	if !pathIsBaseName(s) {
		return "dbfilename can't be a path, just a filename"
	}
	return ""
}

func validAOFFilename(s string) string {
	if s == "" {
		return "appendfilename can't be empty"
	}
	if !pathIsBaseName(s) {
		return "appendfilename can't be a path, just a filename"
	}
	return ""
}

func validAOFDirname(s string) string {
	if s == "" {
		return "appenddirname can't be empty"
	}
	if !pathIsBaseName(s) {
		return "appenddirname can't be a path, just a dirname"
	}
	return ""
}

func validHostname(s string) string {
	if len(s) >= 256 {
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// validProcTitle checks a proc-title-template as validateProcTitleTemplate
// does: it expands (with an empty title) to something besides spaces.
func validProcTitle(s string) string {
	known := map[string]string{"title": "", "listen-addr": "*:0", "server-mode": "", "port": "0",
		"tls-port": "0", "unixsocket": "", "config-file": "-"}
	title, ok := ExpandProcTitle(s, func(name string) (string, bool) { v, ok := known[name]; return v, ok })
	if !ok || title == "" {
		return "template format is invalid or contains unknown variables"
	}
	return ""
}

// ExpandProcTitle expands a proc-title-template as Redis's sdstemplate
// does: {name} is value(name) and {{ a literal brace (a lone } is
// literal too); the result is trimmed of spaces. ok is false for an
// unknown name or a { without its }.
func ExpandProcTitle(tmpl string, value func(name string) (string, bool)) (title string, ok bool) {
	var out strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			out.WriteString(tmpl)
			break
		}
		out.WriteString(tmpl[:open])
		tmpl = tmpl[open+1:]
		if strings.HasPrefix(tmpl, "{") {
			out.WriteByte('{')
			tmpl = tmpl[1:]
			continue
		}
		end := strings.IndexByte(tmpl, '}')
		if end < 0 {
			return "", false
		}
		v, ok := value(tmpl[:end])
		if !ok {
			return "", false
		}
		out.WriteString(v)
		tmpl = tmpl[end+1:]
	}
	return strings.Trim(out.String(), " "), true
}

// strtollFull is strtoll with its overflow flag (ERANGE).
func strtollFull(s string, base int) (v int64, ok, overflow bool) {
	v, ok = strtoll(s, base)
	if ok && (v == 1<<63-1 || v == -1<<63) {
		t := strings.TrimLeft(s, " \t\n\v\f\r")
		_, err := strconv.ParseInt(t, base, 64)
		overflow = err != nil
	}
	return v, ok, overflow
}
