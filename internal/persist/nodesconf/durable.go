package nodesconf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"syscall"
)

// A durable save (cluster.Ready SyncConfig: an epoch bump, a slot taken by
// SETSLOT NODE, a vote) used to be WriteAtomic: temp file, fsync, rename,
// directory fsync, ~4-7 ms on this machine's ext4, paid on every node for
// every slot a reshard moves. Redis 7.0's clusterSaveConfig rewrites the file
// in place with one fsync (~1 ms) and is not power-loss safe: a torn write
// leaves a mix of old and new blocks that may load as neither.
//
// WriteDurable keeps the in-place rewrite (so nodes.conf stays the file Redis
// writes, on the same inode, under the same flock) and makes it safe with a
// double write: the new text first goes, checksummed, to a journal beside
// the file (".<name>.journal"), fdatasync; then into path in place, padded
// to the old length as Redis pads it, fdatasync, truncate; then the journal
// is voided (not synced). Two in-place fdatasyncs, no rename, no directory
// fsync. ReadFile undoes what a crash leaves:
//
//   - torn journal (crash in step 1): its checksum fails, it is ignored;
//     path still holds the previous save untouched.
//   - valid journal that differs from path (crash in step 2): path may be
//     torn; the journal's text is the save, and ReadFile returns it.
//   - valid journal equal to path, or a voided journal: path is whole.
//
// A journal is voided right after its save, so a nodes.conf edited or
// written by a Redis node afterwards is read as it is.

const (
	journalMagic  = "SHOALNC1"
	journalHeader = len(journalMagic) + 8 // magic, uint32 length, uint32 CRC-32C of magic+length+text (little endian)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// JournalPath is the journal WriteDurable keeps beside path.
func JournalPath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".journal")
}

// encodeJournal is the journal's content for data.
func encodeJournal(data []byte) []byte {
	buf := make([]byte, journalHeader+len(data))
	copy(buf, journalMagic)
	binary.LittleEndian.PutUint32(buf[len(journalMagic):], uint32(len(data)))
	copy(buf[journalHeader:], data)
	binary.LittleEndian.PutUint32(buf[len(journalMagic)+4:], journalSum(buf[:len(journalMagic)+4], data))
	return buf
}

// journalSum covers the magic and the length as well as the text: a zeroed
// block (CRC-32C of nothing is 0) or a stale length never checks.
func journalSum(head, data []byte) uint32 {
	return crc32.Update(crc32.Checksum(head, castagnoli), castagnoli, data)
}

// decodeJournal returns the text a journal holds, or ok false for a voided,
// torn, truncated or foreign one. Bytes after the recorded length (left from
// a longer earlier save) are ignored.
func decodeJournal(j []byte) (data []byte, ok bool) {
	if len(j) < journalHeader || string(j[:len(journalMagic)]) != journalMagic {
		return nil, false
	}
	n := binary.LittleEndian.Uint32(j[len(journalMagic):])
	sum := binary.LittleEndian.Uint32(j[len(journalMagic)+4:])
	if uint64(n) > uint64(len(j)-journalHeader) {
		return nil, false
	}
	data = j[journalHeader : journalHeader+int(n)]
	if n == 0 || journalSum(j[:len(journalMagic)+4], data) != sum {
		return nil, false
	}
	return data, true
}

// WriteDurable replaces the content of path with data, durably and safe
// against a crash or power loss at any point (see ReadFile), at the cost of
// two fdatasyncs of files rewritten in place.
func WriteDurable(path string, data []byte) error {
	jpath := JournalPath(path)
	j, err := os.OpenFile(jpath, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer j.Close()
	created, err := isEmpty(j)
	if err != nil {
		return err
	}
	if _, err := j.WriteAt(encodeJournal(data), 0); err != nil {
		return err
	}
	if err := fdatasync(j); err != nil {
		return err
	}
	if created { // the journal's directory entry must survive too, once
		dir, _ := filepath.Split(path)
		if dir == "" {
			dir = "."
		}
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	if err := writePadded(path, data, true); err != nil {
		return err
	}
	// Void the journal, its whole header (a torn next save must not pair a
	// new magic with this save's length and sum); no sync: if this is
	// lost, the journal equals path.
	_, err = j.WriteAt(make([]byte, journalHeader), 0)
	return err
}

func isEmpty(f *os.File) (bool, error) {
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	return st.Size() == 0, nil
}

// writePadded writes data at the start of path, padded with '\n' to the
// file's old length (blank lines, which readers skip), fdatasyncs if sync,
// then truncates to len(data): clusterSaveConfig's sequence.
func writePadded(path string, data []byte, sync bool) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	buf := data
	if old := st.Size(); old > int64(len(data)) {
		buf = make([]byte, old)
		copy(buf, data)
		for i := len(data); i < len(buf); i++ {
			buf[i] = '\n'
		}
	}
	_, err = f.WriteAt(buf, 0)
	if err == nil && sync {
		err = fdatasync(f)
	}
	if err == nil && len(buf) != len(data) {
		err = f.Truncate(int64(len(data)))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func fdatasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}

// ReadFile reads the nodes.conf at path as the last save left it: if a
// crash interrupted WriteDurable after its journal was durable, path may be
// torn and the journal's text is returned instead, with recovered true (the
// caller should save it again). A missing path reads as empty.
func ReadFile(path string) (data []byte, recovered bool, err error) {
	data, err = os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, false, err
	}
	j, jerr := os.ReadFile(JournalPath(path))
	if jerr != nil {
		if errors.Is(jerr, os.ErrNotExist) {
			return data, false, nil
		}
		return nil, false, jerr
	}
	return recoverText(data, j)
}

// recoverText is ReadFile's choice between the file's bytes and the
// journal's.
func recoverText(file, journal []byte) ([]byte, bool, error) {
	saved, ok := decodeJournal(journal)
	if !ok || bytes.Equal(bytes.TrimRight(file, "\n"), bytes.TrimRight(saved, "\n")) {
		return file, false, nil
	}
	return bytes.Clone(saved), true, nil
}

// Journal is the journal WriteDurable writes for data before it touches the
// file: what a crash between its two fdatasyncs leaves beside the file
// (crash tests outside this package build that state with it).
func Journal(data []byte) []byte { return encodeJournal(data) }
