package rdb

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoal-db/shoal/internal/keyspace"
	"github.com/shoal-db/shoal/internal/testutil"
)

// readAll reads a whole file with a Reader into a map of rendered values.
func readAll(t *testing.T, r io.Reader) (map[string]string, map[string]int64, map[string]string) {
	t.Helper()
	rd := NewReader(r, DefaultSettings())
	vals, exp, aux := map[string]string{}, map[string]int64{}, map[string]string{}
	for {
		it, err := rd.Next()
		if err == io.EOF {
			return vals, exp, aux
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		switch it.Kind {
		case ItemAux:
			aux[it.Aux] = it.AuxValue
		case ItemKey:
			vals[string(it.Key)] = render(it.Value)
			exp[string(it.Key)] = it.ExpireMs
		}
	}
}

// TestFileFromRedis: redis-server saves every golden value (restored into
// it) and a key with a TTL; the Reader finds each with the same content.
func TestFileFromRedis(t *testing.T) {
	gs := loadGoldens(t)
	r := testutil.StartRedis(t)
	c := r.Dial(t)
	for _, g := range gs {
		if v := c.MustDo(t, "RESTORE", g.name, "0", string(g.payload)); v.IsError() {
			t.Fatalf("redis RESTORE %s: %s", g.name, v.Str)
		}
	}
	c.MustDo(t, "SET", "ttlkey", "v", "PXAT", "4102444800000")
	c.MustDo(t, "SAVE")
	f, err := os.Open(filepath.Join(r.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vals, exp, aux := readAll(t, f)
	if aux["redis-ver"] != "7.0.15" || aux["redis-bits"] != "64" {
		t.Fatalf("aux fields: %v", aux)
	}
	for _, g := range gs {
		v, err := ParseDump(g.payload, DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		if got := vals[g.name]; sortedText(v.Kind().String(), got) != sortedText(v.Kind().String(), render(v)) {
			t.Errorf("%s: file has %.100q, payload %.100q", g.name, got, render(v))
		}
		if exp[g.name] != -1 {
			t.Errorf("%s: expire %d", g.name, exp[g.name])
		}
	}
	if exp["ttlkey"] != 4102444800000 {
		t.Fatalf("ttlkey expire = %d", exp["ttlkey"])
	}
}

// TestFileToRedis: the Writer writes every golden value; redis-check-rdb
// accepts the file, redis-server loads it and DUMPs the same payloads.
func TestFileToRedis(t *testing.T) {
	testutil.SkipIfNoRedis(t)
	gs := loadGoldens(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := NewWriter(f, DefaultSettings(), true)
	w.Header()
	w.AuxFields(AuxInfo{RedisVer: "7.0.15", Bits: 64, CTime: time.Now().Unix(), UsedMem: 1 << 20})
	w.SelectDB(0)
	w.ResizeDB(uint64(len(gs)+1), 1)
	for _, g := range gs {
		v, err := ParseDump(g.payload, DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Entry([]byte(g.name), v, -1); err != nil {
			t.Fatal(err)
		}
	}
	w.Entry([]byte("ttlkey"), keyspace.Value{Str: "v"}, 4102444800000)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if out, err := exec.Command("redis-check-rdb", path).CombinedOutput(); err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("redis-check-rdb: %v\n%s", err, out)
	}
	// Our own Reader reads it back.
	rf, _ := os.Open(path)
	vals, _, _ := readAll(t, rf)
	rf.Close()
	if len(vals) != len(gs)+1 {
		t.Fatalf("read back %d keys, want %d", len(vals), len(gs)+1)
	}
	r := testutil.StartRedis(t, "--dir", dir)
	c := r.Dial(t)
	if n := c.MustDo(t, "DBSIZE"); n.Int != int64(len(gs)+1) {
		t.Fatalf("redis loaded %d keys", n.Int)
	}
	if v := c.MustDo(t, "PEXPIRETIME", "ttlkey"); v.Int != 4102444800000 {
		t.Fatalf("ttlkey PEXPIRETIME %d", v.Int)
	}
	for _, g := range gs {
		v := c.MustDo(t, "DUMP", g.name)
		if g.enc != "hashtable" && !bytes.Equal(v.Str, g.payload) {
			t.Errorf("%s: redis DUMP after load %s, want %s", g.name, hex.EncodeToString(v.Str), hex.EncodeToString(g.payload))
		}
		if e := c.MustDo(t, "OBJECT", "ENCODING", g.name); string(e.Str) != g.enc {
			t.Errorf("%s: encoding %s want %s", g.name, e.Str, g.enc)
		}
	}
}

func TestReaderErrors(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, DefaultSettings(), true)
	w.Header()
	w.Entry([]byte("k"), keyspace.Value{Str: "v"}, -1)
	w.Close()
	good := buf.Bytes()

	check := func(name string, b []byte, want func(error) bool) {
		t.Helper()
		rd := NewReader(bytes.NewReader(b), DefaultSettings())
		var err error
		for err == nil {
			_, err = rd.Next()
		}
		if !want(err) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	check("good", good, func(err error) bool { return err == io.EOF })
	bad := bytes.Clone(good)
	bad[len(bad)-1] ^= 1
	check("checksum", bad, func(err error) bool { var ce *ChecksumError; return errors.As(err, &ce) })
	zero := bytes.Clone(good)
	copy(zero[len(zero)-8:], make([]byte, 8))
	check("zero checksum", zero, func(err error) bool { return err == io.EOF })
	v11 := bytes.Clone(good)
	copy(v11, "REDIS0011")
	check("version 11", v11, func(err error) bool {
		return err != nil && err.Error() == "Can't handle RDB format version 11"
	})
	check("magic", []byte("RODIS0010"), func(err error) bool { return err == ErrBadMagic })
	check("truncated", good[:len(good)-3], func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) })
}
