// Package synthlock lets the test packages, which go test runs side by side,
// take turns at what costs the most memory. Hold: each synthesis starts
// jsii's Node runtime (about 850 MiB), and two at once were most of the test
// command's peak memory. Beside: a terraform command loads the AWS provider
// (about 800 MiB with terraform itself); staging's drill steps run one
// after the other, and the work beside them (production's drill, staging's
// background commands, the other packages' terraform commands and scripts)
// takes one turn at a time. The locks are advisory file locks in the temporary folder,
// shared by every test process of the machine; programs run outside the
// tests never take them.
package synthlock

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
)

// Path is the synthesis lock's file.
var Path = filepath.Join(os.TempDir(), "fp-calibration-infra-synthesis.lock")

// BesidePath is the file of the lock of the work beside the drill's steps.
var BesidePath = filepath.Join(os.TempDir(), "fp-calibration-infra-beside.lock")

// Hold waits for the synthesis lock and returns its release, which may be
// called more than once. If the lock file cannot be opened or locked, it
// does not wait: the lock saves memory, and correctness never depends on it.
// A holder must release before it waits for another holder (a process's
// second Hold waits for its first, as for any other).
func Hold() (release func()) { return hold(Path) }

// Beside waits for the lock of the work beside the drill's steps and returns
// its release, as Hold does. Who holds it may then take the synthesis lock,
// never the other way round.
func Beside() (release func()) { return hold(BesidePath) }

func hold(path string) (release func()) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return func() {}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
			f.Close()
		})
	}
}

// Synthesizes reports whether a command the tests run synthesizes: go run
// of the program, the cdktf CLI's synth, and the scripts that synthesize
// first (validate.sh and scan.sh, with the HCL rendering, and update-locks.sh,
// when the synthesis is stale; bench.sh times syntheses). The other scripts
// synthesize only when the JSON is stale, which the tests avoid.
func Synthesizes(name string, args ...string) bool {
	switch {
	case name == "go" && len(args) > 0 && args[0] == "run":
		return true
	case name == "npx":
		for _, a := range args {
			if a == "synth" {
				return true
			}
		}
	case name == "bash" && len(args) > 0:
		switch filepath.Base(args[0]) {
		case "validate.sh", "scan.sh", "update-locks.sh", "bench.sh":
			return true
		}
	}
	return false
}

// LoadsProvider reports whether a terraform command (its arguments, a
// leading -chdir= or other global flag skipped) starts the AWS provider,
// which is what makes a terraform command heavy: the provider and the schema
// terraform loads from it (about 500 MiB together). init, output, fmt,
// version and state list, pull and push start none (about 60 MiB each,
// measured), so they need no turn. Any other command, and one it does not
// know, does.
func LoadsProvider(args ...string) bool {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		args = args[1:]
	}
	if len(args) == 0 {
		return true
	}
	switch args[0] {
	case "init", "output", "fmt", "version":
		return false
	case "state":
		return len(args) < 2 || !slices.Contains([]string{"list", "pull", "push"}, args[1])
	}
	return true
}
