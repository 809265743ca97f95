// Package synthlock lets the test packages, which go test runs side by side,
// take turns at what costs the most memory. Hold: each synthesis starts
// jsii's Node runtime (about 850 MiB), and two at once were most of the test
// command's peak memory. Beside: a terraform command loads the AWS provider
// (about 800 MiB with terraform itself); staging's drill steps run one
// after the other, and the work beside them (production's drill, staging's
// background commands, the other packages' terraform commands and scripts)
// takes one turn at a time. Waiting and Wide: the drill's applies that
// mostly wait on the provider run beside the turns with small heaps, and the
// cdktf CLI's synth (about 1 GiB) runs only when none of them does. The
// locks are advisory file locks in the temporary folder, shared by every
// test process of the machine; programs run outside the tests never take
// them.
package synthlock

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Path is the synthesis lock's file.
var Path = filepath.Join(os.TempDir(), "fp-calibration-infra-synthesis.lock")

// BesidePath is the file of the lock of the work beside the drill's steps.
var BesidePath = filepath.Join(os.TempDir(), "fp-calibration-infra-beside.lock")

// WaitsPath is the file of the lock between the waiting applies and the
// commands too big to run beside them (Waiting, Wide).
var WaitsPath = filepath.Join(os.TempDir(), "fp-calibration-infra-waits.lock")

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

// Waiting is held, shared, by a waiting apply: an apply that spends most
// of its time waiting on the AWS provider's fixed delays, run with a small
// heap (childgc.SmallHeap) and beside the other work without a turn of its
// own. It waits only while a Wide command runs.
func Waiting() (release func()) { return lock(WaitsPath, syscall.LOCK_SH) }

// Wide takes turn (a caller's turn beside the drill's steps), and holds it
// for a command of several heavy processes, the cdktf CLI's synth (the CLI,
// go run and jsii's runtime: about 1 GiB), only while no waiting apply
// runs: two waiting applies and such a command at once would go over the
// test command's memory budget. It never holds the turn while it waits for
// the waiting applies, nor keeps an apply waiting while it waits for the
// turn.
func Wide(turn func() (release func())) (release func()) {
	for {
		lock(WaitsPath, syscall.LOCK_EX)() // until no waiting apply runs
		held := turn()
		if wide, ok := tryLock(WaitsPath, syscall.LOCK_EX); ok {
			return func() { wide(); held() }
		}
		held() // an apply started while the turn was awaited
	}
}

// Crowded reports whether a waiting apply or a Wide command runs now: a
// heavy command beside staging's steps started then runs with a smaller
// heap (childgc.Crowded), so that it, the waiting applies and staging's
// step fit the memory budget together. It never waits. When the lock file cannot be opened or locked,
// it reports false (as the locks then hold nothing).
func Crowded() bool { return taken(WaitsPath, syscall.LOCK_EX) }

// WideRuns reports whether a Wide command runs now (a waiting apply alone
// does not count). It never waits.
func WideRuns() bool { return taken(WaitsPath, syscall.LOCK_SH) }

// taken reports whether path's lock could not be taken (how) now because
// another holds it.
func taken(path string, how int) bool {
	release, free := tryLock(path, how)
	release()
	return !free
}

func hold(path string) (release func()) { return lock(path, syscall.LOCK_EX) }

// tryLock takes path's lock (how: exclusive or shared) if it can now. If
// the lock file cannot be opened or locked for another reason, it reports
// success and holds nothing, as lock does.
func tryLock(path string, how int) (release func(), ok bool) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return func() {}, true
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		f.Close()
		return func() {}, err != syscall.EWOULDBLOCK
	}
	return unlocker(f), true
}

func lock(path string, how int) (release func()) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return func() {}
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return func() {}
	}
	return unlocker(f)
}

func unlocker(f *os.File) (release func()) {
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

// Niceness is the CPU priority (nice) of the work beside staging's drill
// steps: when both want a core, the steps, one after the other and the
// whole proof's critical path, get it first (a weight of 110 against 1024),
// and the work beside them uses what the steps leave.
const Niceness = 10

// Yield gives this process, each of its threads (Linux sets the priority
// per thread; threads and processes started later inherit it), Niceness.
func Yield() error {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, task := range tasks {
		tid, err := strconv.Atoi(task.Name())
		if err != nil {
			continue
		}
		if err := YieldProcess(tid); err != nil {
			return err
		}
	}
	return nil
}

// YieldProcess gives a started process (its main thread, and so what it
// starts from then on) Niceness, unless it already runs at a lower
// priority.
func YieldProcess(pid int) error {
	if now, err := syscall.Getpriority(syscall.PRIO_PROCESS, pid); err == nil && 20-now >= Niceness {
		return nil // getpriority's raw value is 20 - nice
	}
	return syscall.Setpriority(syscall.PRIO_PROCESS, pid, Niceness)
}

// Idle is the CPU priority (nice) of light work beside everything else:
// it runs on what the rest leaves (a weight of 15 against Niceness's 110).
const Idle = 19

// IsWide reports whether a command the tests run is one that Wide is for:
// the cdktf CLI's synth.
func IsWide(name string, args ...string) bool {
	return name == "npx" && Synthesizes(name, args...)
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
