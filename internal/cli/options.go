package cli

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/shoal-db/shoal/internal/clustermgr"
	"github.com/shoal-db/shoal/internal/resp"
	"github.com/shoal-db/shoal/internal/tlsconf"
)

// Config is what the command line asked for (redis-cli's config struct).
type Config struct {
	Host       string
	Port       int
	Socket     string
	User, Auth string
	AuthSet    bool
	AskPass    bool
	DB         int
	Repeat     int64
	Interval   float64 // seconds
	StdinLast  bool
	StdinTag   string
	Output     int
	MBDelim    string
	CmdDelim   string
	Cluster    bool
	SetErrCode bool
	RESP3      int // 0 no, 1 -3, 2 implied by --json (a failed HELLO 3 is then not fatal)
	RESP2      bool
	NoAuthWarn bool
	QuotedIn   bool
	PushOutput bool
	Verbose    bool

	Latency, LatencyHistory, LatencyDist bool
	Stat, Scan, Pipe, BigKeys, MemKeys   bool
	HotKeys, Replica, Mono, LRUTest      bool
	FunctionsRDB                         bool // --functions-rdb: RDBFile holds only functions
	LRUTestKeys                          int64
	MemKeysSamples                       int
	Pattern                              *string
	PipeTimeout                          int
	IntrinsicLatency                     int
	IntrinsicLatencyOn                   bool
	RDBFile                              string
	GetRDB                               bool
	Eval                                 string
	LDB, LDBSync                         bool // --ldb, --ldb-sync-mode

	// TLS is --tls (or a rediss:// URI); TLSOpts the other TLS flags.
	TLS     bool
	TLSOpts tlsconf.CLIOptions

	// ClusterLocal is shoal-cli's own --cluster-local start|stop|clean.
	ClusterLocal []string

	Manager clustermgr.Options
	MgrName string // --cluster subcommand, "" when not in manager mode
	MgrArgs []string
}

// exitError ends the program with code after printing msg to stderr.
type exitError struct {
	code int
	msg  string
	out  string // printed to stdout instead (usage)
}

func (e *exitError) Error() string { return e.msg }

// atoi is C's atoi: leading blanks, optional sign, digits, stop at the first
// other byte; 0 when there are none.
func atoi(s string) int {
	n, _ := strconv.Atoi(cNumPrefix(s, false))
	return n
}

func atoll(s string) int64 {
	n, _ := strconv.ParseInt(cNumPrefix(s, false), 10, 64)
	return n
}

func atof(s string) float64 {
	f, _ := strconv.ParseFloat(cNumPrefix(s, true), 64)
	return f
}

func cNumPrefix(s string, float bool) string {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	dot := false
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || float && s[i] == '.' && !dot) {
		if s[i] == '.' {
			dot = true
		}
		i++
	}
	return s[:i]
}

// ParseArgs parses argv (without the program name) as redis-cli 7.0.15
// does and returns the config and the index of the first command word.
func ParseArgs(argv []string, stdoutTTY bool) (*Config, int, error) {
	c := &Config{Host: "127.0.0.1", Port: 6379, Repeat: 1, MBDelim: "\n", CmdDelim: "\n", PipeTimeout: 30}
	c.Manager = clustermgr.DefaultOptions()
	if stdoutTTY || os.Getenv("FAKETTY") != "" {
		c.Output, c.PushOutput = OutputStandard, true
	} else {
		c.Output = OutputRaw
	}
	argc := len(argv)
	i := 0
	for ; i < argc; i++ {
		a := argv[i]
		last := i == argc-1
		next := func() string { i++; return argv[i] }
		switch {
		case a == "-h" && !last:
			c.Host = next()
		case a == "-h" && last, a == "--help":
			return nil, 0, &exitError{code: 0, out: Usage()}
		case a == "-x":
			c.StdinLast = true
		case a == "-X" && !last:
			c.StdinTag = next()
		case a == "-p" && !last:
			c.Port = atoi(next())
		case a == "-s" && !last:
			c.Socket = next()
		case a == "-r" && !last:
			c.Repeat = atoll(next())
		case a == "-i" && !last:
			c.Interval = atof(next())
		case a == "-n" && !last:
			c.DB = atoi(next())
		case a == "--no-auth-warning":
			c.NoAuthWarn = true
		case a == "--askpass":
			c.AskPass = true
		case (a == "-a" || a == "--pass") && !last:
			c.Auth, c.AuthSet = next(), true
		case a == "--user" && !last:
			c.User = next()
		case a == "-u" && !last:
			if err := parseURI(next(), c); err != nil {
				return nil, 0, err
			}
		case a == "--raw":
			c.Output = OutputRaw
		case a == "--no-raw":
			c.Output = OutputStandard
		case a == "--quoted-input":
			c.QuotedIn = true
		case a == "--csv":
			c.Output = OutputCSV
		case a == "--json", a == "--quoted-json":
			if c.RESP3 == 0 {
				c.RESP3 = 2
			}
			c.Output = OutputJSON
			if a == "--quoted-json" {
				c.Output = OutputQuotedJSON
			}
		case a == "--latency":
			c.Latency = true
		case a == "--latency-dist":
			c.LatencyDist = true
		case a == "--latency-history":
			c.Latency, c.LatencyHistory = true, true
		case a == "--mono":
			c.Mono = true
		case a == "--lru-test" && !last:
			c.LRUTest, c.LRUTestKeys = true, atoll(next())
		case a == "--functions-rdb" && !last:
			c.FunctionsRDB, c.RDBFile = true, next()
		case a == "--slave", a == "--replica":
			c.Replica = true
		case a == "--stat":
			c.Stat = true
		case a == "--scan":
			c.Scan = true
		case a == "--pattern" && !last:
			p := next()
			c.Pattern = &p
		case a == "--quoted-pattern" && !last:
			args, _, err := resp.SplitArgs([]byte(next()), nil, nil)
			if err != nil || len(args) != 1 {
				return nil, 0, &exitError{code: 1, msg: "Invalid quoted string specified for --quoted-pattern.\n"}
			}
			p := string(args[0])
			c.Pattern = &p
		case a == "--intrinsic-latency" && !last:
			c.IntrinsicLatencyOn, c.IntrinsicLatency = true, atoi(next())
		case a == "--rdb" && !last:
			c.RDBFile, c.GetRDB = next(), true
		case a == "--pipe":
			c.Pipe = true
		case a == "--pipe-timeout" && !last:
			c.PipeTimeout = atoi(next())
		case a == "--bigkeys":
			c.BigKeys = true
		case a == "--memkeys":
			c.MemKeys, c.MemKeysSamples = true, 0
		case a == "--memkeys-samples":
			c.MemKeys = true
			if !last {
				c.MemKeysSamples = atoi(next())
			}
		case a == "--hotkeys":
			c.HotKeys = true
		case a == "--ldb":
			c.LDB = true
		case a == "--ldb-sync-mode":
			c.LDB, c.LDBSync = true, true
		case a == "--eval" && !last:
			c.Eval = next()
		case a == "-c":
			c.Cluster = true
		case a == "-d" && !last:
			c.MBDelim = next()
		case a == "-D" && !last:
			c.CmdDelim = next()
		case a == "-e":
			c.SetErrCode = true
		case a == "--verbose":
			c.Verbose = true
		case a == "--cluster-local":
			// shoal-cli only: the rest of the line belongs to the local
			// cluster command.
			c.ClusterLocal = append([]string{}, argv[i+1:]...)
			return c, argc, nil
		case a == "--cluster" && !last:
			if c.MgrName != "" {
				return nil, 0, &exitError{code: 1, msg: Usage()}
			}
			c.MgrName = next()
			j := i
			for j+1 < argc && !strings.HasPrefix(argv[j+1], "-") {
				j++
			}
			c.MgrArgs = append([]string{}, argv[i+1:j+1]...)
			i = j
		case a == "--cluster" && last:
			return nil, 0, &exitError{code: 1, msg: Usage()}
		case a == "--cluster-only-masters":
			c.Manager.OnlyMasters = true
		case a == "--cluster-only-replicas":
			c.Manager.OnlyReplicas = true
		case a == "--cluster-replicas" && !last:
			c.Manager.Replicas = atoi(next())
		case a == "--cluster-master-id" && !last:
			c.Manager.MasterID = next()
		case a == "--cluster-from" && !last:
			c.Manager.From = next()
		case a == "--cluster-to" && !last:
			c.Manager.To = next()
		case a == "--cluster-from-user" && !last:
			c.Manager.FromUser = next()
		case a == "--cluster-from-pass" && !last:
			c.Manager.FromPass = next()
		case a == "--cluster-from-askpass":
			c.Manager.FromAskPass = true
		case a == "--cluster-weight" && !last:
			if c.Manager.Weights != nil {
				return nil, 0, &exitError{code: 1, msg: "WARNING: you cannot use --cluster-weight more than once.\n" +
					"You can set more weights by adding them as a space-separated list, ie:\n" +
					"--cluster-weight n1=w n2=w\n"}
			}
			w := []string{}
			for j := i + 1; j < argc; j++ {
				if strings.HasPrefix(argv[j], "--") || !strings.Contains(argv[j], "=") {
					break
				}
				w = append(w, argv[j])
			}
			if len(w) > 0 {
				c.Manager.Weights = w
				i += len(w)
			}
		case a == "--cluster-slots" && !last:
			c.Manager.Slots = atoi(next())
		case a == "--cluster-timeout" && !last:
			c.Manager.Timeout = atoi(next())
		case a == "--cluster-pipeline" && !last:
			c.Manager.Pipeline, c.Manager.PipelineSet = atoi(next()), true
		case a == "--cluster-threshold" && !last:
			c.Manager.Threshold = atof(next())
		case a == "--cluster-yes":
			c.Manager.Yes = true
		case a == "--cluster-simulate":
			c.Manager.Simulate = true
		case a == "--cluster-replace":
			c.Manager.Replace = true
		case a == "--cluster-copy":
			c.Manager.Copy = true
		case a == "--cluster-slave":
			c.Manager.Slave = true
		case a == "--cluster-use-empty-masters":
			c.Manager.UseEmptyMasters = true
		case a == "--cluster-search-multiple-owners":
			c.Manager.CheckOwners = true
		case a == "--cluster-fix-with-unreachable-masters":
			c.Manager.FixWithUnreachable = true
		case a == "--cluster-parallel" && !last:
			c.Manager.Parallel = atoi(next())
		case a == "--cluster-replica-lag":
			c.Manager.ReplicaLag = true
		case a == "--tls":
			c.TLS = true
		case a == "--sni" && !last:
			c.TLSOpts.SNI = next()
		case a == "--cacertdir" && !last:
			c.TLSOpts.CACertDir = next()
		case a == "--cacert" && !last:
			c.TLSOpts.CACert = next()
		case a == "--cert" && !last:
			c.TLSOpts.Cert = next()
		case a == "--key" && !last:
			c.TLSOpts.Key = next()
		case a == "--tls-ciphers" && !last:
			c.TLSOpts.Ciphers = next()
		case a == "--insecure":
			c.TLSOpts.Insecure = true
		case a == "--tls-ciphersuites" && !last:
			c.TLSOpts.Ciphersuites = next()
		case a == "-v", a == "--version":
			return nil, 0, &exitError{code: 0, out: "shoal-cli " + Version + "\n"}
		case a == "-2":
			c.RESP2 = true
		case a == "-3":
			c.RESP3 = 1
		case a == "--show-pushes" && !last:
			v := strings.ToLower(next())
			switch {
			case strings.HasPrefix(v, "n"):
				c.PushOutput = false
			case strings.HasPrefix(v, "y"):
				c.PushOutput = true
			default:
				fmt.Fprintf(os.Stderr, "Unknown --show-pushes value '%s' (valid: '[y]es', '[n]o')\n", argv[i])
			}
		case c.MgrName != "" && !strings.HasPrefix(a, "-"):
			if len(c.MgrArgs) == 0 {
				j := i + 1
				for j < argc && !strings.HasPrefix(argv[j], "-") {
					j++
				}
				c.MgrArgs = append([]string{}, argv[i:j]...)
				if j-i > 1 {
					i = j - 1
				}
			}
		default:
			if strings.HasPrefix(a, "-") {
				return nil, 0, &exitError{code: 1, msg: fmt.Sprintf("Unrecognized option or bad number of args for: '%s'\n", a)}
			}
			goto done
		}
	}
done:
	if c.Socket != "" && c.Cluster {
		return nil, 0, &exitError{code: 1, msg: "Options -c and -s are mutually exclusive.\n"}
	}
	if c.RESP2 && c.RESP3 == 1 {
		return nil, 0, &exitError{code: 1, msg: "Options -2 and -3 are mutually exclusive.\n"}
	}
	if c.LDB && c.Eval == "" {
		return nil, 0, &exitError{code: 1, msg: "Options --ldb and --ldb-sync-mode require --eval.\nTry " + progName() + " --help for more information.\n"}
	}
	if !c.NoAuthWarn && c.AuthSet {
		fmt.Fprint(os.Stderr, "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n")
	}
	if c.FunctionsRDB && c.GetRDB {
		return nil, 0, &exitError{code: 1, msg: "Option --functions-rdb and --rdb are mutually exclusive.\n"}
	}
	if c.StdinLast && c.StdinTag != "" {
		return nil, 0, &exitError{code: 1, msg: "Options -x and -X are mutually exclusive.\n"}
	}
	return c, i, nil
}

// progName is argv[0] as redis-cli prints it.
func progName() string {
	if len(os.Args) > 0 {
		return os.Args[0]
	}
	return "shoal-cli"
}

// parseURI is redis-cli's parseRedisUri:
// redis[s]://[[user:]pass@][host[:port]][/db]; rediss:// turns TLS on.
func parseURI(uri string, c *Config) error {
	scheme := "redis://"
	if len(uri) >= len("rediss://") && strings.EqualFold(uri[:len("rediss://")], "rediss://") {
		scheme, c.TLS = "rediss://", true
	}
	if len(uri) < len(scheme) || !strings.EqualFold(uri[:len(scheme)], scheme) {
		return &exitError{code: 1, msg: "Invalid URI scheme\n"}
	}
	cur := uri[len(scheme):]
	if cur == "" {
		return nil
	}
	if at := strings.IndexByte(cur, '@'); at >= 0 {
		if colon := strings.IndexByte(cur, ':'); colon >= 0 && colon < at {
			u, err := percentDecode(cur[:colon])
			if err != nil {
				return err
			}
			c.User = u
			cur = cur[colon+1:]
			at = strings.IndexByte(cur, '@')
		}
		p, err := percentDecode(cur[:at])
		if err != nil {
			return err
		}
		c.Auth, c.AuthSet = p, true
		cur = cur[at+1:]
	}
	if cur == "" {
		return nil
	}
	path := strings.IndexByte(cur, '/')
	if cur[0] != '/' {
		hostEnd := len(cur)
		if path >= 0 {
			hostEnd = path
		}
		hostport := cur[:hostEnd]
		if colon := strings.IndexByte(cur, ':'); colon >= 0 {
			c.Port = atoi(cur[colon+1:])
			if colon < hostEnd {
				hostport = cur[:colon]
			}
		}
		c.Host = hostport
	}
	if path < 0 {
		return nil
	}
	cur = cur[path+1:]
	if cur == "" {
		return nil
	}
	c.DB = atoi(cur)
	return nil
}

func percentDecode(s string) (string, error) {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if len(s)-i < 2 {
			return "", &exitError{code: 1, msg: "Incomplete URI encoding\n"}
		}
		h, l := lowerHex(s[i+1]), byte(0)
		if i+2 < len(s) {
			l = lowerHex(s[i+2])
		}
		if h == 0xff || l == 0xff || i+2 >= len(s) {
			return "", &exitError{code: 1, msg: "Illegal character in URI encoding\n"}
		}
		b = append(b, h<<4|l)
		i += 2
	}
	return string(b), nil
}

func lowerHex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0xff
}
