package durability

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/testutil"
)

// do runs one command and fails the test on a transport error.
func do(t *testing.T, c *testutil.Conn, args ...string) resp.Value {
	t.Helper()
	v, err := c.Do(args...)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return v
}

// digest is DEBUG DIGEST.
func digest(t *testing.T, n *testutil.Node) string {
	t.Helper()
	c := n.Dial(t)
	defer c.Close()
	v := do(t, c, "DEBUG", "DIGEST")
	if v.Kind == resp.KindError {
		t.Fatalf("DEBUG DIGEST: %s", v.Str)
	}
	return string(v.Str)
}

// copyDir copies the files of src into dst (created).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkAOF runs redis-check-aof on a manifest and fails unless it accepts it.
func checkAOF(t *testing.T, manifest string) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-aof")
	if err != nil {
		t.Log("redis-check-aof not installed; not checked")
		return
	}
	out, err := exec.Command(bin, manifest).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "All AOF files and manifest are valid") {
		t.Fatalf("redis-check-aof %s: %v\n%s", manifest, err, out)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func str(v resp.Value) string {
	if v.Kind == resp.KindError {
		return "ERR:" + string(v.Str)
	}
	if v.Null {
		return "<nil>"
	}
	if len(v.Elems) > 0 {
		parts := make([]string, len(v.Elems))
		for i, e := range v.Elems {
			parts[i] = str(e)
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	if v.Kind == resp.KindInt {
		return fmt.Sprint(v.Int)
	}
	return string(v.Str)
}

// readFull reads exactly len(b) bytes.
func readFull(r *bufio.Reader, b []byte) (int, error) { return io.ReadFull(r, b) }
