package cli

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/shoal-db/shoal/internal/resp"
	"golang.org/x/term"
)

// lineReader yields the REPL's input lines: a liner editor on a terminal
// (history, editing), plain lines otherwise (redis-cli's linenoise does
// the same: no prompt and no history when stdin is not a tty).
type lineReader interface {
	Prompt(p string) (string, error)
	AppendHistory(line string)
	Close() error
}

type plainReader struct{ r *bufio.Reader }

func (p plainReader) Prompt(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}
func (plainReader) AppendHistory(string) {}
func (plainReader) Close() error         { return nil }

func historyPath() string { return dotfilePath(envHistFile, ".rediscli_history") }

// dotfilePath is getDotfilePath: the environment variable's path if set
// ("" for /dev/null), else the file in $HOME.
func dotfilePath(env, name string) string {
	if p := os.Getenv(env); p != "" {
		if p == "/dev/null" {
			return ""
		}
		return p
	}
	if home := os.Getenv("HOME"); home != "" {
		return home + "/" + name
	}
	return ""
}

// repl is redis-cli's repl.
func (s *session) repl() int {
	s.interactive = true
	if !s.ldb {
		// The Lua debugger has its own HELP; COMMAND DOCS would fail.
		s.initHelp()
	}
	// The reader outlives one repl: --ldb's "restart" comes back here.
	if s.lr == nil {
		if term.IsTerminal(int(os.Stdin.Fd())) {
			s.ed = newLineEditor(os.Stdin, os.Stdout)
			s.ed.complete = s.complete
			s.ed.hint = s.hint
			s.hist = historyPath()
			if s.hist != "" {
				s.ed.LoadHistory(s.hist)
			}
			s.loadPreferences()
			s.lr = s.ed
		} else {
			s.lr = plainReader{bufio.NewReader(s.stdin)}
		}
	}
	lr, ed, hist := s.lr, s.ed, s.hist
	saveHistory := func() {
		if ed != nil && hist != "" {
			ed.SaveHistory(hist)
		}
	}
	for {
		prompt := s.prompt
		if s.conn == nil {
			prompt = "not connected> "
		}
		s.out.Flush()
		line, err := lr.Prompt(prompt)
		if err != nil {
			return 0
		}
		if line == "" {
			continue
		}
		parts, perr := s.splitLine(line)
		if perr != nil {
			s.out.WriteString("Invalid argument(s)\n")
			s.out.Flush()
			lr.AppendHistory(line)
			saveHistory()
			continue
		}
		if len(parts) == 0 {
			continue
		}
		argv := make([]string, len(parts))
		for i, p := range parts {
			argv[i] = string(p)
		}
		repeat, skip := int64(1), 0
		if n, err := strconv.ParseInt(argv[0], 10, 64); len(argv) > 1 && err == nil || len(argv) > 1 && isNumErange(argv[0]) {
			if err != nil || n <= 0 {
				s.out.WriteString("Invalid redis-cli repeat command option value.\n")
				continue
			}
			repeat, skip = n, 1
		}
		if !isSensitive(argv[skip:]) {
			lr.AppendHistory(line)
			saveHistory()
		}
		cmd := strings.ToLower(argv[0])
		switch {
		case cmd == "quit" || cmd == "exit":
			s.out.Flush()
			return 0
		case argv[0][0] == ':':
			s.setPreference(argv, true)
		case cmd == "restart":
			if s.cfg.Eval != "" {
				s.ldb, s.ldbRestart = true, true
				s.cfg.Output = OutputRaw
				return 0
			}
			s.out.WriteString("Use 'restart' only in Lua debugging mode.\n")
		case len(argv) == 3 && cmd == "connect":
			s.cfg.Host = argv[1]
			s.cfg.Port = atoi(argv[2])
			s.refreshPrompt()
			s.connect(true, false)
		case len(argv) == 1 && cmd == "clear":
			if ed != nil {
				s.out.WriteString("\x1b[H\x1b[2J")
			}
		default:
			start := time.Now()
			s.issueCommandRepeat(argv[skip:], repeat)
			if s.ldbEnd {
				// The debugger said <endsession>: the EVAL's own reply follows.
				s.ldbEnd = false
				s.readReply(false)
				if s.cfg.LDBSync {
					s.out.WriteString("\n(Lua debugging session ended)\n\n")
				} else {
					s.out.WriteString("\n(Lua debugging session ended -- dataset changes rolled back)\n\n")
				}
				s.initHelp()
			}
			el := time.Since(start)
			if el >= 500*time.Millisecond && s.cfg.Output == OutputStandard {
				fmt.Fprintf(s.out, "(%.2fs)\n", el.Seconds())
			}
		}
		s.out.Flush()
	}
}

// splitLine is cliSplitArgs: in the Lua debugger "eval <code>" and
// "e <code>" keep the code as one argument.
func (s *session) splitLine(line string) ([][]byte, error) {
	if s.ldb && (strings.HasPrefix(line, "eval ") || strings.HasPrefix(line, "e ")) {
		n := 5
		if line[1] == ' ' {
			n = 2
		}
		return [][]byte{[]byte(line[:n-1]), []byte(line[n:])}, nil
	}
	parts, _, err := resp.SplitArgs([]byte(line), nil, nil)
	return parts, err
}

// isNumErange reports an all-digit word too big for a long (strtol's
// ERANGE), which redis-cli rejects as a repeat count.
func isNumErange(w string) bool {
	t := strings.TrimPrefix(w, "-")
	if t == "" {
		return false
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// setPreference is cliSetPreferences: ":set hints|nohints" typed in the
// REPL or read from ~/.redisclirc.
func (s *session) setPreference(argv []string, interactive bool) {
	from := ".redisclirc: "
	if interactive {
		from = ""
	}
	if strings.EqualFold(argv[0], ":set") && len(argv) >= 2 {
		switch strings.ToLower(argv[1]) {
		case "hints":
			s.noHints = false
		case "nohints":
			s.noHints = true
		default:
			fmt.Fprintf(s.out, "%sunknown redis-cli preference '%s'\n", from, argv[1])
		}
		return
	}
	fmt.Fprintf(s.out, "%sunknown redis-cli internal command '%s'\n", from, argv[0])
}

// loadPreferences is cliLoadPreferences: $REDISCLI_RCFILE or ~/.redisclirc,
// one preference a line.
func (s *session) loadPreferences() {
	p := dotfilePath(envRCFile, ".redisclirc")
	if p == "" {
		return
	}
	f, err := os.Open(p)
	if err != nil {
		return
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			if parts, _, perr := resp.SplitArgs([]byte(line), nil, nil); perr == nil && len(parts) > 0 {
				argv := make([]string, len(parts))
				for i, p := range parts {
					argv[i] = string(p)
				}
				s.setPreference(argv, false)
			}
		}
		if err != nil {
			return
		}
	}
}

// isSensitive is isSensitiveCommand: lines kept out of the history file.
func isSensitive(argv []string) bool {
	if len(argv) == 0 {
		return false
	}
	c := strings.ToLower(argv[0])
	n := len(argv)
	switch {
	case c == "auth":
		return true
	case n > 1 && c == "acl" && strings.EqualFold(argv[1], "setuser"):
		return true
	case n > 2 && c == "config" && strings.EqualFold(argv[1], "set"):
		p := strings.ToLower(argv[2])
		return p == "masterauth" || p == "masteruser" || p == "requirepass"
	case n > 4 && c == "hello":
		for j := 2; j < n; j++ {
			more := n - 1 - j
			switch {
			case strings.EqualFold(argv[j], "auth") && more >= 2:
				return true
			case strings.EqualFold(argv[j], "setname") && more > 0:
				j++
			default:
				return false
			}
		}
	case n > 7 && c == "migrate":
		for j := 6; j < n; j++ {
			more := n - 1 - j
			switch {
			case strings.EqualFold(argv[j], "auth") && more > 0:
				return true
			case strings.EqualFold(argv[j], "auth2") && more >= 2:
				return true
			case strings.EqualFold(argv[j], "keys") && more > 0:
				return false
			}
		}
	}
	return false
}
