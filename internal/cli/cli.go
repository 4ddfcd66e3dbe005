package cli

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/clustermgr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/tlsconf"
	"golang.org/x/term"
)

// Env names redis-cli reads, which shoal-cli honours too.
const (
	envAuth       = "REDISCLI_AUTH"
	envClusterYes = "REDISCLI_CLUSTER_YES"
	envHistFile   = "REDISCLI_HISTFILE"
	envRCFile     = "REDISCLI_RCFILE"
)

// session is the client's state: redis-cli's config and context globals.
type session struct {
	cfg         *Config
	conn        *client.Conn
	out         *bufio.Writer
	errOut      io.Writer
	stdin       io.Reader
	dbnum       int
	inMulti     bool
	preMultiDB  int
	interactive bool
	reissue     bool
	sendAsking  bool
	lastKind    resp.Kind
	prompt      string
	resp3       bool
	monitor     bool
	pubsub      bool
	shutdown    bool
	connErr     string // why the last connect failed (hiredis errstr)
	help        []helpEntry
	helpLoaded  bool
	noHints     bool // ":set nohints"
	lr          lineReader
	ed          *lineEditor // lr on a terminal
	hist        string      // history file, "" for none

	// The Lua debugger (--ldb, or SCRIPT DEBUG then EVAL by hand).
	ldb, ldbEnd, ldbOnEval, ldbRestart bool
}

// exitCode ends Run with a code (used to unwind from deep inside a mode).
type exitCode int

// Run is shoal-cli's main: argv without the program name; it returns the
// process exit code.
func Run(argv []string) (code int) {
	stdoutTTY := term.IsTerminal(int(os.Stdout.Fd()))
	cfg, first, err := ParseArgs(argv, stdoutTTY)
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.out != "" {
				os.Stdout.WriteString(ee.out)
			}
			if ee.msg != "" {
				os.Stderr.WriteString(ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	args := argv[first:]
	if a := os.Getenv(envAuth); a != "" && !cfg.AuthSet {
		cfg.Auth, cfg.AuthSet = a, true
	}
	if os.Getenv(envClusterYes) == "1" {
		cfg.Manager.Yes = true
	}
	s := &session{cfg: cfg, out: bufio.NewWriterSize(os.Stdout, 64<<10), errOut: os.Stderr, stdin: os.Stdin}
	defer s.out.Flush()
	defer func() {
		if r := recover(); r != nil {
			if c, ok := r.(exitCode); ok {
				code = int(c)
				return
			}
			panic(r)
		}
	}()
	if cfg.AskPass {
		cfg.Auth, cfg.AuthSet = askPassword("Please input password: "), true
	}
	if cfg.Manager.FromAskPass {
		cfg.Manager.FromPass = askPassword("Please input import source node password: ")
	}
	if len(cfg.ClusterLocal) > 0 || cfg.ClusterLocal != nil {
		return runLocal(cfg.ClusterLocal)
	}
	if cfg.MgrName != "" {
		o := cfg.Manager
		o.User, o.Password, o.AuthSet = cfg.User, cfg.Auth, cfg.AuthSet
		o.Verbose = cfg.Verbose
		o.Color = strings.Contains(os.Getenv("TERM"), "xterm")
		o.Progress = stdoutTTY && os.Getenv("FAKETTY") == ""
		o.ReplicaLag = o.ReplicaLag || o.Progress
		margs := cfg.MgrArgs
		if cfg.StdinLast {
			margs = append(margs, string(readAllStdin()))
		}
		if cfg.TLS {
			tc, err := tlsconf.CLIConfig(cfg.TLSOpts)
			if err != nil {
				fmt.Fprintf(os.Stderr, "TLS Error: %s\n", err)
				return 1
			}
			o.TLS = tc
		}
		clustermgr.FormatRaw = func(v client.Value) string { return FormatRaw(v, "\n") }
		return clustermgr.Run(cfg.MgrName, margs, o)
	}
	s.refreshPrompt()
	switch {
	case cfg.Latency:
		s.mustConnect()
		s.latencyMode()
	case cfg.LatencyDist:
		s.mustConnect()
		s.latencyDistMode()
	case cfg.Replica:
		s.mustConnect()
		s.sendReplconf("capa", "eof")
		s.sendReplconf("rdb-filter-only", "")
		return s.replicaMode()
	case cfg.GetRDB || cfg.FunctionsRDB:
		s.mustConnect()
		s.sendReplconf("capa", "eof")
		s.sendReplconf("rdb-only", "1")
		if cfg.FunctionsRDB && !s.sendReplconf("rdb-filter-only", "functions") {
			s.stderr("Failed requesting functions only RDB from server, aborting\n")
			return 1
		}
		s.out.Flush()
		return clustermgr.GetRDB(s.conn, cfg.RDBFile, os.Stdout, os.Stderr)
	case cfg.Pipe:
		s.mustConnect()
		return s.pipeMode()
	case cfg.BigKeys, cfg.MemKeys:
		s.mustConnect()
		return s.findBigKeys(cfg.MemKeys, cfg.MemKeysSamples)
	case cfg.HotKeys:
		s.mustConnect()
		return s.hotKeysMode()
	case cfg.Stat:
		s.mustConnect()
		if cfg.Interval == 0 {
			cfg.Interval = 1
		}
		return s.statMode()
	case cfg.Scan:
		s.mustConnect()
		return s.scanMode()
	case cfg.LRUTest:
		s.mustConnect()
		return s.lruTestMode()
	case cfg.IntrinsicLatencyOn:
		return s.intrinsicLatency()
	}
	if len(args) == 0 && cfg.Eval == "" {
		s.connect(false, false)
		return s.repl()
	}
	if cfg.Eval != "" {
		if !s.connect(false, false) {
			return 1
		}
		return s.evalMode(args)
	}
	s.connect(false, true)
	return s.noninteractive(args)
}

func askPassword(msg string) string {
	fmt.Fprint(os.Stdout, msg)
	fd := int(os.Stdin.Fd())
	if term.IsTerminal(fd) {
		b, _ := term.ReadPassword(fd)
		fmt.Fprintln(os.Stdout)
		return string(b)
	}
	line, _ := bufio.NewReader(os.Stdin).ReadString('\n')
	return strings.TrimRight(line, "\r\n")
}

func readAllStdin() []byte {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "Reading from standard input: %v\n", err)
		panic(exitCode(1))
	}
	return b
}

func (s *session) fail(code int) { s.out.Flush(); panic(exitCode(code)) }

func (s *session) stderr(format string, a ...any) {
	s.out.Flush()
	fmt.Fprintf(s.errOut, format, a...)
}

// refreshPrompt is cliRefreshPrompt.
func (s *session) refreshPrompt() {
	if s.ldb {
		return // "lua debugger> " stays
	}
	var p string
	if s.cfg.Socket != "" {
		p = "redis " + s.cfg.Socket
	} else {
		p = s.addr()
	}
	if s.dbnum != 0 {
		p += "[" + strconv.Itoa(s.dbnum) + "]"
	}
	if s.inMulti {
		p += "(TX)"
	}
	s.prompt = p + "> "
}

func (s *session) addr() string {
	if strings.Contains(s.cfg.Host, ":") {
		return "[" + s.cfg.Host + "]:" + strconv.Itoa(s.cfg.Port)
	}
	return s.cfg.Host + ":" + strconv.Itoa(s.cfg.Port)
}

func (s *session) mustConnect() {
	if !s.connect(false, false) {
		s.fail(1)
	}
}

// connect is cliConnect.
func (s *session) connect(force, quiet bool) bool {
	if s.conn != nil && !force {
		return true
	}
	if s.conn != nil {
		s.conn.Close()
		s.conn = nil
		s.dbnum = 0
		s.inMulti = false
		s.refreshPrompt()
	}
	useSocket := s.cfg.Socket != "" && !(s.cfg.Cluster && s.reissue)
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	shown := s.cfg.Host + ":" + strconv.Itoa(s.cfg.Port)
	if useSocket {
		addr, shown = s.cfg.Socket, s.cfg.Socket
	}
	var tc *tls.Config
	if s.cfg.TLS && !useSocket {
		var err error
		if tc, err = tlsconf.CLIConfig(s.cfg.TLSOpts); err != nil {
			s.stderr("Could not negotiate a TLS connection: %s\n", err)
			return false
		}
	}
	c, err := client.DialTLS(addr, 0, tc)
	if err != nil {
		s.connErr = clustermgr.ConnErrText(err)
		if !quiet {
			s.stderr("Could not connect to Redis at %s: %s\n", shown, s.connErr)
		}
		return false
	}
	s.conn = c
	if s.cfg.AuthSet {
		var v client.Value
		var err error
		if s.cfg.User == "" {
			v, err = c.Do("AUTH", s.cfg.Auth)
		} else {
			v, err = c.Do("AUTH", s.cfg.User, s.cfg.Auth)
		}
		if err != nil {
			s.stderr("\nI/O error\n")
			return false
		}
		if v.IsError() {
			s.stderr("AUTH failed: %s\n", v.Str)
			return false
		}
	}
	if s.cfg.DB != s.dbnum {
		v, err := c.Do("SELECT", strconv.Itoa(s.cfg.DB))
		if err != nil {
			s.stderr("\nI/O error\n")
			return false
		}
		if v.IsError() {
			s.stderr("SELECT %d failed: %s\n", s.cfg.DB, v.Str)
			return false
		}
		s.dbnum = s.cfg.DB
		s.refreshPrompt()
	}
	if s.cfg.RESP3 != 0 && !s.cfg.RESP2 {
		v, err := c.Do("HELLO", "3")
		if err != nil {
			s.stderr("\nI/O error\n")
			return false
		}
		if v.IsError() {
			s.stderr("HELLO 3 failed: %s\n", v.Str)
			if s.cfg.RESP3 == 1 {
				return false
			}
		} else {
			s.resp3 = true
		}
	}
	return true
}

// printContextError is cliPrintContextError.
func (s *session) printContextError(err error) {
	if s.conn == nil {
		return
	}
	s.stderr("Error: %s\n", ioErrText(err))
}

func ioErrText(err error) string {
	var op *net.OpError
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &op) && op.Op == "remote error" {
		// A TLS alert (the server refused our certificate after the
		// handshake, TLS 1.3) reads as a closed connection in redis-cli.
		return "Server closed the connection"
	}
	return clustermgr.ConnErrText(err)
}

// outputRawCommand reports whether redis-cli prints the command's reply
// verbatim (INFO, CLUSTER NODES...).
func outputRawCommand(argv []string) bool {
	c := strings.ToLower(argv[0])
	sub := ""
	if len(argv) >= 2 {
		sub = strings.ToLower(argv[1])
	}
	n := len(argv)
	switch {
	case c == "info", c == "lolwut":
		return true
	case n >= 2 && c == "debug" && (sub == "htstats" || sub == "htstats-key" || sub == "client-eviction"):
		return true
	case n >= 2 && c == "memory" && (sub == "malloc-stats" || sub == "doctor"):
		return true
	case n == 2 && c == "cluster" && (sub == "nodes" || sub == "info"):
		return true
	case n >= 2 && c == "client" && (sub == "list" || sub == "info"):
		return true
	case n == 3 && c == "latency" && sub == "graph", n == 2 && c == "latency" && sub == "doctor":
		return true
	case n >= 2 && c == "proxy" && sub == "info":
		return true
	}
	return false
}

// formatReply is cliFormatReply.
func (s *session) formatReply(v client.Value, verbatim bool) string {
	switch {
	case s.ldb && (verbatim || s.cfg.Output == OutputRaw):
		var sb strings.Builder
		formatRaw(&sb, v, s.cfg.MBDelim, s.ldbStatus)
		if !verbatim {
			sb.WriteString(s.cfg.CmdDelim)
		}
		return sb.String()
	case verbatim:
		return FormatRaw(v, s.cfg.MBDelim)
	case s.cfg.Output == OutputStandard:
		return FormatTTY(v, "")
	case s.cfg.Output == OutputRaw:
		return FormatRaw(v, s.cfg.MBDelim) + s.cfg.CmdDelim
	case s.cfg.Output == OutputCSV:
		return FormatCSV(v) + "\n"
	default:
		return FormatJSON(v, s.cfg.Output == OutputQuotedJSON) + "\n"
	}
}

// readReply is cliReadReply.
func (s *session) readReply(rawOut bool) error {
	var v client.Value
	var err error
	for {
		v, err = s.conn.Receive()
		if err != nil {
			if s.shutdown {
				s.conn.Close()
				s.conn = nil
				return nil
			}
			if s.interactive && (errors.Is(err, io.EOF) || isConnReset(err)) {
				return err
			}
			s.printContextError(err)
			s.fail(1)
		}
		if v.Kind == resp.KindPush && !s.pubsub && !s.monitor {
			// Out-of-band push: printed when --show-pushes is on.
			if s.cfg.PushOutput {
				if s.cfg.Output == OutputStandard && isInvalidate(v) {
					s.out.WriteString(formatInvalidate(v))
				} else {
					s.out.WriteString(s.formatReply(v, false))
				}
			}
			continue
		}
		break
	}
	s.lastKind = v.Kind
	if v.Null && v.Kind == resp.KindArray {
		s.lastKind = resp.KindNull
	}
	output := true
	if s.cfg.Cluster && v.Kind == resp.KindError {
		if slot, addr, kind, ok := client.ParseRedirect(string(v.Str)); ok {
			output = false
			c := strings.LastIndexByte(addr, ':')
			if c >= 0 {
				s.cfg.Host = addr[:c]
				s.cfg.Port = atoi(addr[c+1:])
			}
			if s.interactive {
				fmt.Fprintf(s.out, "-> Redirected to slot [%d] located at %s:%d\n", slot, s.cfg.Host, s.cfg.Port)
			}
			s.reissue = true
			if kind == "ASK" {
				s.sendAsking = true
			}
			s.refreshPrompt()
		}
	}
	if output && !s.interactive && s.cfg.SetErrCode && v.IsError() {
		s.stderr("%s\n", v.Str)
		s.fail(1)
	}
	if output {
		s.out.WriteString(s.formatReply(v, rawOut))
		s.out.Flush()
	}
	return nil
}

func isConnReset(err error) bool {
	s := err.Error()
	return strings.Contains(s, "connection reset") || strings.Contains(s, "broken pipe")
}

func isInvalidate(v client.Value) bool {
	return v.Kind == resp.KindPush && len(v.Elems) == 2 && v.Elems[0].Kind == resp.KindBulk &&
		strings.HasPrefix(string(v.Elems[0].Str), "invalidate") && v.Elems[1].Kind == resp.KindArray
}

func formatInvalidate(v client.Value) string {
	var b strings.Builder
	b.WriteString("-> invalidate: ")
	for i, k := range v.Elems[1].Elems {
		b.WriteString("'" + string(k.Str) + "'")
		if i < len(v.Elems[1].Elems)-1 {
			b.WriteString(", ")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// sendCommand is cliSendCommand.
func (s *session) sendCommand(argv []string, repeat int64) error {
	if s.conn == nil {
		return errors.New("not connected")
	}
	rawOut := outputRawCommand(argv)
	cmd := strings.ToLower(argv[0])
	switch cmd {
	case "shutdown":
		s.shutdown = true
	case "monitor":
		s.monitor = true
	case "subscribe", "psubscribe", "ssubscribe":
		s.pubsub = true
	}
	if len(argv) == 3 && cmd == "script" && strings.EqualFold(argv[1], "debug") {
		s.ldbOnEval = strings.EqualFold(argv[2], "yes") || strings.EqualFold(argv[2], "sync")
	}
	if cmd == "eval" && s.ldbOnEval {
		s.ldb = true
		s.cfg.Output = OutputRaw
	}
	bargs := make([][]byte, len(argv))
	for i, a := range argv {
		bargs[i] = []byte(a)
	}
	for repeat < 0 || repeat > 0 {
		repeat--
		if err := s.conn.SendBytes(bargs); err != nil {
			return err
		}
		if err := s.conn.Flush(); err != nil {
			return err
		}
		if s.monitor {
			for s.monitor {
				if err := s.readReply(rawOut); err != nil {
					s.printContextError(err)
					s.fail(1)
				}
				if s.lastKind == resp.KindError {
					s.monitor = false
				}
			}
			return nil
		}
		if s.pubsub {
			if s.cfg.Output != OutputRaw {
				s.out.WriteString("Reading messages... (press Ctrl-C to quit)\n")
				s.out.Flush()
			}
			for s.pubsub {
				if err := s.readReply(rawOut); err != nil {
					s.printContextError(err)
					s.fail(1)
				}
				if s.lastKind == resp.KindError {
					s.pubsub = false
				}
			}
			continue
		}
		if err := s.readReply(rawOut); err != nil {
			return err
		}
		if s.conn == nil { // SHUTDOWN closed it
			return nil
		}
		isErr := s.lastKind == resp.KindError
		switch {
		case cmd == "select" && len(argv) == 2 && !isErr:
			s.cfg.DB = atoi(argv[1])
			s.dbnum = s.cfg.DB
			s.refreshPrompt()
		case cmd == "auth" && (len(argv) == 2 || len(argv) == 3):
			if s.cfg.DB != s.dbnum {
				if v, err := s.conn.Do("SELECT", strconv.Itoa(s.cfg.DB)); err == nil && !v.IsError() {
					s.dbnum = s.cfg.DB
					s.refreshPrompt()
				}
			}
		case cmd == "multi" && len(argv) == 1 && !isErr:
			s.inMulti = true
			s.preMultiDB = s.dbnum
			s.refreshPrompt()
		case cmd == "exec" && len(argv) == 1 && s.inMulti:
			s.inMulti = false
			if isErr || s.lastKind == resp.KindNull {
				s.cfg.DB, s.dbnum = s.preMultiDB, s.preMultiDB
			}
			s.refreshPrompt()
		case cmd == "discard" && len(argv) == 1 && !isErr:
			s.inMulti = false
			s.cfg.DB, s.dbnum = s.preMultiDB, s.preMultiDB
			s.refreshPrompt()
		case cmd == "reset" && len(argv) == 1 && !isErr:
			s.inMulti = false
			s.cfg.DB, s.dbnum = 0, 0
			s.resp3, s.cfg.RESP3 = false, 0
			s.refreshPrompt()
		}
		if s.reissue {
			break
		}
		if s.cfg.Interval > 0 {
			s.out.Flush()
			time.Sleep(time.Duration(s.cfg.Interval * float64(time.Second)))
		}
		s.out.Flush()
	}
	return nil
}

// issueCommandRepeat is redis-cli's issueCommandRepeat.
func (s *session) issueCommandRepeat(argv []string, repeat int64) bool {
	if c := strings.ToLower(argv[0]); !s.ldb && (c == "help" || c == "?") {
		s.outputHelp(argv[1:])
		return true
	}
	for {
		if s.reissue || s.conn == nil {
			if !s.connect(true, false) {
				s.reissue = false
				return false
			}
		}
		s.reissue = false
		if s.sendAsking {
			s.sendAsking = false
			v, err := s.conn.Do("ASKING")
			if err != nil {
				s.stderr("\nI/O error\n")
				return false
			}
			if v.IsError() {
				s.stderr("ASKING failed: %s\n", v.Str)
				return false
			}
		}
		if err := s.sendCommand(argv, repeat); err != nil {
			s.printContextError(err)
			if s.conn != nil {
				s.conn.Close()
			}
			s.conn = nil
			return false
		}
		if s.cfg.Cluster && s.reissue {
			continue
		}
		return true
	}
}

func (s *session) noninteractive(args []string) int {
	argv := append([]string(nil), args...)
	if s.cfg.QuotedIn {
		for i, a := range argv {
			parts, _, err := resp.SplitArgs([]byte(a), nil, nil)
			if err != nil || len(parts) != 1 {
				s.out.WriteString("Invalid quoted string\n")
				return 1
			}
			argv[i] = string(parts[0])
		}
	}
	if s.cfg.StdinLast {
		argv = append(argv, string(readAllStdin()))
	} else if s.cfg.StdinTag != "" {
		found := false
		for i, a := range argv {
			if a == s.cfg.StdinTag {
				argv[i] = string(readAllStdin())
				found = true
				break
			}
		}
		if !found {
			s.stderr("Using -X option but stdin tag not match.\n")
			return 1
		}
	}
	if s.issueCommandRepeat(argv, s.cfg.Repeat) {
		return 0
	}
	return 1
}

// evalMode is redis-cli's --eval: EVAL the file's script with the
// arguments before "," as keys. With --ldb the script runs under the Lua
// debugger and the REPL talks to it until the session ends; "restart"
// starts it again.
func (s *session) evalMode(args []string) int {
	for {
		if s.cfg.LDB {
			s.out.WriteString("Lua debugging session started, please use:\n" +
				"quit    -- End the session.\n" +
				"restart -- Restart the script in debug mode again.\n" +
				"help    -- Show Lua script debugging commands.\n\n")
		}
		script, err := os.ReadFile(s.cfg.Eval)
		if err != nil {
			s.stderr("Can't open file '%s': %s\n", s.cfg.Eval, clustermgr.ConnErrText(err))
			return 1
		}
		if s.cfg.LDB {
			mode := "yes"
			if s.cfg.LDBSync {
				mode = "sync"
			}
			s.conn.Do("SCRIPT", "DEBUG", mode)
			// sendCommand's rule: an EVAL after SCRIPT DEBUG debugs.
			s.ldbOnEval = true
		}
		argv := []string{"EVAL", string(script), ""}
		keys, comma := 0, false
		for _, a := range args {
			if !comma && a == "," {
				comma = true
				continue
			}
			argv = append(argv, a)
			if !comma {
				keys++
			}
		}
		argv[2] = strconv.Itoa(keys)
		debugging := s.cfg.LDB
		ok := s.issueCommandRepeat(argv, 1)
		if !debugging {
			if ok {
				return 0
			}
			return 1
		}
		if !s.ldb {
			// The session ended at once: the script did not compile.
			s.out.WriteString("Eval debugging session can't start:\n")
			s.readReply(false)
			if ok {
				return 0
			}
			return 1
		}
		s.prompt = "lua debugger> "
		s.repl()
		if !s.ldbRestart {
			return 0
		}
		s.ldbRestart = false
		s.connect(true, false)
		s.out.WriteString("\n")
	}
}

// ldbStatus renders one of the Lua debugger's status lines, coloured on
// an xterm by its tag (sdsCatColorizedLdbReply), or ends the session on
// "<endsession>".
func (s *session) ldbStatus(sb *strings.Builder, line []byte) {
	str := string(cStr(line))
	if strings.HasPrefix(str, "<endsession>") {
		s.ldbOnEval, s.ldb, s.ldbEnd = false, false, true
		s.cfg.Output = OutputStandard
		s.refreshPrompt()
		return
	}
	if !strings.Contains(os.Getenv("TERM"), "xterm") {
		sb.Write(line)
		return
	}
	color, bold := 37, 0
	switch {
	case strings.Contains(str, "<value>") || strings.Contains(str, "<retval>"):
		color = 35
	case strings.Contains(str, "<hint>"):
		bold = 1
	case strings.Contains(str, "<error>"):
		color = 31
	case strings.Contains(str, "<reply>"):
		color = 36
	case strings.Contains(str, "<redis>"):
		color = 32
	case strings.Contains(str, "<debug>"):
		bold = 1
	}
	if len(line) > 4 && line[3] >= '0' && line[3] <= '9' {
		if line[1] == '>' {
			color, bold = 33, 0 // the current line
		} else if line[2] == '#' {
			color, bold = 37, 1 // a break point
		}
	}
	fmt.Fprintf(sb, "\x1b[%d;%d;49m", bold, color)
	sb.Write(line)
	sb.WriteString("\x1b[0m")
}

func (s *session) sendReplconf(a1, a2 string) bool {
	fmt.Fprintf(os.Stderr, "sending REPLCONF %s %s\n", a1, a2)
	v, err := s.conn.Do("REPLCONF", a1, a2)
	if err != nil {
		s.stderr("\nI/O error\n")
		s.fail(1)
	}
	if v.IsError() {
		s.stderr("REPLCONF %s error: %s\n", a1, v.Str)
		return false
	}
	return true
}
