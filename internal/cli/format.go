package cli

import (
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/client"
	"github.com/shoal-db/shoal/internal/resp"
)

// Output modes, as redis-cli's config.output.
const (
	OutputStandard = iota // human form, the default on a tty
	OutputRaw             // the default when stdout is not a tty
	OutputCSV
	OutputJSON
	OutputQuotedJSON
)

// Repr quotes b as redis-cli's sdscatrepr does.
func Repr(b []byte) string { return resp.QuoteCLI(b) }

// FormatTTY renders v as redis-cli does on a terminal
// (cliFormatReplyTTY); prefix is the indentation of nested elements.
func FormatTTY(v client.Value, prefix string) string {
	var sb outBuf
	formatTTY(&sb, v, prefix)
	return string(sb)
}

// outBuf is a byte buffer that, unlike strings.Builder, can drop its last
// byte (a map key's newline before " => ").
type outBuf []byte

func (b *outBuf) WriteString(s string) { *b = append(*b, s...) }
func (b *outBuf) Write(p []byte)       { *b = append(*b, p...) }
func (b *outBuf) putByte(c byte)       { *b = append(*b, c) }

func formatTTY(sb *outBuf, v client.Value, prefix string) {
	switch v.Kind {
	case resp.KindError, resp.KindBlobError:
		sb.WriteString("(error) ")
		sb.Write(v.Str)
		sb.putByte('\n')
	case resp.KindSimple:
		sb.Write(v.Str)
		sb.putByte('\n')
	case resp.KindInt:
		sb.WriteString("(integer) ")
		sb.WriteString(strconv.FormatInt(v.Int, 10))
		sb.putByte('\n')
	case resp.KindDouble:
		sb.WriteString("(double) ")
		sb.Write(v.Str)
		sb.putByte('\n')
	case resp.KindBigNumber:
		sb.Write(v.Str)
		sb.putByte('\n')
	case resp.KindVerbatim:
		sb.Write(v.Str[4:])
		sb.putByte('\n')
	case resp.KindBulk:
		if v.Null {
			sb.WriteString("(nil)\n")
			return
		}
		sb.WriteString(Repr(v.Str))
		sb.putByte('\n')
	case resp.KindNull:
		sb.WriteString("(nil)\n")
	case resp.KindBool:
		if v.Int != 0 {
			sb.WriteString("(true)\n")
		} else {
			sb.WriteString("(false)\n")
		}
	case resp.KindArray, resp.KindMap, resp.KindSet, resp.KindPush:
		if v.Null {
			sb.WriteString("(nil)\n")
			return
		}
		if len(v.Elems) == 0 {
			switch v.Kind {
			case resp.KindArray:
				sb.WriteString("(empty array)\n")
			case resp.KindMap:
				sb.WriteString("(empty hash)\n")
			case resp.KindSet:
				sb.WriteString("(empty set)\n")
			default:
				sb.WriteString("(empty push)\n")
			}
			return
		}
		n := len(v.Elems)
		if v.Kind == resp.KindMap {
			n /= 2
		}
		idxlen := len(strconv.Itoa(n))
		childPrefix := prefix + strings.Repeat(" ", idxlen+2)
		sep := byte(')')
		switch v.Kind {
		case resp.KindSet:
			sep = '~'
		case resp.KindMap:
			sep = '#'
		}
		for i := 0; i < len(v.Elems); i++ {
			human := i + 1
			if v.Kind == resp.KindMap {
				human = i/2 + 1
			}
			if i != 0 {
				sb.WriteString(prefix)
			}
			num := strconv.Itoa(human)
			sb.WriteString(strings.Repeat(" ", idxlen-len(num)))
			sb.WriteString(num)
			sb.putByte(sep)
			sb.putByte(' ')
			formatTTY(sb, v.Elems[i], childPrefix)
			if v.Kind == resp.KindMap {
				i++
				*sb = (*sb)[:len(*sb)-1]
				sb.WriteString(" => ")
				if multilineTTY(v.Elems[i]) {
					sb.putByte('\n')
					sb.WriteString(childPrefix)
				}
				formatTTY(sb, v.Elems[i], childPrefix)
			}
		}
	}
}

// multilineTTY mirrors cliIsMultilineValueTTY.
func multilineTTY(v client.Value) bool {
	switch v.Kind {
	case resp.KindArray, resp.KindSet, resp.KindPush:
		if len(v.Elems) == 0 {
			return false
		}
		if len(v.Elems) > 1 {
			return true
		}
		return multilineTTY(v.Elems[0])
	case resp.KindMap:
		if len(v.Elems) == 0 {
			return false
		}
		if len(v.Elems) > 2 {
			return true
		}
		return multilineTTY(v.Elems[1])
	}
	return false
}

// FormatRaw renders v as redis-cli's --raw (cliFormatReplyRaw); mbDelim
// separates the elements of aggregates.
func FormatRaw(v client.Value, mbDelim string) string {
	var sb strings.Builder
	formatRaw(&sb, v, mbDelim, nil)
	return sb.String()
}

// formatRaw is cliFormatReplyRaw; status, when set, renders simple strings
// (the Lua debugger's lines).
func formatRaw(sb *strings.Builder, v client.Value, d string, status func(*strings.Builder, []byte)) {
	if status != nil && v.Kind == resp.KindSimple {
		status(sb, v.Str)
		return
	}
	switch v.Kind {
	case resp.KindNull:
	case resp.KindError, resp.KindBlobError:
		sb.Write(v.Str)
		sb.WriteByte('\n')
	case resp.KindSimple, resp.KindBulk, resp.KindDouble, resp.KindBigNumber:
		if !v.Null {
			sb.Write(v.Str)
		}
	case resp.KindVerbatim:
		sb.Write(v.Str[4:])
	case resp.KindBool:
		if v.Int != 0 {
			sb.WriteString("(true)")
		} else {
			sb.WriteString("(false)")
		}
	case resp.KindInt:
		sb.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.KindArray, resp.KindSet, resp.KindPush:
		for i, e := range v.Elems {
			if i > 0 {
				sb.WriteString(d)
			}
			formatRaw(sb, e, d, status)
		}
	case resp.KindMap:
		for i := 0; i+1 < len(v.Elems); i += 2 {
			if i > 0 {
				sb.WriteString(d)
			}
			formatRaw(sb, v.Elems[i], d, status)
			sb.WriteByte(' ')
			formatRaw(sb, v.Elems[i+1], d, status)
		}
	}
}

// FormatCSV renders v as redis-cli's --csv (cliFormatReplyCSV).
func FormatCSV(v client.Value) string {
	var sb strings.Builder
	formatCSV(&sb, v)
	return sb.String()
}

func formatCSV(sb *strings.Builder, v client.Value) {
	switch v.Kind {
	case resp.KindError, resp.KindBlobError:
		sb.WriteString("ERROR,")
		sb.WriteString(Repr(v.Str))
	case resp.KindSimple:
		sb.WriteString(Repr(v.Str))
	case resp.KindInt:
		sb.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.KindDouble, resp.KindBigNumber:
		sb.Write(v.Str)
	case resp.KindBulk:
		if v.Null {
			sb.WriteString("NULL")
			return
		}
		sb.WriteString(Repr(v.Str))
	case resp.KindVerbatim:
		sb.WriteString(Repr(v.Str[4:]))
	case resp.KindNull:
		sb.WriteString("NULL")
	case resp.KindBool:
		if v.Int != 0 {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case resp.KindArray, resp.KindSet, resp.KindPush, resp.KindMap:
		if v.Null {
			sb.WriteString("NULL")
			return
		}
		for i, e := range v.Elems {
			formatCSV(sb, e)
			if i != len(v.Elems)-1 {
				sb.WriteByte(',')
			}
		}
	}
}

// FormatJSON renders v as redis-cli's --json (quoted false) or
// --quoted-json (quoted true) does (cliFormatReplyJson).
func FormatJSON(v client.Value, quoted bool) string {
	var sb strings.Builder
	formatJSON(&sb, v, quoted)
	return sb.String()
}

func jsonString(sb *strings.Builder, b []byte, quoted bool) {
	if quoted {
		// sdscatrepr's quoting, its backslashes doubled.
		sb.WriteString(strings.ReplaceAll(Repr(b), `\`, `\\`))
		return
	}
	sb.WriteByte('"')
	for _, c := range b {
		switch c {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case '\n':
			sb.WriteString(`\n`)
		case '\f':
			sb.WriteString(`\f`)
		case '\r':
			sb.WriteString(`\r`)
		case '\t':
			sb.WriteString(`\t`)
		case '\b':
			sb.WriteString(`\b`)
		default:
			if c <= 0x1f {
				sb.WriteString(`\u00`)
				sb.WriteByte("0123456789abcdef"[c>>4])
				sb.WriteByte("0123456789abcdef"[c&15])
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
}

func formatJSON(sb *strings.Builder, v client.Value, quoted bool) {
	switch v.Kind {
	case resp.KindError, resp.KindBlobError:
		sb.WriteString("error:")
		jsonString(sb, cStr(v.Str), quoted)
	case resp.KindSimple:
		jsonString(sb, v.Str, quoted)
	case resp.KindInt:
		sb.WriteString(strconv.FormatInt(v.Int, 10))
	case resp.KindDouble, resp.KindBigNumber:
		sb.Write(v.Str)
	case resp.KindBulk:
		if v.Null {
			sb.WriteString("null")
			return
		}
		jsonString(sb, v.Str, quoted)
	case resp.KindVerbatim:
		jsonString(sb, v.Str[4:], quoted)
	case resp.KindNull:
		sb.WriteString("null")
	case resp.KindBool:
		if v.Int != 0 {
			sb.WriteString("true")
		} else {
			sb.WriteString("false")
		}
	case resp.KindArray, resp.KindSet, resp.KindPush:
		if v.Null {
			sb.WriteString("null")
			return
		}
		sb.WriteByte('[')
		for i, e := range v.Elems {
			formatJSON(sb, e, quoted)
			if i != len(v.Elems)-1 {
				sb.WriteByte(',')
			}
		}
		sb.WriteByte(']')
	case resp.KindMap:
		sb.WriteByte('{')
		for i := 0; i+1 < len(v.Elems); i += 2 {
			switch k := v.Elems[i]; k.Kind {
			case resp.KindError, resp.KindBlobError, resp.KindSimple, resp.KindBulk, resp.KindVerbatim:
				formatJSON(sb, k, quoted)
			default:
				// JSON keys are strings: a non-string key is formatted and
				// then quoted unless that already gave a string.
				ks := FormatJSON(k, quoted)
				if strings.HasPrefix(ks, `"`) {
					sb.WriteString(ks)
				} else {
					sb.WriteString(`"` + ks + `"`)
				}
			}
			sb.WriteByte(':')
			formatJSON(sb, v.Elems[i+1], quoted)
			if i != len(v.Elems)-2 {
				sb.WriteByte(',')
			}
		}
		sb.WriteByte('}')
	}
}
