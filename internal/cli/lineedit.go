package cli

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/term"
)

// lineEditor is the REPL's line editor on a terminal. It behaves as the
// linenoise library redis-cli embeds, in its multi-line mode, and draws the
// same bytes: the prompt and buffer redrawn on every change, the command
// hint in grey after the cursor, Tab cycling through completions (Esc
// restores what was typed, any other key accepts), a history of 100 lines
// navigated with the arrows or Ctrl-P/N, and the Emacs keys linenoise
// knows (Ctrl-A/E/B/F/T/U/K/W/L, Ctrl-D, Ctrl-C ends the REPL). Terminals
// linenoise cannot drive (TERM dumb, cons25, emacs) get the prompt and a
// plain line read.
type lineEditor struct {
	in, out  *os.File  // the terminal (raw mode, width)
	r        io.Reader // keys: in, or a test's bytes
	w        io.Writer // drawing: out, or a test's buffer
	cols     int       // width when out is nil (tests)
	bell     io.Writer // where Tab's bell rings: stderr, as linenoise
	history  []string
	complete func(string) []string
	hint     func(string) (string, bool)
	plain    *bufio.Reader // unsupported terminal
}

const (
	historyMax = 100  // LINENOISE_DEFAULT_HISTORY_MAX_LEN
	maxLine    = 4096 // LINENOISE_MAX_LINE
)

func newLineEditor(in, out *os.File) *lineEditor {
	e := &lineEditor{in: in, out: out, r: in, w: out, bell: os.Stderr}
	switch strings.ToLower(os.Getenv("TERM")) {
	case "dumb", "cons25", "emacs":
		e.plain = bufio.NewReader(in)
	}
	return e
}

// lnState is one line being edited (linenoiseState).
type lnState struct {
	e       *lineEditor
	buf     []byte
	pos     int
	oldpos  int
	prompt  string
	cols    int
	maxrows int
	histIdx int
	noHints bool
}

// errAborted is Ctrl-C or Ctrl-D on an empty line: linenoise returns NULL
// and redis-cli's REPL ends.
var errAborted = errors.New("aborted")

// Prompt reads one line, as linenoise() does.
func (e *lineEditor) Prompt(prompt string) (string, error) {
	if e.plain != nil {
		io.WriteString(e.w, prompt)
		line, err := e.plain.ReadString('\n')
		if err != nil && line == "" {
			return "", io.EOF
		}
		if len(line) > maxLine-1 {
			line = line[:maxLine-1]
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fd := int(e.in.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return "", io.EOF
	}
	line, err := e.edit(prompt)
	term.Restore(fd, old)
	io.WriteString(e.w, "\n")
	if err != nil {
		return "", err
	}
	return line, nil
}

func (e *lineEditor) columns() int {
	if e.out == nil {
		return max(1, e.cols)
	}
	if w, _, err := term.GetSize(int(e.out.Fd())); err == nil && w > 0 {
		return w
	}
	return 80
}

func (e *lineEditor) readByte() (byte, error) {
	var b [1]byte
	for {
		n, err := e.r.Read(b[:])
		if n == 1 {
			return b[0], nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// AppendHistory is linenoiseHistoryAdd: no consecutive duplicates, the
// oldest line dropped past 100.
func (e *lineEditor) AppendHistory(line string) {
	if n := len(e.history); n > 0 && e.history[n-1] == line {
		return
	}
	if len(e.history) == historyMax {
		e.history = append(e.history[:0], e.history[1:]...)
	}
	e.history = append(e.history, line)
}

// LoadHistory is linenoiseHistoryLoad.
func (e *lineEditor) LoadHistory(path string) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, maxLine)
	for {
		line, err := r.ReadString('\n')
		if line == "" && err != nil {
			return
		}
		if len(line) > maxLine-1 {
			line = line[:maxLine-1]
		}
		if i := strings.IndexByte(line, '\r'); i >= 0 {
			line = line[:i]
		} else if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		e.AppendHistory(line)
	}
}

// SaveHistory is linenoiseHistorySave: the whole history, mode 0600.
func (e *lineEditor) SaveHistory(path string) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return
	}
	f.Chmod(0o600)
	w := bufio.NewWriter(f)
	for _, h := range e.history {
		w.WriteString(h)
		w.WriteByte('\n')
	}
	w.Flush()
	f.Close()
}

func (e *lineEditor) Close() error { return nil }

// edit is linenoiseEdit: the key loop in raw mode.
func (e *lineEditor) edit(prompt string) (string, error) {
	l := &lnState{e: e, prompt: prompt, cols: e.columns()}
	// The newest history entry is the line being edited.
	e.history = append(e.history, "")
	dropCurrent := func() { e.history = e.history[:len(e.history)-1] }
	io.WriteString(e.w, prompt)
	for {
		c, err := e.readByte()
		if err != nil {
			dropCurrent()
			if len(l.buf) == 0 {
				return "", io.EOF
			}
			return string(l.buf), nil
		}
		if c == 9 && e.complete != nil {
			c, err = l.completeLine()
			if err != nil {
				dropCurrent()
				return string(l.buf), nil
			}
			if c == 0 {
				continue
			}
		}
		switch c {
		case 13: // Enter
			dropCurrent()
			l.moveEnd()
			if e.hint != nil {
				// Redraw without the hint, leaving the line as typed.
				l.noHints = true
				l.refresh()
			}
			return string(l.buf), nil
		case 3: // Ctrl-C
			return "", errAborted
		case 127, 8: // Backspace, Ctrl-H
			if l.pos > 0 && len(l.buf) > 0 {
				l.buf = append(l.buf[:l.pos-1], l.buf[l.pos:]...)
				l.pos--
				l.refresh()
			}
		case 4: // Ctrl-D: delete right, or end of input on an empty line
			if len(l.buf) > 0 {
				l.deleteRight()
			} else {
				dropCurrent()
				return "", errAborted
			}
		case 20: // Ctrl-T: swap with the previous character
			if l.pos > 0 && l.pos < len(l.buf) {
				l.buf[l.pos-1], l.buf[l.pos] = l.buf[l.pos], l.buf[l.pos-1]
				if l.pos != len(l.buf)-1 {
					l.pos++
				}
				l.refresh()
			}
		case 2: // Ctrl-B
			l.moveLeft()
		case 6: // Ctrl-F
			l.moveRight()
		case 16: // Ctrl-P
			l.historyStep(1)
		case 14: // Ctrl-N
			l.historyStep(-1)
		case 27: // escape sequence
			s0, err0 := e.readByte()
			s1, err1 := e.readByte()
			if err0 != nil || err1 != nil {
				break
			}
			switch {
			case s0 == '[' && s1 >= '0' && s1 <= '9':
				if s2, err := e.readByte(); err == nil && s2 == '~' && s1 == '3' {
					l.deleteRight()
				}
			case s0 == '[':
				switch s1 {
				case 'A':
					l.historyStep(1)
				case 'B':
					l.historyStep(-1)
				case 'C':
					l.moveRight()
				case 'D':
					l.moveLeft()
				case 'H':
					l.moveHome()
				case 'F':
					l.moveEnd()
				}
			case s0 == 'O':
				switch s1 {
				case 'H':
					l.moveHome()
				case 'F':
					l.moveEnd()
				}
			}
		case 21: // Ctrl-U: delete the whole line
			l.buf, l.pos = l.buf[:0], 0
			l.refresh()
		case 11: // Ctrl-K: delete to the end of the line
			l.buf = l.buf[:l.pos]
			l.refresh()
		case 1: // Ctrl-A
			l.moveHome()
		case 5: // Ctrl-E
			l.moveEnd()
		case 12: // Ctrl-L
			io.WriteString(e.w, "\x1b[H\x1b[2J")
			l.refresh()
		case 23: // Ctrl-W: delete the previous word
			old := l.pos
			for l.pos > 0 && l.buf[l.pos-1] == ' ' {
				l.pos--
			}
			for l.pos > 0 && l.buf[l.pos-1] != ' ' {
				l.pos--
			}
			l.buf = append(l.buf[:l.pos], l.buf[old:]...)
			l.refresh()
		default:
			l.insert(c)
		}
	}
}

func (l *lnState) insert(c byte) {
	if len(l.buf) >= maxLine-1 {
		return
	}
	l.buf = append(l.buf, 0)
	copy(l.buf[l.pos+1:], l.buf[l.pos:])
	l.buf[l.pos] = c
	l.pos++
	l.refresh()
}

func (l *lnState) deleteRight() {
	if len(l.buf) > 0 && l.pos < len(l.buf) {
		l.buf = append(l.buf[:l.pos], l.buf[l.pos+1:]...)
		l.refresh()
	}
}

func (l *lnState) moveLeft() {
	if l.pos > 0 {
		l.pos--
		l.refresh()
	}
}

func (l *lnState) moveRight() {
	if l.pos != len(l.buf) {
		l.pos++
		l.refresh()
	}
}

func (l *lnState) moveHome() {
	if l.pos != 0 {
		l.pos = 0
		l.refresh()
	}
}

func (l *lnState) moveEnd() {
	if l.pos != len(l.buf) {
		l.pos = len(l.buf)
		l.refresh()
	}
}

// historyStep is linenoiseEditHistoryNext: dir 1 goes back in time. The
// entry left is updated with what was typed into it.
func (l *lnState) historyStep(dir int) {
	h := l.e.history
	if len(h) <= 1 {
		return
	}
	h[len(h)-1-l.histIdx] = string(l.buf)
	l.histIdx += dir
	if l.histIdx < 0 {
		l.histIdx = 0
		return
	}
	if l.histIdx >= len(h) {
		l.histIdx = len(h) - 1
		return
	}
	l.buf = append(l.buf[:0], h[len(h)-1-l.histIdx]...)
	l.pos = len(l.buf)
	l.refresh()
}

// completeLine is linenoise's completeLine: Tab shows the next candidate
// (and, after the last, the line as typed, with a bell), Esc goes back to
// what was typed, any other key takes the shown candidate and is then
// handled as usual. It returns that key.
func (l *lnState) completeLine() (byte, error) {
	cands := l.e.complete(string(l.buf))
	if len(cands) == 0 {
		io.WriteString(l.e.bell, "\x07")
		return 0, nil
	}
	i := 0
	for {
		if i < len(cands) {
			l.draw([]byte(cands[i]), len(cands[i]))
		} else {
			l.refresh()
		}
		c, err := l.e.readByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case 9:
			i = (i + 1) % (len(cands) + 1)
			if i == len(cands) {
				io.WriteString(l.e.bell, "\x07")
			}
		case 27:
			if i < len(cands) {
				l.refresh()
			}
			return c, nil
		default:
			if i < len(cands) {
				cand := cands[i]
				if len(cand) > maxLine-1 {
					cand = cand[:maxLine-1]
				}
				l.buf = append(l.buf[:0], cand...)
				l.pos = len(l.buf)
			}
			return c, nil
		}
	}
}

func (l *lnState) refresh() { l.draw(l.buf, l.pos) }

// draw is refreshMultiLine for buf with the cursor at pos: clear the rows
// the last draw used, write prompt, buffer and hint, put the cursor back.
func (l *lnState) draw(buf []byte, pos int) {
	plen := len(l.prompt)
	cols := l.cols
	rows := (plen + len(buf) + cols - 1) / cols
	rpos := (plen + l.oldpos + cols) / cols
	oldRows := l.maxrows
	if rows > l.maxrows {
		l.maxrows = rows
	}
	ab := make([]byte, 0, 64+plen+len(buf))
	if oldRows-rpos > 0 {
		ab = append(ab, "\x1b["+strconv.Itoa(oldRows-rpos)+"B"...)
	}
	for j := 0; j < oldRows-1; j++ {
		ab = append(ab, "\r\x1b[0K\x1b[1A"...)
	}
	ab = append(ab, "\r\x1b[0K"...)
	ab = append(ab, l.prompt...)
	ab = append(ab, buf...)
	if l.e.hint != nil && !l.noHints && plen+len(buf) < cols {
		if h, ok := l.e.hint(string(buf)); ok {
			if max := cols - (plen + len(buf)); len(h) > max {
				h = h[:max]
			}
			ab = append(ab, "\x1b[0;90;49m"...)
			ab = append(ab, h...)
			ab = append(ab, "\x1b[0m"...)
		}
	}
	if pos > 0 && pos == len(buf) && (pos+plen)%cols == 0 {
		ab = append(ab, "\n\r"...)
		rows++
		if rows > l.maxrows {
			l.maxrows = rows
		}
	}
	rpos2 := (plen + pos + cols) / cols
	if rows-rpos2 > 0 {
		ab = append(ab, "\x1b["+strconv.Itoa(rows-rpos2)+"A"...)
	}
	if col := (plen + pos) % cols; col != 0 {
		ab = append(ab, "\r\x1b["+strconv.Itoa(col)+"C"...)
	} else {
		ab = append(ab, '\r')
	}
	l.oldpos = pos
	l.e.w.Write(ab)
}
