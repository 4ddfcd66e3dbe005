package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peterh/liner"
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

func historyPath() string {
	if p := os.Getenv(envHistFile); p != "" {
		if p == "/dev/null" {
			return ""
		}
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".rediscli_history")
}

// repl is redis-cli's repl.
func (s *session) repl() int {
	s.interactive = true
	var lr lineReader
	hist := ""
	var ed *liner.State
	if term.IsTerminal(int(os.Stdin.Fd())) {
		ed = liner.NewLiner()
		ed.SetCtrlCAborts(true)
		ed.SetMultiLineMode(true)
		hist = historyPath()
		if hist != "" {
			if f, err := os.Open(hist); err == nil {
				ed.ReadHistory(f)
				f.Close()
			}
		}
		ed.SetCompleter(s.completer())
		lr = ed
	} else {
		lr = plainReader{bufio.NewReader(s.stdin)}
	}
	defer lr.Close()
	saveHistory := func() {
		if ed == nil || hist == "" {
			return
		}
		if f, err := os.Create(hist); err == nil {
			ed.WriteHistory(f)
			f.Close()
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
			if errors.Is(err, liner.ErrPromptAborted) {
				continue
			}
			if err != io.EOF {
				fmt.Fprintln(os.Stderr, err)
			}
			return 0
		}
		if line == "" {
			continue
		}
		parts, _, perr := resp.SplitArgs([]byte(line), nil, nil)
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
			s.setPreference(argv)
		case cmd == "restart":
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
			el := time.Since(start)
			if el >= 500*time.Millisecond && s.cfg.Output == OutputStandard {
				fmt.Fprintf(s.out, "(%.2fs)\n", el.Seconds())
			}
		}
		s.out.Flush()
	}
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

func (s *session) setPreference(argv []string) {
	if strings.EqualFold(argv[0], ":set") && len(argv) >= 2 {
		switch strings.ToLower(argv[1]) {
		case "hints", "nohints":
		default:
			fmt.Fprintf(s.out, "unknown redis-cli preference '%s'\n", argv[1])
		}
		return
	}
	fmt.Fprintf(s.out, "unknown redis-cli internal command '%s'\n", argv[0])
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

// completer completes the first word of a line with the server's command
// names (from COMMAND), upper-cased as redis-cli completes them.
func (s *session) completer() func(string) []string {
	var names []string
	load := func() {
		if names != nil || s.conn == nil {
			return
		}
		v, err := s.conn.Do("COMMAND")
		if err != nil {
			return
		}
		names = []string{}
		for _, c := range v.Elems {
			if len(c.Elems) > 0 {
				names = append(names, strings.ToUpper(string(c.Elems[0].Str)))
			}
		}
		sort.Strings(names)
	}
	return func(line string) []string {
		if strings.ContainsAny(line, " \t") {
			return nil
		}
		load()
		var out []string
		up := strings.ToUpper(line)
		for _, n := range names {
			if strings.HasPrefix(n, up) {
				out = append(out, n)
			}
		}
		return out
	}
}
