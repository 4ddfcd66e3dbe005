package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// FileError is a fatal configuration error. Error() is exactly the text
// redis-server writes to stderr before exiting, so the server can print it
// as is.
type FileError struct {
	Line   int    // 1-based line in the text being parsed; 0 = not about a line
	Text   string // the offending line, trimmed
	Reason string // Redis's reason, e.g. "argument couldn't be parsed into an integer"
	Open   bool   // the file could not be opened (Redis logs this differently)
}

func (e *FileError) Error() string {
	if e.Open {
		return e.Reason
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", Version)
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n", e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	fmt.Fprintf(&b, "%s\n", e.Reason)
	return b.String()
}

// RenameCommand is a rename-command line: the server applies it to its
// command table (server.ApplyRenames) and reports a bad one as a
// FileError at Line.
type RenameCommand struct {
	Old, New string
	Line     int    // 1-based, in the text it was read from
	Text     string // the line, trimmed
}

// Fail is the fatal error for this line with Redis's reason.
func (r RenameCommand) Fail(reason string) *FileError {
	return &FileError{Line: r.Line, Text: r.Text, Reason: reason}
}

// DaemonizeRefused is the reason given for "daemonize yes".
const DaemonizeRefused = "Shoal does not daemonize: set 'daemonize no' and run it under a supervisor (systemd, a container, nohup)"

// Load reads the config file at path (none if path is "") and then args,
// the command-line overrides redis-server takes after the file name
// ("--port", "7001", "--save", "", …). Like redis-server it appends the
// overrides to the file's text as extra lines, so the line numbers in errors
// count on past the end of the file. Errors are *FileError.
func Load(path string, args []string) (*Config, error) {
	c := Default()
	content := ""
	if path != "" {
		abs, err := filepath.Abs(path)
		if err != nil {
			abs = path
		}
		c.file = abs
		text, ferr := readConfigFiles(path)
		if ferr != nil {
			return nil, ferr
		}
		content = text
	}
	if opts := argsToOptions(args); opts != "" {
		content += "\n" + opts
	}
	if err := c.loadString(content); err != nil {
		return nil, err
	}
	return c, nil
}

// parse is Load without the file system: no include, no dir or logfile
// checks. Used by the fuzz target.
func parse(content string) (*Config, error) {
	c := Default()
	c.fsChecks = false
	if err := c.loadString(content); err != nil {
		return nil, err
	}
	return c, nil
}

// readConfigFiles reads path, or every file path matches when it holds glob
// characters (a pattern matching nothing reads as empty), like
// loadServerConfig.
func readConfigFiles(path string) (string, error) {
	if strings.ContainsAny(path, "*?[") {
		matches, err := filepath.Glob(path)
		if err != nil {
			return "", nil
		}
		var b strings.Builder
		for _, m := range matches {
			data, err := os.ReadFile(m)
			if err != nil {
				return "", openError(m, err)
			}
			b.Write(data)
		}
		return b.String(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", openError(path, err)
	}
	return string(data), nil
}

func openError(path string, err error) error {
	return &FileError{Open: true, Reason: fmt.Sprintf("Fatal error, can't open config file '%s': %s", path, strerror(err))}
}

// argsToOptions turns command-line arguments into config lines the way
// redis-server's main() does: "--name" starts a line, other arguments are
// appended quoted, and a bare "--save" (last, or followed by another
// "--option") means save "".
func argsToOptions(args []string) string {
	var b strings.Builder
	handledLast := true
	for j, a := range args {
		if handledLast && strings.HasPrefix(a, "--") {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			b.WriteByte(' ')
			parts, _ := splitArgs(a)
			if len(parts) == 1 {
				handledLast = false
				last := j == len(args)-1
				if strings.EqualFold(a, "--save") && (last || strings.HasPrefix(args[j+1], "--")) {
					b.WriteString(`""`)
					handledLast = !last
				}
			} else {
				handledLast = true
			}
			continue
		}
		b.WriteString(repr(a))
		b.WriteByte(' ')
		handledLast = true
	}
	return b.String()
}

// deprecated directives are accepted and ignored (with this many words).
var deprecated = map[string]int{
	"list-max-ziplist-entries": 2,
	"list-max-ziplist-value":   2,
	"lua-replicate-commands":   2,
}

// loadString is loadServerConfigFromString.
func (c *Config) loadString(content string) error {
	c.inFile = true
	lines := strings.Split(content, "\n")
	fail := func(i int, reason string) error {
		return &FileError{Line: i + 1, Text: lines[i], Reason: reason}
	}
	for i := range lines {
		lines[i] = strings.Trim(lines[i], " \t\r\n")
		line := lines[i]
		if line == "" || line[0] == '#' {
			continue
		}
		argv, ok := splitArgs(line)
		if !ok {
			return fail(i, "Unbalanced quotes in configuration line")
		}
		if len(argv) == 0 {
			continue
		}
		argv[0] = asciiLower(argv[0])
		if d := lookup(argv[0]); d != nil {
			if d.flags&multiArg == 0 && len(argv) != 2 {
				return fail(i, wrongArgs)
			}
			vals := argv[1:]
			if d.flags&multiArg != 0 && len(vals) == 1 && vals[0] != "" {
				// Redis splits a multi-argument directive given as one
				// argument (--save "3600 1"), unless it is empty (--save "").
				if sp, ok := splitArgs(vals[0]); ok {
					vals = sp
				}
			}
			if err := d.set(c, vals); err != "" {
				return fail(i, err)
			}
			if d.name == "daemonize" && c.Daemonize {
				return fail(i, DaemonizeRefused)
			}
			continue
		}
		if n, ok := deprecated[argv[0]]; ok && n == len(argv) {
			continue
		}
		switch {
		case argv[0] == "include" && len(argv) == 2:
			if !c.fsChecks {
				continue
			}
			text, err := readConfigFiles(c.resolve(argv[1]))
			if err != nil {
				return err
			}
			if err := c.loadString(text); err != nil {
				return err
			}
			// Redis clears reading_config_file after an include, so later
			// save lines replace rather than add; keep that quirk.
			c.inFile = false
		case argv[0] == "rename-command" && len(argv) == 3:
			c.RenameCommands = append(c.RenameCommands, RenameCommand{Old: argv[1], New: argv[2], Line: i + 1, Text: lines[i]})
		case argv[0] == "user" && len(argv) >= 2:
			c.Users = append(c.Users, argv[1:])
		case argv[0] == "loadmodule" && len(argv) >= 2:
			c.LoadModules = append(c.LoadModules, argv[1:])
		case strings.Contains(argv[0], "."):
			if len(argv) != 2 {
				return fail(i, "Module config specified without value")
			}
			c.ModuleConfigs[argv[0]] = argv[1]
		case argv[0] == "sentinel":
			if len(argv) != 1 {
				return fail(i, "sentinel directive while not in sentinel mode")
			}
		default:
			return fail(i, "Bad directive or wrong number of arguments")
		}
	}
	if c.Logfile != "" && c.fsChecks {
		f, err := os.OpenFile(c.resolve(c.Logfile), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return &FileError{Reason: "Can't open the log file: " + strerror(err)}
		}
		f.Close()
	}
	if c.ClusterEnabled && c.ReplicaOfHost != "" {
		return &FileError{Reason: "replicaof directive not allowed in cluster mode"}
	}
	c.clampHz()
	c.inFile = false
	return nil
}

// clampHz applies Redis's 1..500 limits to hz.
func (c *Config) clampHz() {
	if c.Hz < 1 {
		c.Hz = 1
	}
	if c.Hz > 500 {
		c.Hz = 500
	}
}

// ReplBacklogMinSize is CONFIG_REPL_BACKLOG_MIN_SIZE.
const ReplBacklogMinSize = 16 * 1024

// clampReplBacklog is resizeReplicationBacklog's floor, which Redis applies
// on CONFIG SET only (a smaller value from the config file stays as
// written): CONFIG GET and INFO then show 16 KB.
func (c *Config) clampReplBacklog() {
	if c.ReplBacklogSize < ReplBacklogMinSize {
		c.ReplBacklogSize = ReplBacklogMinSize
	}
}

// resolve makes p absolute against Dir, as if the process had chdir'ed there.
func (c *Config) resolve(p string) string {
	if filepath.IsAbs(p) || c.Dir == "" {
		return p
	}
	return filepath.Join(c.Dir, p)
}
