package persist

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/shoal-db/shoal/internal/persist/rdb"
	"github.com/shoal-db/shoal/internal/testutil"
)

// Corrupt DUMP payloads and files, on Shoal and on redis-server 7.0.15:
// RESTORE refuses each with "Bad data format" and logs the reason Redis
// logs (at verbose level), whatever sanitize-dump-payload says; a file
// with a corrupt value stops the server with the reason in its log and in
// the check report; an empty collection in a file is skipped by name.

// dumpPayload is a DUMP payload of RDB type typ: body, RDB version 10, CRC64.
func dumpPayload(typ byte, body []byte) []byte {
	p := append([]byte{typ}, body...)
	p = binary.LittleEndian.AppendUint16(p, 10)
	return binary.LittleEndian.AppendUint64(p, rdb.CRC64(0, p))
}

// rdbStr is an RDB string of up to 63 bytes.
func rdbStr(s []byte) []byte { return append([]byte{byte(len(s))}, s...) }

// zlOf builds a ziplist of short strings, then lets edit change it.
func zlOf(edit func(zl []byte), elems ...string) []byte {
	zl := make([]byte, 10)
	prev, tail := 0, 10
	for _, e := range elems {
		tail = len(zl)
		zl = append(zl, byte(prev), byte(len(e)))
		zl = append(zl, e...)
		prev = 2 + len(e)
	}
	zl = append(zl, 0xFF)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(tail))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(elems)))
	if edit != nil {
		edit(zl)
	}
	return zl
}

func TestCorruptPayloadLogged(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	wrongCount := func(zl []byte) { zl[8]++ }
	wrongTail := func(zl []byte) { binary.LittleEndian.PutUint32(zl[4:], 10) }
	cases := []struct {
		name      string
		payload   []byte
		reason    string
		sanitized bool // refused by Redis only under sanitize-dump-payload yes
	}{
		{"quicklist ziplist count", dumpPayload(14, append([]byte{1}, rdbStr(zlOf(wrongCount, "a", "b"))...)),
			"Ziplist integrity check failed.", false},
		{"quicklist ziplist tail", dumpPayload(14, append([]byte{1}, rdbStr(zlOf(wrongTail, "a", "b"))...)),
			"Ziplist integrity check failed.", false},
		{"list ziplist count", dumpPayload(10, rdbStr(zlOf(wrongCount, "a", "b"))),
			"List ziplist integrity check failed.", false},
		{"hash ziplist duplicate", dumpPayload(13, rdbStr(zlOf(nil, "f", "1", "f", "2"))),
			"Hash ziplist integrity check failed.", false},
		{"empty zipmap", dumpPayload(9, rdbStr([]byte{0, 0xFF})), "Zipmap integrity check failed.", false},
		{"zipmap count", dumpPayload(9, rdbStr([]byte{2, 1, 'a', 1, 0, 'b', 0xFF})), "Zipmap integrity check failed.", false},
		{"hash listpack count", dumpPayload(16, rdbStr([]byte{15, 0, 0, 0, 3, 0, 0x81, 'a', 2, 0x81, 'b', 2, 0xFF})),
			"Hash listpack integrity check failed.", true},
	}
	for _, kind := range []string{"shoal", "redis"} {
		t.Run(kind, func(t *testing.T) {
			n := testutil.StartKind(t, kind, "--loglevel", "verbose")
			c := client(t, n)
			// A stream whose two consumers get the same name.
			must(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "s", Values: []string{"f", "v"}}).Err())
			must(t, c.XGroupCreate(ctx, "s", "g", "0").Err())
			must(t, c.XGroupCreateConsumer(ctx, "s", "g", "c1").Err())
			must(t, c.XGroupCreateConsumer(ctx, "s", "g", "c2").Err())
			dump, err := c.Dump(ctx, "s").Result()
			must(t, err)
			p := []byte(dump)
			i := bytes.Index(p, []byte("\x02c2"))
			if i < 0 {
				t.Fatalf("consumer name not found in %q", p)
			}
			copy(p[i:], "\x02c1")
			p = p[:len(p)-8]
			p = binary.LittleEndian.AppendUint64(p, rdb.CRC64(0, p))
			all := append(cases[:len(cases):len(cases)], struct {
				name      string
				payload   []byte
				reason    string
				sanitized bool
			}{"stream duplicate consumer", p, "Duplicate stream consumer detected.", false})
			for _, sanitize := range []string{"no", "yes"} {
				must(t, c.ConfigSet(ctx, "sanitize-dump-payload", sanitize).Err())
				for _, tc := range all {
					if tc.sanitized && sanitize == "no" {
						continue
					}
					before := strings.Count(string(readFile(t, n.Log)), tc.reason)
					err := c.Restore(ctx, "k", 0, string(tc.payload)).Err()
					if err == nil || err.Error() != "ERR Bad data format" {
						t.Errorf("sanitize %s, %s: RESTORE = %v, want ERR Bad data format", sanitize, tc.name, err)
					}
					if got := strings.Count(string(readFile(t, n.Log)), tc.reason); got != before+1 {
						t.Errorf("sanitize %s, %s: %q logged %d times, want once more than %d", sanitize, tc.name, tc.reason, got, before)
					}
					if k, _ := c.Exists(ctx, "k").Result(); k != 0 {
						t.Errorf("sanitize %s, %s: a key was created", sanitize, tc.name)
					}
				}
			}
			must(t, c.Ping(ctx).Err())
		})
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rdbFile is an RDB version 10 file holding, in db 0, key of RDB type typ
// with the encoded value body.
func rdbFile(typ byte, key string, body []byte) []byte {
	f := []byte("REDIS0010")
	f = append(f, 0xFE, 0) // SELECTDB 0
	f = append(f, typ)
	f = append(f, rdbStr([]byte(key))...)
	f = append(f, body...)
	f = append(f, 0xFF)
	return binary.LittleEndian.AppendUint64(f, rdb.CRC64(0, f))
}

// TestCorruptFileLogged: a file whose value fails its integrity check
// stops the server with exit status 1, the reason logged and reported with
// the key and its type; an empty set in a file is skipped, by name.
func TestCorruptFileLogged(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	corrupt := rdbFile(10, "mylist", rdbStr(zlOf(func(zl []byte) { zl[8]++ }, "a", "b")))
	empty := rdbFile(2, "myset", []byte{0})
	for _, kind := range []string{"shoal", "redis"} {
		t.Run(kind, func(t *testing.T) {
			bin := testutil.ShoalServerPath(t)
			if kind == "redis" {
				bin = testutil.RedisBinary()
			}
			run := func(file []byte) (string, error) {
				dir := t.TempDir()
				must(t, os.WriteFile(filepath.Join(dir, "dump.rdb"), file, 0o644))
				port, _ := testutil.FreePort()
				cx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				cmd := exec.CommandContext(cx, bin, "--port", itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "")
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case err := <-done:
					return out.String(), err
				case <-time.After(3 * time.Second):
					// Still running: it loaded; stop it.
					cmd.Process.Signal(os.Interrupt)
					<-done
					return out.String(), nil
				}
			}
			out, err := run(corrupt)
			if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
				t.Fatalf("corrupt file: exit %v, want status 1\n%s", err, out)
			}
			for _, w := range []string{"Terminating server after rdb file reading failure.", "--- RDB ERROR DETECTED ---",
				"[additional info] Reading key 'mylist'", "[additional info] Reading type 10 (list-ziplist)"} {
				if !strings.Contains(out, w) {
					t.Errorf("corrupt file: output lacks %q:\n%s", w, out)
				}
			}
			if n := strings.Count(out, "List ziplist integrity check failed."); n < 2 {
				t.Errorf("corrupt file: reason in the output %d times, want the log line and the report:\n%s", n, out)
			}
			out, _ = run(empty)
			for _, w := range []string{"rdbLoadObject skipping empty key: myset", "empty keys skipped: 1"} {
				if !strings.Contains(out, w) {
					t.Errorf("empty key: output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
