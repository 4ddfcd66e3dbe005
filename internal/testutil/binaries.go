package testutil

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Environment variables that point the harness at other binaries.
const (
	EnvRedisServer = "SHOAL_REDIS_SERVER" // path to redis-server
	EnvRedisCLI    = "SHOAL_REDIS_CLI"    // path to redis-cli
)

// buildState is one set of binaries built once per test process.
type buildState struct {
	once sync.Once
	dir  string
	skip string // why the binaries cannot be built yet
	err  error
}

var build, raceBuild buildState

// BuildBinaries builds ./cmd/shoal-server, and ./cmd/shoal-cli if it exists,
// once per test process, and returns the directory holding them. The
// directory is one per module root and build flags, under os.TempDir, so
// test processes share it rather than leave 25 MB behind each (there is no
// hook at the end of a test process to remove a directory of its own);
// each process links its binaries afresh and renames them into place, so
// one never runs another's half-written file. The test is skipped while
// cmd/shoal-server does not exist.
func BuildBinaries(t testing.TB) string {
	t.Helper()
	return build.get(t, nil)
}

// BuildRaceBinaries is BuildBinaries with the race detector compiled in
// (go build -race), into a directory of its own. A race-enabled server
// writes every race it detects to stderr as a "WARNING: DATA RACE" report
// and carries on (GORACE halt_on_error=0, the default); see Node.RaceReports.
func BuildRaceBinaries(t testing.TB) string {
	t.Helper()
	return raceBuild.get(t, []string{"-race"})
}

func (b *buildState) get(t testing.TB, flags []string) string {
	t.Helper()
	b.once.Do(func() { b.build(flags) })
	if b.skip != "" {
		t.Skip(b.skip)
	}
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.dir
}

// ShoalServerPath builds the binaries if needed and returns shoal-server's path.
func ShoalServerPath(t testing.TB) string {
	return filepath.Join(BuildBinaries(t), "shoal-server")
}

// ShoalServerRacePath is ShoalServerPath for the race-enabled build.
func ShoalServerRacePath(t testing.TB) string {
	return filepath.Join(BuildRaceBinaries(t), "shoal-server")
}

func (b *buildState) build(flags []string) {
	root, err := ModuleRoot()
	if err != nil {
		b.err = err
		return
	}
	if _, err := os.Stat(filepath.Join(root, "cmd", "shoal-server")); err != nil {
		b.skip = "cmd/shoal-server does not exist yet in " + root + "; nothing to test against"
		return
	}
	sum := sha256.Sum256([]byte(root + "\x00" + strings.Join(flags, " ")))
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("shoal-bin-%x", sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.err = err
		return
	}
	b.dir = dir
	for _, name := range []string{"shoal-server", "shoal-cli"} {
		pkg := filepath.Join(root, "cmd", name)
		if _, err := os.Stat(pkg); err != nil || (len(flags) > 0 && name != "shoal-server") {
			continue // the race build is for the server only
		}
		final := filepath.Join(dir, name)
		tmp := fmt.Sprintf("%s.%d", final, os.Getpid())
		args := append(append([]string{"build"}, flags...), "-o", tmp, "./cmd/"+name)
		cmd := exec.Command("go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Remove(tmp)
			b.err = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
			return
		}
		if err := os.Rename(tmp, final); err != nil {
			os.Remove(tmp)
			b.err = err
			return
		}
	}
}

// ModuleRoot returns the directory of the main module's go.mod.
func ModuleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside a Go module (go env GOMOD = %q)", gomod)
	}
	return filepath.Dir(gomod), nil
}

// RedisBinary returns the path of redis-server ($SHOAL_REDIS_SERVER, else
// found in PATH, else /usr/bin/redis-server), or "" if there is none.
func RedisBinary() string { return findTool(EnvRedisServer, "redis-server") }

// RedisCLI returns the path of redis-cli ($SHOAL_REDIS_CLI, else found in
// PATH, else /usr/bin/redis-cli), or "" if there is none.
func RedisCLI() string { return findTool(EnvRedisCLI, "redis-cli") }

func findTool(env, name string) string {
	if p := os.Getenv(env); p != "" {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := "/usr/bin/" + name; isExecutable(p) {
		return p
	}
	return ""
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// SkipIfNoRedis skips the test when redis-server or redis-cli is missing.
// Under CI (env CI set) a missing Redis fails the test instead, so that a
// broken CI image cannot turn the compatibility tests into silent skips.
func SkipIfNoRedis(t testing.TB) {
	t.Helper()
	var missing []string
	if RedisBinary() == "" {
		missing = append(missing, "redis-server")
	}
	if RedisCLI() == "" {
		missing = append(missing, "redis-cli")
	}
	if len(missing) == 0 {
		return
	}
	msg := strings.Join(missing, " and ") + " not found (set " + EnvRedisServer + "/" + EnvRedisCLI + " or install redis 7.0.15)"
	if os.Getenv("CI") != "" {
		t.Fatal("CI: " + msg)
	}
	t.Skip(msg)
}
