package diff

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Op is what a script step does.
type Op int

// Script step operations.
const (
	OpCommand Op = iota // send Args as a multibulk command, read the reply
	OpRaw               // send Raw bytes as they are, read the reply
	OpRead              // read one pending reply without sending
	OpClient            // switch to connection Client
	OpSleep             // pause for Sleep
)

// Step is one line of a script.
type Step struct {
	Line   int    // 1-based line number in the script
	Text   string // the line as written, for messages
	Op     Op
	Args   []string      // OpCommand
	Raw    []byte        // OpRaw
	Client int           // OpClient
	Sleep  time.Duration // OpSleep

	Unordered bool // compare aggregate elements as a multiset
	Float     bool // compare numbers with tolerance
	Ignore    bool // do not compare
	NoReply   bool // do not read a reply
}

// Script is a parsed testdata file.
type Script struct {
	Name   string
	Protos []int // protocol versions to run under
	Steps  []Step
}

// Commands counts the steps that produce a compared reply.
func (s *Script) Commands() int {
	n := 0
	for _, st := range s.Steps {
		if (st.Op == OpCommand || st.Op == OpRaw || st.Op == OpRead) && !st.Ignore && !st.NoReply {
			n++
		}
	}
	return n
}

// ParseScript reads a script; errors name the line.
func ParseScript(name string, r io.Reader) (*Script, error) {
	s := &Script{Name: name, Protos: []int{2, 3}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		st, header, err := parseLine(s, text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		if header {
			continue
		}
		st.Line, st.Text = line, text
		s.Steps = append(s.Steps, st)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return s, nil
}

// parseLine parses one non-empty, non-comment line. header reports a
// script-level directive (@proto) that is not a step.
func parseLine(s *Script, text string) (st Step, header bool, err error) {
	args, err := SplitArgs(text)
	if err != nil {
		return st, false, err
	}
	// Prefixes.
	for len(args) > 0 {
		switch strings.ToLower(args[0]) {
		case "@unordered":
			st.Unordered = true
		case "@float":
			st.Float = true
		case "@ignore":
			st.Ignore = true
		case "@noreply":
			st.NoReply = true
		default:
			goto body
		}
		args = args[1:]
	}
body:
	if len(args) == 0 {
		return st, false, fmt.Errorf("prefix without a command")
	}
	prefixed := st.Unordered || st.Float || st.Ignore || st.NoReply
	if !strings.HasPrefix(args[0], "@") {
		st.Op, st.Args = OpCommand, args
		return st, false, nil
	}
	dir, rest := strings.ToLower(args[0]), args[1:]
	want := func(n int) error {
		if len(rest) != n {
			return fmt.Errorf("%s takes %d argument(s), got %d", dir, n, len(rest))
		}
		return nil
	}
	switch dir {
	case "@read":
		st.Op = OpRead
		return st, false, want(0)
	case "@raw":
		st.Op = OpRaw
		if err := want(1); err != nil {
			return st, false, err
		}
		st.Raw = []byte(rest[0])
		return st, false, nil
	}
	if prefixed {
		return st, false, fmt.Errorf("prefix before %s", dir)
	}
	switch dir {
	case "@client":
		if err := want(1); err != nil {
			return st, false, err
		}
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 0 || n > 99 {
			return st, false, fmt.Errorf("bad client number %q", rest[0])
		}
		st.Op, st.Client = OpClient, n
		return st, false, nil
	case "@sleep":
		if err := want(1); err != nil {
			return st, false, err
		}
		ms, err := strconv.Atoi(rest[0])
		if err != nil || ms < 0 || ms > 60000 {
			return st, false, fmt.Errorf("bad sleep %q (milliseconds, at most 60000)", rest[0])
		}
		st.Op, st.Sleep = OpSleep, time.Duration(ms)*time.Millisecond
		return st, false, nil
	case "@resp2only":
		s.Protos = []int{2}
		return st, true, want(0)
	case "@proto":
		if len(rest) == 0 {
			return st, false, fmt.Errorf("@proto needs 2 and/or 3")
		}
		s.Protos = nil
		for _, a := range rest {
			for _, p := range strings.Split(a, "|") {
				switch p {
				case "2", "3":
					n, _ := strconv.Atoi(p)
					s.Protos = append(s.Protos, n)
				default:
					return st, false, fmt.Errorf("bad protocol %q", p)
				}
			}
		}
		return st, true, nil
	}
	return st, false, fmt.Errorf("unknown directive %s", args[0])
}

// SplitArgs splits a line the way redis-cli does (sdssplitargs): words are
// separated by blanks; "double quotes" understand \n \r \t \b \a \xhh and
// backslash before any other byte; 'single quotes' understand only \'. A
// closing quote must be followed by a blank or the end of the line.
func SplitArgs(line string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, nil
		}
		var cur []byte
		inDouble, inSingle := false, false
		for done := false; !done; {
			if inDouble {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced double quotes")
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					b, _ := strconv.ParseUint(line[i+2:i+4], 16, 8)
					cur = append(cur, byte(b))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch e := line[i]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, fmt.Errorf("closing quote must be followed by a space")
					}
					done = true
				default:
					cur = append(cur, c)
				}
				i++
				continue
			}
			if inSingle {
				if i >= len(line) {
					return nil, fmt.Errorf("unbalanced single quotes")
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					cur = append(cur, '\'')
					i++
				case c == '\'':
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, fmt.Errorf("closing quote must be followed by a space")
					}
					done = true
				default:
					cur = append(cur, c)
				}
				i++
				continue
			}
			if i >= len(line) {
				break
			}
			switch c := line[i]; {
			case isBlank(c):
				done = true
			case c == '"':
				inDouble = true
			case c == '\'':
				inSingle = true
			default:
				cur = append(cur, c)
			}
			i++
		}
		args = append(args, string(cur))
	}
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// Deliberate is the list of accepted differences, keyed "script.txt:LINE"
// (both protocols) or "script.txt:LINE@P" (protocol P only).
type Deliberate map[string]string

// ParseDeliberate reads deliberate.txt: "script.txt:LINE[@P] reason", #
// comments and blank lines.
func ParseDeliberate(r io.Reader) (Deliberate, error) {
	d := Deliberate{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		key, reason, _ := strings.Cut(text, " ")
		reason = strings.TrimSpace(reason)
		file, ln, ok := strings.Cut(key, ":")
		if lnOnly, p, hasP := strings.Cut(ln, "@"); hasP {
			ln = lnOnly
			if p != "2" && p != "3" {
				ok = false
			}
		}
		if _, err := strconv.Atoi(ln); !ok || err != nil || !strings.HasSuffix(file, ".txt") {
			return nil, fmt.Errorf("deliberate.txt:%d: want \"script.txt:LINE[@P] reason\", got %q", n, text)
		}
		if reason == "" {
			return nil, fmt.Errorf("deliberate.txt:%d: %s has no reason", n, key)
		}
		d[key] = reason
	}
	return d, sc.Err()
}

// Lookup returns the reason a difference at script:line under proto is
// accepted, and the key that matched.
func (d Deliberate) Lookup(script string, line, proto int) (reason, key string, ok bool) {
	base := fmt.Sprintf("%s:%d", script, line)
	for _, k := range []string{fmt.Sprintf("%s@%d", base, proto), base} {
		if r, ok := d[k]; ok {
			return r, k, true
		}
	}
	return "", "", false
}
