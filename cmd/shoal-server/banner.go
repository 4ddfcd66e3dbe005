package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	"github.com/shoal-db/shoal/internal/server"
	"golang.org/x/term"
)

// commit may be set at link time (-ldflags "-X main.commit=<sha>") where
// Go's VCS stamp is off (-buildvcs=false).
var commit string

// buildCommit is the commit the binary was built from (the link-time
// commit, else Go's VCS stamp), at most 12 hex digits, "00000000" as in
// Redis when unknown; and whether the tree had changes: "0" or "1".
func buildCommit() (sha, modified string) {
	sha, modified = "00000000", "0"
	if commit != "" {
		return commit[:min(12, len(commit))], modified
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				sha = s.Value[:min(12, len(s.Value))]
			case "vcs.modified":
				if s.Value == "true" {
					modified = "1"
				}
			}
		}
	}
	return sha, modified
}

// versionLine is `shoal-server --version`: Redis's fields, naming Shoal,
// its commit and the Redis version it speaks.
func versionLine() string {
	sha, mod := buildCommit()
	return fmt.Sprintf("Shoal server v=%s sha=%s:%s malloc=go bits=64 build=shoal", server.Version, sha, mod)
}

// showLogo is Redis's rule: always-show-logo yes, or the log goes to a
// terminal.
func showLogo(always bool, logfile string) bool {
	return always || (logfile == "" && term.IsTerminal(int(os.Stdout.Fd())))
}

// logo is Shoal's start-up banner, printed where Redis prints its ASCII
// logo, with the lines operators look for (mode, Port, PID).
func logo(mode string, port, pid int) string {
	sha, mod := buildCommit()
	lines := []string{
		"",
		"      ><(((º>     ><(((º>",
		"   ><(((º>    ><(((º>          Shoal " + server.Version + " (" + sha + "/" + mod + ") 64 bit",
		"       ><(((º>       ><(((º>",
		"  ><(((º>      ><(((º>         Running in " + mode + " mode",
		fmt.Sprintf("      ><(((º>    ><(((º>        Port: %d", port),
		fmt.Sprintf("   ><(((º>   ><(((º>           PID: %d", pid),
		"",
		"        a Redis Cluster in Go, speaking Redis " + server.Version,
		"",
	}
	return strings.Join(lines, "\n") + "\n"
}
