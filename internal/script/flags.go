package script

import (
	"bytes"
	"strings"

	"github.com/shoal-db/shoal/internal/resp"
)

// Flags are a script's or a function's declared flags (script.c
// scripts_flags_def), plus EvalCompat for an EVAL body without a shebang.
type Flags uint8

// Script flags.
const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagEvalCompat: an EVAL script without a shebang line (Redis's
	// SCRIPT_FLAG_EVAL_COMPAT_MODE): it may write, touch keys of any slot
	// this node serves, and is not checked against OOM or stale state.
	FlagEvalCompat
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagNoWrites, "no-writes"},
	{FlagAllowOOM, "allow-oom"},
	{FlagAllowStale, "allow-stale"},
	{FlagNoCluster, "no-cluster"},
	{FlagAllowCrossSlot, "allow-cross-slot-keys"},
}

// parseFlagName maps one flag name to its bit.
func parseFlagName(s string) (Flags, bool) {
	for _, fn := range flagNames {
		if fn.name == s {
			return fn.f, true
		}
	}
	return 0, false
}

// Names lists the flags in Redis's order (FUNCTION LIST).
func (f Flags) Names() []string {
	var out []string
	for _, fn := range flagNames {
		if f&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	return out
}

// ParseShebang reads an EVAL body's "#!lua flags=..." line
// (evalExtractShebangFlags). It returns the flags and how many bytes the
// shebang takes (the newline stays, so line numbers keep). A body without
// a shebang has FlagEvalCompat.
func ParseShebang(body []byte) (Flags, int, string) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return FlagEvalCompat, 0, ""
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts, _, err := resp.SplitArgs(body[:end], nil, nil)
	if err != nil || len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if string(parts[0]) != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + string(parts[0])
	}
	var flags Flags
	for _, p := range parts[1:] {
		s := string(p)
		if !strings.HasPrefix(s, "flags=") {
			return 0, 0, "Unknown lua shebang option: " + s
		}
		list := s[len("flags="):]
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			f, ok := parseFlagName(name)
			if !ok {
				return 0, 0, "Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, end, ""
}
