package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
)

// testDocs is a small COMMAND DOCS reply (RESP2 form): GET, SET with
// options, and CLIENT with a KILL subcommand.
func testDocs() resp.Value {
	str := func(s string) resp.Value { return resp.Value{Kind: resp.KindBulk, Str: []byte(s)} }
	status := func(s string) resp.Value { return resp.Value{Kind: resp.KindSimple, Str: []byte(s)} }
	arr := func(v ...resp.Value) resp.Value { return resp.Value{Kind: resp.KindArray, Elems: v} }
	arg := func(kv ...resp.Value) resp.Value { return arr(kv...) }
	return arr(
		str("get"), arr(str("summary"), str("Get a value"), str("since"), str("1.0.0"), str("group"), str("string"),
			str("arguments"), arr(arg(str("name"), str("key"), str("type"), str("key")))),
		str("set"), arr(str("summary"), str("Set a value"), str("group"), str("string"),
			str("arguments"), arr(
				arg(str("name"), str("key"), str("type"), str("key")),
				arg(str("name"), str("value"), str("type"), str("string")),
				arg(str("name"), str("condition"), str("type"), str("oneof"), str("flags"), arr(status("optional")),
					str("arguments"), arr(
						arg(str("name"), str("nx"), str("type"), str("pure-token"), str("token"), str("NX")),
						arg(str("name"), str("xx"), str("type"), str("pure-token"), str("token"), str("XX")))),
				arg(str("name"), str("field"), str("type"), str("string"), str("token"), str("FIELDS"),
					str("flags"), arr(status("optional"), status("multiple"), status("multiple_token"))))),
		str("client"), arr(str("summary"), str("Client things"), str("group"), str("connection"),
			str("subcommands"), arr(str("client|kill"), arr(str("summary"), str("Kill"), str("group"), str("connection"),
				str("arguments"), arr(arg(str("name"), str("ip:port"), str("type"), str("string")))))),
	)
}

func TestHelpEntriesAndHints(t *testing.T) {
	s := &session{help: buildHelp(testDocs())}
	var full []string
	for _, e := range s.help {
		full = append(full, e.full)
	}
	if got, want := strings.Join(full, ","), "@connection,@string,CLIENT,CLIENT KILL,GET,SET"; got != want {
		t.Fatalf("entries %s, want %s", got, want)
	}
	for _, c := range []struct{ line, hint string }{
		{"set", " key value [NX|XX] [FIELDS field [FIELDS field ...]]"},
		{"set k", " value [NX|XX] [FIELDS field [FIELDS field ...]]"},
		{"SET k v ", "[NX|XX] [FIELDS field [FIELDS field ...]]"},
		{"client kill ", "ip:port"},
		{"client ", ""},
		{"get k", " "}, // all typed: redis-cli still shows the space
	} {
		h, _ := s.hint(c.line)
		if h != c.hint {
			t.Errorf("hint(%q) = %q, want %q", c.line, h, c.hint)
		}
	}
	if _, ok := s.hint("nosuch x"); ok {
		t.Error("a hint for an unknown command")
	}
	if got := strings.Join(s.complete("c"), ","); got != "CLIENT,CLIENT KILL" {
		t.Errorf("complete(c) = %s", got)
	}
	if got := strings.Join(s.complete("help @"), ","); got != "help @connection,help @string" {
		t.Errorf("complete(help @) = %s", got)
	}
}

// editLines runs the editor over keys and returns the lines it gave back.
func editLines(keys []byte, s *session) ([]string, string) {
	var out bytes.Buffer
	e := &lineEditor{r: bytes.NewReader(keys), w: &out, bell: io.Discard, cols: 30}
	if s != nil {
		e.complete, e.hint = s.complete, s.hint
	}
	var lines []string
	for i := 0; i < 1000; i++ {
		line, err := e.edit("p> ")
		if err == io.EOF {
			break
		}
		if err == nil {
			lines = append(lines, line)
			e.AppendHistory(line)
		}
	}
	return lines, out.String()
}

func TestLineEditorKeys(t *testing.T) {
	s := &session{help: buildHelp(testDocs())}
	for _, c := range []struct{ keys, want string }{
		{"get x\r", "get x"},
		{"gte\x02\x14\r", "get"},                   // Ctrl-B, Ctrl-T
		{"abc\x01X\x05Y\r", "XabcY"},               // Ctrl-A, Ctrl-E
		{"one two\x17\r", "one "},                  // Ctrl-W
		{"abc\x1b[D\x1b[D\x1b[3~\r", "ac"},         // arrows, Delete
		{"abc\x7f\x08\r", "a"},                     // Backspace, Ctrl-H
		{"abc\x15x\r", "x"},                        // Ctrl-U
		{"abc\x1b[D\x1b[D\x0b\r", "a"},             // Ctrl-K
		{"cl\t\r", "CLIENT"},                       // Tab takes the first candidate
		{"cl\t\t\r", "CLIENT KILL"},                // the next one
		{"cl\t\t\t\r", "cl"},                       // back to what was typed
		{"cl\t\x1b[C\r", "cl"},                     // Esc keeps what was typed
		{"first\rsecond\r\x1b[A\x1b[A\r", "first"}, // history
	} {
		lines, _ := editLines([]byte(c.keys), s)
		if len(lines) == 0 || lines[len(lines)-1] != c.want {
			t.Errorf("keys %q gave %q, want last %q", c.keys, lines, c.want)
		}
	}
	_, drawn := editLines([]byte("set k"), s)
	if !strings.Contains(drawn, "\x1b[0;90;49m value [NX|XX] [FIELDS\x1b[0m") {
		t.Errorf("no grey hint cut to the width in %q", drawn)
	}
}

// FuzzLineEditor feeds arbitrary keys to the editor (escape sequences,
// Tab cycles, history moves on a narrow screen): it must not panic, and
// every line it returns fits linenoise's buffer.
func FuzzLineEditor(f *testing.F) {
	f.Add([]byte("set k v\r"))
	f.Add([]byte("cl\t\t\x1b[A\x1b[B\x1b[3~\x14\x17\r"))
	f.Add([]byte("\x1b[1~\x1bOH\x1b[F\x0c\x04\x04"))
	f.Add([]byte("help @\t\t\t\t\r\x10\x0e\r"))
	s := &session{help: buildHelp(testDocs())}
	f.Fuzz(func(t *testing.T, keys []byte) {
		lines, _ := editLines(keys, s)
		for _, l := range lines {
			if len(l) > maxLine-1 {
				t.Fatalf("a line of %d bytes", len(l))
			}
		}
	})
}

// FuzzHints: any typed line gets a hint and completions without a panic.
func FuzzHints(f *testing.F) {
	f.Add("set k v ")
	f.Add("client kill \"a")
	f.Add("help  @s")
	s := &session{help: buildHelp(testDocs())}
	f.Fuzz(func(t *testing.T, line string) {
		s.hint(line)
		s.complete(line)
	})
}
