package migrate

import (
	"math"
	"strings"
	"time"

	"github.com/shoal-db/shoal/internal/rediserr"
	"github.com/shoal-db/shoal/internal/rnum"
)

// Request is a parsed MIGRATE host port key|"" destination-db timeout
// [COPY] [REPLACE] [AUTH password] [AUTH2 username password] [KEYS key ...].
type Request struct {
	// Host and Port are the arguments as given; Name ("host:port") names
	// the cached connection, as in Redis.
	Host, Port, Name string
	DB               int64
	// Timeout bounds the connect, each 64 KiB write and each reply line.
	Timeout       time.Duration
	Copy, Replace bool
	// Password is set by AUTH or AUTH2, Username by AUTH2 only (so
	// "AUTH2 u p AUTH q" authenticates as u with q, as Redis does).
	HasPassword        bool
	Username, Password string
	// FirstKey and NumKeys locate the keys in the arguments.
	FirstKey, NumKeys int
}

// Keys returns the key arguments of args (the ones Parse located).
func (r *Request) Keys(args [][]byte) [][]byte { return args[r.FirstKey : r.FirstKey+r.NumKeys] }

// Parse reads MIGRATE's arguments (args[0] is the command name; the
// dispatcher has checked the arity, at least 6) in migrateCommand's order:
// options first, then the timeout, then the database. On error it returns
// the error reply text.
func Parse(args [][]byte) (Request, string) {
	r := Request{FirstKey: 3, NumKeys: 1}
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch strings.ToLower(string(args[j])) {
		case "copy":
			r.Copy = true
		case "replace":
			r.Replace = true
		case "auth":
			if more < 1 {
				return r, rediserr.Syntax
			}
			j++
			r.HasPassword, r.Password = true, string(args[j])
		case "auth2":
			if more < 2 {
				return r, rediserr.Syntax
			}
			r.HasPassword, r.Username, r.Password = true, string(args[j+1]), string(args[j+2])
			j += 2
		case "keys":
			if len(args[3]) != 0 {
				return r, rediserr.MigrateKeysNeedEmpty
			}
			r.FirstKey, r.NumKeys = j+1, len(args)-j-1
			j = len(args)
		default:
			return r, rediserr.Syntax
		}
	}
	timeout, ok := rnum.ParseInt(args[5])
	if !ok {
		return r, rediserr.NotInteger
	}
	db, ok := rnum.ParseInt(args[4])
	if !ok {
		return r, rediserr.NotInteger
	}
	if timeout <= 0 {
		timeout = 1000
	}
	if timeout > math.MaxInt64/int64(time.Millisecond) {
		timeout = math.MaxInt64 / int64(time.Millisecond)
	}
	r.Timeout = time.Duration(timeout) * time.Millisecond
	r.DB = db
	r.Host, r.Port = string(args[1]), string(args[2])
	r.Name = r.Host + ":" + r.Port
	return r, ""
}

// Atoi is C's atoi as Redis applies it to MIGRATE's port: leading spaces,
// an optional sign, then digits up to the first non-digit; 0 if none.
func Atoi(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || (s[i] >= '\t' && s[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > math.MaxInt32 {
			n = math.MaxInt32 + 1 // past an int: overflow, as undefined in C; refuse later
		}
	}
	if neg {
		return -n
	}
	return n
}

// KeyPositions is Redis's migrateGetKeys: the key at index 3, or, in the
// KEYS form (key argument empty), every argument after KEYS. A KEYS option
// after a non-empty key yields no keys (MIGRATE then replies the error).
// It appends to dst and returns it.
func KeyPositions(args [][]byte, dst []int) []int {
	first, num := 3, 1
	if len(args) < 4 {
		return dst
	}
	for i := 6; i < len(args); i++ {
		opt := string(args[i])
		if strings.EqualFold(opt, "keys") {
			if len(args[3]) > 0 {
				num = 0
			} else {
				first, num = i+1, len(args)-i-1
			}
			break
		}
		switch {
		case strings.EqualFold(opt, "auth"):
			i++
		case strings.EqualFold(opt, "auth2"):
			i += 2
		}
	}
	for i := 0; i < num; i++ {
		dst = append(dst, first+i)
	}
	return dst
}
