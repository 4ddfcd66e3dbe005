package nodesconf

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestWriteDurable: saves that grow and shrink the file leave exactly the
// new text (no padding), a voided journal, the same inode and the flock.
func TestWriteDurable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodes.conf")
	unlock, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	st0, _ := os.Stat(path)
	for _, name := range []string{"cluster3-a.conf", "single.conf", "migrating-a.conf", "failed-replica.conf"} {
		want := readTestdata(t, name)
		if err := WriteDurable(path, want); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: file is\n%q\nwant\n%q", name, got, want)
		}
		j, _ := os.ReadFile(JournalPath(path))
		if _, ok := decodeJournal(j); ok {
			t.Fatalf("%s: journal still valid after the save", name)
		}
		back, recovered, err := ReadFile(path)
		if err != nil || recovered || !bytes.Equal(back, want) {
			t.Fatalf("%s: ReadFile = %q, %v, %v", name, back, recovered, err)
		}
	}
	if st, _ := os.Stat(path); !os.SameFile(st0, st) {
		t.Fatal("WriteDurable replaced the file: the flock no longer covers it")
	}
	if _, err := Lock(path); err == nil {
		t.Fatal("a second Lock succeeded")
	}
	f, _ := os.OpenFile(path, os.O_WRONLY, 0)
	defer f.Close()
	if err := flock(f); err == nil {
		t.Fatal("another descriptor could flock the file: the lock was lost")
	}
}

// mix returns, for each block of size bs, the block of a or of b as mask
// says (a torn write at that granularity); the result is as long as a.
func mix(a, b []byte, bs int, pick func(block int) bool) []byte {
	out := bytes.Clone(a)
	for i := 0; i*bs < len(out); i++ {
		if pick(i) {
			for k := i * bs; k < (i+1)*bs && k < len(out); k++ {
				if k < len(b) {
					out[k] = b[k]
				} else {
					out[k] = 0 // blocks allocated past the old end, never written
				}
			}
		}
	}
	return out
}

// TestCrashStates simulates a crash or power loss at every point of
// WriteDurable, with the disk holding any mix of old and new blocks of the
// file being written, and checks that ReadFile gives the old text or the
// new one, whole — never a mix, and the new one once the journal was
// durable.
func TestCrashStates(t *testing.T) {
	oldText := readTestdata(t, "cluster3-a.conf")
	newText := append(bytes.Clone(readTestdata(t, "migrating-a.conf")), strings.Repeat(" ", 0)...)
	if bytes.Equal(oldText, newText) {
		t.Fatal("texts must differ")
	}
	pad := func(data []byte, n int) []byte { // data padded with '\n' to n bytes
		out := bytes.Clone(data)
		for len(out) < n {
			out = append(out, '\n')
		}
		return out
	}
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(what string, file, journal []byte, want ...[]byte) {
		t.Helper()
		got, _, err := recoverText(file, journal)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, w := range want {
			if w != nil && bytes.Equal(bytes.TrimRight(got, "\n"), bytes.TrimRight(w, "\n")) {
				if _, err := Parse(got); err != nil {
					t.Fatalf("%s: the text read does not parse: %v", what, err)
				}
				return
			}
		}
		t.Fatalf("%s: read\n%q\nwant one of %q", what, got, want)
	}
	for _, oldJournal := range [][]byte{nil, make([]byte, journalHeader+len(oldText)), encodeJournal(oldText), encodeJournal(append(readTestdata(t, "failed-replica.conf"), bytes.Repeat([]byte("\n"), 2000)...))} {
		voided := bytes.Clone(oldJournal)
		if len(voided) >= journalHeader {
			copy(voided, make([]byte, journalHeader))
		}
		for _, prior := range [][]byte{oldJournal, voided} {
			// A journal not voided (the void was lost to a power loss)
			// holds the last durable save; unsynced saves (WriteInPlace)
			// may have changed the file since, and reading that durable
			// save back is right too.
			priorText, _ := decodeJournal(prior)
			priorText = bytes.Clone(priorText)
			newJournal := encodeJournal(newText)
			full := pad(newJournal, len(prior))
			// Step 1 torn: path is the old text; the journal any mix.
			for k := 0; k <= len(full); k++ {
				check("journal new prefix", oldText, append(bytes.Clone(full[:k]), prior[min(k, len(prior)):]...), oldText, newText, priorText)
				if k < len(newJournal) {
					check("journal cut short", oldText, full[:k], oldText, priorText)
				}
				back := mix(pad(prior, len(full)), full, 1, func(i int) bool { return i >= k })
				check("journal new suffix", oldText, back, oldText, newText, priorText)
			}
			for _, bs := range []int{16, 512, 4096} {
				for r := 0; r < 200; r++ {
					torn := mix(pad(prior, len(full)), full, bs, func(int) bool { return rng.IntN(2) == 0 })
					check("journal torn blocks", oldText, torn, oldText, newText, priorText)
				}
			}
		}
	}
	// Step 2 torn: the journal is durable; path is any mix of the old text
	// and the new one padded to the old length, or cut short.
	j := encodeJournal(newText)
	padded := pad(newText, len(oldText))
	oldPadded := pad(oldText, len(padded))
	for k := 0; k <= len(padded); k++ {
		check("file new prefix", append(bytes.Clone(padded[:k]), oldPadded[k:]...), j, newText)
		check("file new suffix", append(bytes.Clone(oldPadded[:k]), padded[k:]...), j, newText)
		check("file cut short", padded[:k], j, newText)
	}
	for _, bs := range []int{16, 512, 4096} {
		for r := 0; r < 300; r++ {
			check("file torn blocks", mix(oldPadded, padded, bs, func(int) bool { return rng.IntN(2) == 0 }), j, newText)
		}
	}
	// Before the truncate: padding lines, which parse as the new text.
	check("padded", pad(newText, len(newText)+300), j, newText)
	f1, err1 := Parse(pad(newText, len(newText)+300))
	f2, err2 := Parse(newText)
	if err1 != nil || err2 != nil || !reflect.DeepEqual(f1, f2) {
		t.Fatalf("padding changes the parse: %v %v", err1, err2)
	}
	// Step 3, the journal voided (or not yet): the new text.
	check("done", newText, j, newText)
	voided := bytes.Clone(j)
	copy(voided, make([]byte, journalHeader))
	check("voided", newText, voided, newText)
	// A file written later by someone else (a Redis node, an editor) is
	// read as it is once the journal is voided.
	check("edited", oldText, voided, oldText)
}

// TestReadFileRecovers: ReadFile on disk returns the journal's text for a
// torn file and says so; without a journal it reads the file.
func TestReadFileRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "nodes.conf")
	newText := readTestdata(t, "migrating-a.conf")
	os.WriteFile(path, newText[:len(newText)/2], 0o644)
	if data, rec, err := ReadFile(path); err != nil || rec || !bytes.Equal(data, newText[:len(newText)/2]) {
		t.Fatalf("no journal: %q %v %v", data, rec, err)
	}
	os.WriteFile(JournalPath(path), encodeJournal(newText), 0o644)
	data, rec, err := ReadFile(path)
	if err != nil || !rec || !bytes.Equal(data, newText) {
		t.Fatalf("torn: %q %v %v", data, rec, err)
	}
	if data, rec, err := ReadFile(filepath.Join(dir, "missing.conf")); err != nil || rec || len(data) != 0 {
		t.Fatalf("missing: %q %v %v", data, rec, err)
	}
}

// FuzzRecover: any file and journal bytes give the file or a journal text
// whose checksum holds, never a panic; a journal that decodes re-encodes
// to its own prefix.
func FuzzRecover(f *testing.F) {
	a, _ := os.ReadFile("testdata/cluster3-a.conf")
	b, _ := os.ReadFile("testdata/migrating-a.conf")
	f.Add(a, encodeJournal(b))
	f.Add(b, encodeJournal(b))
	f.Add(a, []byte(journalMagic))
	f.Add([]byte{}, encodeJournal(nil))
	f.Add(a, append([]byte(journalMagic), make([]byte, 8)...))
	f.Fuzz(func(t *testing.T, file, journal []byte) {
		got, rec, err := recoverText(file, journal)
		if err != nil {
			t.Fatal(err)
		}
		if !rec {
			if !bytes.Equal(got, file) {
				t.Fatal("not recovered, but not the file")
			}
			return
		}
		saved, ok := decodeJournal(journal)
		if !ok || !bytes.Equal(got, saved) {
			t.Fatal("recovered text is not the journal's")
		}
		if enc := encodeJournal(saved); !bytes.HasPrefix(journal, enc) {
			t.Fatal("journal does not re-encode to its prefix")
		}
	})
}

// BenchmarkSave compares the durable saves: WriteAtomic (temp file, fsync,
// rename, directory fsync; the durable save before WriteDurable),
// WriteDurable (journal and file in place, two fdatasyncs) and
// WriteInPlace (no sync), for a 4-master file.
func BenchmarkSave(b *testing.B) {
	data := readTestdata(b, "migrating-a.conf")
	for _, c := range []struct {
		name  string
		write func(string, []byte) error
	}{{"WriteAtomic", WriteAtomic}, {"WriteDurable", WriteDurable}, {"WriteInPlace", WriteInPlace}} {
		b.Run(c.name, func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "nodes.conf")
			for i := 0; i < b.N; i++ {
				if err := c.write(path, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
