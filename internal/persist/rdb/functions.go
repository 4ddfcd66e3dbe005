package rdb

import (
	"encoding/binary"
	"errors"
)

// FUNCTION DUMP's payload is the RDB functions section: per library the
// opcode RDB_OPCODE_FUNCTION2 and the library's code as an RDB string, then
// the footer of a DUMP payload (RDB version, CRC64). An RDB file holds the
// same records after its aux fields (Reader yields them as ItemFunction).

// Errors of ParseFunctionsDump, with FUNCTION RESTORE's texts.
var (
	ErrNotFunction      = errors.New("given type is not a function")
	ErrFunctionsPayload = errors.New("failed loading the given functions payload")
)

// AppendFunctionsDump appends FUNCTION DUMP's payload for the libraries'
// codes (functionDumpCommand); strings are written as rdbSaveRawString
// does with s's compression setting.
func AppendFunctionsDump(dst []byte, codes [][]byte, s Settings) []byte {
	start := len(dst)
	dst = AppendFunctions(dst, codes, s)
	dst = binary.LittleEndian.AppendUint16(dst, Version)
	return binary.LittleEndian.AppendUint64(dst, CRC64(0, dst[start:]))
}

// AppendFunctions appends the functions section of an RDB file
// (rdbSaveFunctions): one RDB_OPCODE_FUNCTION2 record per library.
func AppendFunctions(dst []byte, codes [][]byte, s Settings) []byte {
	e := encoder{compress: s.Compress}
	defer e.release()
	for _, c := range codes {
		dst = append(dst, opFunction2)
		dst = e.appendString(dst, c)
	}
	return dst
}

// ParseFunctionsDump checks a FUNCTION RESTORE payload's footer
// (verifyDumpPayload) and returns the library codes it holds.
func ParseFunctionsDump(payload []byte) ([][]byte, error) {
	if len(payload) < 10 {
		return nil, ErrVersionOrChecksum
	}
	footer := payload[len(payload)-10:]
	if binary.LittleEndian.Uint16(footer) > Version || CRC64(0, payload[:len(payload)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return nil, ErrVersionOrChecksum
	}
	d := decoder{p: payload[:len(payload)-10]}
	var codes [][]byte
	for len(d.p) > 0 {
		t, err := d.readByte()
		if err != nil {
			return nil, ErrFunctionsPayload
		}
		if t != opFunction2 {
			return nil, ErrNotFunction
		}
		code, err := d.readString()
		if err != nil {
			return nil, ErrFunctionsPayload
		}
		codes = append(codes, append([]byte(nil), code...))
	}
	return codes, nil
}

// Function writes one library's code (the RDB functions section).
func (w *Writer) Function(code []byte) error {
	w.buf = append(w.buf[:0], opFunction2)
	w.buf = w.enc.enc.appendString(w.buf, code)
	return w.flush()
}
