package aof

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/resp"
)

// File types in the manifest.
const (
	TypeBase    = 'b'
	TypeHistory = 'h'
	TypeIncr    = 'i'
)

// FileInfo is one line of the manifest.
type FileInfo struct {
	Name string
	Seq  int64
	Type byte
}

// Manifest lists the files of an AOF directory: at most one base, then
// incremental files in increasing sequence order (history files are
// leftovers of a rewrite, to be deleted).
type Manifest struct {
	Base    *FileInfo
	History []FileInfo
	Incrs   []FileInfo
	// BaseSeq and IncrSeq are the highest sequence numbers used.
	BaseSeq, IncrSeq int64
}

// ManifestError is a manifest Redis would refuse, with its message and,
// when it is about one line, the line and its number.
type ManifestError struct {
	Msg    string
	Line   string
	LineNo int
}

func (e *ManifestError) Error() string { return e.Msg }

// maxManifestLine is Redis's MANIFEST_MAX_LINE.
const maxManifestLine = 1024

// ParseManifest reads a manifest as aofLoadManifestFromFile does.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	if len(data) == 0 {
		return nil, &ManifestError{Msg: "Found an empty AOF manifest"}
	}
	lineNo := 0
	var maxSeq int64
	for len(data) > 0 {
		// fgets: a line is at most maxManifestLine bytes, newline included.
		n := bytes.IndexByte(data, '\n')
		var raw []byte
		if n < 0 || n >= maxManifestLine {
			if len(data) > maxManifestLine {
				raw, data = data[:maxManifestLine], data[maxManifestLine:]
			} else {
				raw, data = data, nil
			}
		} else {
			raw, data = data[:n+1], data[n+1:]
		}
		lineNo++
		if raw[0] == '#' {
			continue
		}
		if raw[len(raw)-1] != '\n' {
			return nil, &ManifestError{Msg: "The AOF manifest file contains too long line"}
		}
		line := strings.Trim(string(raw), " \t\r\n")
		bad := func(msg string) error { return &ManifestError{Msg: msg, Line: line, LineNo: lineNo} }
		if line == "" {
			return nil, bad("Invalid AOF manifest file format")
		}
		argv, _, err := resp.SplitArgs([]byte(line), nil, nil)
		if err != nil || len(argv) < 6 || len(argv)%2 != 0 {
			return nil, bad("Invalid AOF manifest file format")
		}
		var fi FileInfo
		for i := 0; i < len(argv); i += 2 {
			switch k, v := strings.ToLower(string(argv[i])), argv[i+1]; k {
			case "file":
				fi.Name = string(v)
				if strings.ContainsRune(fi.Name, '/') {
					return nil, bad("File can't be a path, just a filename")
				}
			case "seq":
				fi.Seq = atoll(v)
			case "type":
				if len(v) > 0 {
					fi.Type = v[0]
				}
			}
		}
		if fi.Name == "" || fi.Seq == 0 || fi.Type == 0 {
			return nil, bad("Invalid AOF manifest file format")
		}
		switch fi.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, bad("Found duplicate base file information")
			}
			b := fi
			m.Base, m.BaseSeq = &b, fi.Seq
		case TypeHistory:
			m.History = append(m.History, fi)
		case TypeIncr:
			if fi.Seq <= maxSeq {
				return nil, bad("Found a non-monotonic sequence number")
			}
			m.Incrs = append(m.Incrs, fi)
			m.IncrSeq, maxSeq = fi.Seq, fi.Seq
		default:
			return nil, bad("Unknown AOF file type")
		}
	}
	return m, nil
}

// atoll parses a leading decimal integer as C's atoll (0 when none).
func atoll(b []byte) int64 {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	var n int64
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

// Bytes is the manifest in Redis's format: the base first, then history
// files, then incremental files, one "file NAME seq N type T" line each.
func (m *Manifest) Bytes() []byte {
	var b []byte
	line := func(fi *FileInfo) {
		b = append(b, "file "...)
		b = appendName(b, fi.Name)
		b = append(b, " seq "...)
		b = strconv.AppendInt(b, fi.Seq, 10)
		b = append(b, " type "...)
		b = append(b, fi.Type, '\n')
	}
	if m.Base != nil {
		line(m.Base)
	}
	for i := range m.History {
		line(&m.History[i])
	}
	for i := range m.Incrs {
		line(&m.Incrs[i])
	}
	return b
}

// appendName writes a file name, quoted when sdssplitargs would not read
// it back as one word (Redis's sdsneedsrepr / sdscatrepr).
func appendName(b []byte, name string) []byte {
	if !strings.ContainsAny(name, " \t\r\n\"'\\") && name != "" && isPrintable(name) {
		return append(b, name...)
	}
	b = append(b, '"')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '\\' || c == '"':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 32 || c > 126:
			b = append(b, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func isPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 32 || s[i] > 126 {
			return false
		}
	}
	return true
}

// ManifestName is the manifest's file name for appendfilename.
func ManifestName(appendfilename string) string { return appendfilename + ".manifest" }

// NewBase makes the next base file (seq+1), moving the current base and
// every incremental file to the history list, as
// getNewBaseFileNameAndMarkPreAsHistory does. rdb picks the ".rdb" suffix.
func (m *Manifest) NewBase(appendfilename string, rdb bool) FileInfo {
	if m.Base != nil {
		b := *m.Base
		b.Type = TypeHistory
		m.PushHistory(b)
	}
	m.BaseSeq++
	suffix := ".aof"
	if rdb {
		suffix = ".rdb"
	}
	fi := FileInfo{Name: appendfilename + "." + strconv.FormatInt(m.BaseSeq, 10) + ".base" + suffix, Seq: m.BaseSeq, Type: TypeBase}
	m.Base = &fi
	return fi
}

// LastIncr returns the last incremental file, adding a new one (seq+1) when
// there is none, as getLastIncrAofName does; added reports which.
func (m *Manifest) LastIncr(appendfilename string) (fi FileInfo, added bool) {
	if n := len(m.Incrs); n > 0 {
		return m.Incrs[n-1], false
	}
	return m.NewIncr(appendfilename), true
}

// NewIncr adds the next incremental file (getNewIncrAofName).
func (m *Manifest) NewIncr(appendfilename string) FileInfo {
	m.IncrSeq++
	fi := FileInfo{Name: appendfilename + "." + strconv.FormatInt(m.IncrSeq, 10) + ".incr.aof", Seq: m.IncrSeq, Type: TypeIncr}
	m.Incrs = append(m.Incrs, fi)
	return fi
}

// Files are the files to load, in order: the base, then the incremental ones.
func (m *Manifest) Files() []FileInfo {
	var out []FileInfo
	if m.Base != nil {
		out = append(out, *m.Base)
	}
	return append(out, m.Incrs...)
}

// InstallBase records a finished rewrite: a new base (seq+1) whose data is
// everything before the last incremental file; the old base and the other
// incremental files become history, as backgroundRewriteDoneHandler does.
func (m *Manifest) InstallBase(appendfilename string, rdb bool) FileInfo {
	fi := m.NewBase(appendfilename, rdb)
	if n := len(m.Incrs); n > 1 {
		m.PushHistory(m.Incrs[:n-1]...)
		m.Incrs = append(m.Incrs[:0], m.Incrs[n-1])
	}
	return fi
}

// PushHistory puts files (in their order) at the front of the history
// list, marked history: Redis adds each group of files that became
// history at the head of its list, so the newest come first.
func (m *Manifest) PushHistory(fis ...FileInfo) {
	h := make([]FileInfo, 0, len(fis)+len(m.History))
	for _, fi := range fis {
		fi.Type = TypeHistory
		h = append(h, fi)
	}
	m.History = append(h, m.History...)
}

// Clone is a deep copy.
func (m *Manifest) Clone() *Manifest {
	c := *m
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.History = append([]FileInfo(nil), m.History...)
	c.Incrs = append([]FileInfo(nil), m.Incrs...)
	return &c
}
