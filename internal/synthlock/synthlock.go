// Package synthlock lets the test packages, which go test runs side by side,
// take turns at synthesizing: each synthesis starts jsii's Node runtime
// (about 850 MiB), and two at once are most of the test command's peak
// memory. The lock is an advisory file lock in the temporary folder, shared
// by every test process of the machine; programs run outside the tests never
// take it.
package synthlock

import (
	"os"
	"path/filepath"
	"sync"
	"syscall"
)

// Path is the lock file.
var Path = filepath.Join(os.TempDir(), "fp-calibration-infra-synthesis.lock")

// Hold waits for the lock and returns its release, which may be called more
// than once. If the lock file cannot be opened or locked, it does not wait:
// the lock saves memory, and correctness never depends on it. A holder must
// release before it waits for another holder (a process's second Hold waits
// for its first, as for any other).
func Hold() (release func()) {
	f, err := os.OpenFile(Path, os.O_CREATE|os.O_RDWR, 0o666)
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
// of the program, the cdktf CLI's synth, and the scripts that always
// synthesize (validate.sh and scan.sh render HCL from a new synthesis,
// update-locks.sh synthesizes to lock, bench.sh times syntheses). The other
// scripts synthesize only when the JSON is stale, which the tests avoid.
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
