package client

import (
	"strconv"
	"strings"
)

// InfoField returns the value of field in an INFO text, as redis-cli's
// getInfoField reads it: the text after the first "field:" up to '\r' or
// ',' (so "db0:keys" finds the keys count inside "db0:keys=1,expires=0").
func InfoField(info, field string) (string, bool) {
	p := strings.Index(info, field)
	if p < 0 || p+len(field) >= len(info) {
		return "", false
	}
	s := info[p+len(field)+1:]
	end := strings.IndexByte(s, '\r')
	if c := strings.IndexByte(s, ','); c >= 0 && (end < 0 || c < end) {
		end = c
	}
	if end < 0 {
		end = len(s)
	}
	return s[:end], true
}

// InfoInt is InfoField read as C's strtol does (leading digits, 0 if none).
func InfoInt(info, field string) (int64, bool) {
	s, ok := InfoField(info, field)
	if !ok {
		return 0, false
	}
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.ParseInt(s[:i], 10, 64)
	return n, true
}
