package synthlock

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSynthesizes(t *testing.T) {
	for _, c := range []struct {
		cmd  []string
		want bool
	}{
		{[]string{"go", "run", "."}, true},
		{[]string{"go", "run", ".", "-hcl", "x"}, true},
		{[]string{"npx", "--no-install", "cdktf", "synth", "--hcl"}, true},
		{[]string{"bash", "scripts/validate.sh", "staging"}, true},
		{[]string{"bash", "scripts/bench.sh", "1"}, true},
		{[]string{"bash", "scripts/scan.sh"}, true},
		{[]string{"bash", "scripts/update-locks.sh"}, true},
		{[]string{"go", "vet", "./..."}, false},
		{[]string{"npx", "--no-install", "cdktf", "--version"}, false},
		{[]string{"bash", "scripts/plan.sh", "staging"}, false},
		{[]string{"terraform", "plan"}, false},
		{[]string{"bash"}, false},
	} {
		if got := Synthesizes(c.cmd[0], c.cmd[1:]...); got != c.want {
			t.Errorf("Synthesizes(%q) = %v, want %v", c.cmd, got, c.want)
		}
	}
}

// TestHoldTakesTurns: a second holder waits until the first releases; a
// release may be called twice.
func TestHoldTakesTurns(t *testing.T) {
	Path = filepath.Join(t.TempDir(), "lock")
	release := Hold()
	got := make(chan struct{})
	go func() {
		defer close(got)
		Hold()()
	}()
	select {
	case <-got:
		t.Fatal("the second holder did not wait for the first")
	case <-time.After(200 * time.Millisecond):
	}
	release()
	release()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("the second holder still waits after the release")
	}
}

// TestBesideIsALockOfItsOwn: Beside takes turns like Hold, and holding it
// never keeps a synthesis waiting (its holders may synthesize).
func TestBesideIsALockOfItsOwn(t *testing.T) {
	Path, BesidePath = filepath.Join(t.TempDir(), "synthesis"), filepath.Join(t.TempDir(), "beside")
	release := Beside()
	synthesized := make(chan struct{})
	go func() {
		defer close(synthesized)
		Hold()()
	}()
	select {
	case <-synthesized:
	case <-time.After(5 * time.Second):
		t.Fatal("a synthesis waited for the holder of Beside")
	}
	second := make(chan struct{})
	go func() {
		defer close(second)
		Beside()()
	}()
	select {
	case <-second:
		t.Fatal("a second holder of Beside did not wait for the first")
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("the second holder of Beside still waits after the release")
	}
}

// TestLoadsProvider: the terraform commands that start no provider need no
// turn; every other one, and one it does not know, does.
func TestLoadsProvider(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{[]string{"-chdir=x", "init", "-input=false"}, false},
		{[]string{"output", "-json"}, false},
		{[]string{"-chdir=x", "state", "pull"}, false},
		{[]string{"state", "list"}, false},
		{[]string{"state", "push", "f"}, false},
		{[]string{"fmt", "-recursive", "d"}, false},
		{[]string{"version", "-json"}, false},
		{[]string{"-chdir=x", "plan"}, true},
		{[]string{"apply", "-auto-approve"}, true},
		{[]string{"validate"}, true},
		{[]string{"show", "-json", "p"}, true},
		{[]string{"state", "show", "a"}, true},
		{[]string{"state", "rm", "a"}, true},
		{[]string{"state"}, true},
		{[]string{"import", "a", "b"}, true},
		{[]string{"-chdir=x"}, true},
		{[]string{"console"}, true},
	} {
		if got := LoadsProvider(c.args...); got != c.want {
			t.Errorf("LoadsProvider(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}

// TestWaitingIsShared: the waiting applies never wait for each other.
func TestWaitingIsShared(t *testing.T) {
	WaitsPath = filepath.Join(t.TempDir(), "waits")
	first := Waiting()
	defer first()
	second := make(chan struct{})
	go func() {
		defer close(second)
		Waiting()()
	}()
	select {
	case <-second:
	case <-time.After(5 * time.Second):
		t.Fatal("a second waiting apply waited for the first")
	}
}

// TestWideWaitsForTheWaitingApplies: a Wide command waits while a waiting
// apply runs, without holding the caller's turn meanwhile; once it runs, a
// new waiting apply waits for it.
func TestWideWaitsForTheWaitingApplies(t *testing.T) {
	WaitsPath, BesidePath = filepath.Join(t.TempDir(), "waits"), filepath.Join(t.TempDir(), "beside")
	apply := Waiting()
	wide := make(chan func())
	go func() { wide <- Wide(Beside) }()
	select {
	case <-wide:
		t.Fatal("a Wide command did not wait for the waiting apply")
	case <-time.After(200 * time.Millisecond):
	}
	turn := make(chan struct{})
	go func() {
		defer close(turn)
		Beside()()
	}()
	select {
	case <-turn:
	case <-time.After(5 * time.Second):
		t.Fatal("the Wide command held the turn while it waited for the waiting apply")
	}
	apply()
	var release func()
	select {
	case release = <-wide:
	case <-time.After(5 * time.Second):
		t.Fatal("the Wide command still waits after the waiting apply ended")
	}
	next := make(chan struct{})
	go func() {
		defer close(next)
		Waiting()()
	}()
	select {
	case <-next:
		t.Fatal("a waiting apply started while the Wide command ran")
	case <-time.After(200 * time.Millisecond):
	}
	release()
	select {
	case <-next:
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting apply still waits after the Wide command ended")
	}
}

func TestIsWide(t *testing.T) {
	for _, c := range []struct {
		cmd  []string
		want bool
	}{
		{[]string{"npx", "--no-install", "cdktf", "synth", "--hcl"}, true},
		{[]string{"npx", "--no-install", "cdktf", "--version"}, false},
		{[]string{"go", "run", "."}, false},
		{[]string{"bash", "scripts/validate.sh", "staging"}, false},
	} {
		if got := IsWide(c.cmd[0], c.cmd[1:]...); got != c.want {
			t.Errorf("IsWide(%q) = %v, want %v", c.cmd, got, c.want)
		}
	}
}

// nice reads a process's nice value from /proc.
func nice(t *testing.T, pid int) int {
	t.Helper()
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	// The fields after the command's closing parenthesis: state is the
	// third field of stat, nice the 19th.
	fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	n, err := strconv.Atoi(fields[19-3])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestYieldProcess: a started process gets Niceness, and keeps a lower
// priority of its own.
func TestYieldProcess(t *testing.T) {
	for _, c := range []struct {
		cmd  []string
		want int
	}{
		{[]string{"sleep", "30"}, Niceness},
		{[]string{"nice", "-n", "15", "sleep", "30"}, 15},
	} {
		own := nice(t, os.Getpid()) // the tests may run at a lower priority themselves
		if c.cmd[0] == "nice" {
			c.want = min(own+c.want, 19) // nice adds to the caller's
		}
		c.want = max(c.want, own)
		cmd := exec.Command(c.cmd[0], c.cmd[1:]...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if c.cmd[0] == "nice" { // until nice has set its priority and become sleep
			for deadline := time.Now().Add(5 * time.Second); nice(t, cmd.Process.Pid) != c.want && time.Now().Before(deadline); {
				time.Sleep(10 * time.Millisecond)
			}
		}
		err := YieldProcess(cmd.Process.Pid)
		got := nice(t, cmd.Process.Pid)
		cmd.Process.Kill()
		cmd.Wait()
		if err != nil {
			t.Fatalf("YieldProcess(%q): %v", c.cmd, err)
		}
		if got != c.want {
			t.Errorf("%q after YieldProcess: nice %d, want %d", c.cmd, got, c.want)
		}
	}
}

// TestYield: every thread of the process gets Niceness, and the processes it
// starts inherit it. The test binary runs itself as the child that yields,
// so the tests' own priority is unchanged.
func TestYield(t *testing.T) {
	if os.Getenv("SYNTHLOCK_YIELD_CHILD") == "1" {
		if err := Yield(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		tasks, _ := os.ReadDir("/proc/self/task")
		for _, task := range tasks {
			tid, _ := strconv.Atoi(task.Name())
			fmt.Println("thread", nice(t, tid))
		}
		cmd := exec.Command("sleep", "30")
		if err := cmd.Start(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("child", nice(t, cmd.Process.Pid))
		cmd.Process.Kill()
		cmd.Wait()
		os.Exit(0)
	}
	out := inChild(t, "TestYield", "SYNTHLOCK_YIELD_CHILD")
	want := strconv.Itoa(max(Niceness, nice(t, os.Getpid()))) // the tests may run at a lower priority themselves
	threads, children := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		kind, value, _ := strings.Cut(line, " ")
		if value != want {
			t.Errorf("%s has nice %s, want %s", kind, value, want)
		}
		switch kind {
		case "thread":
			threads++
		case "child":
			children++
		}
	}
	if threads < 2 || children != 1 {
		t.Errorf("the child reported %d threads and %d children, want several and one:\n%s", threads, children, out)
	}
}

// TestYieldThread: a process started from the yielded thread runs at Idle;
// one started from another thread keeps the process's priority. It runs in
// a child (the test binary again): the yielded thread may be the process's
// main one, which Go keeps (wedged) when its goroutine ends, with Idle.
func TestYieldThread(t *testing.T) {
	if os.Getenv("SYNTHLOCK_YIELD_THREAD_CHILD") == "1" {
		started := func(yield bool) {
			done := make(chan struct{})
			go func() {
				defer close(done)
				runtime.LockOSThread()
				if yield {
					if err := YieldThread(); err != nil { // never unlocked: the thread ends with this goroutine
						fmt.Println("error:", err)
						return
					}
				} else {
					defer runtime.UnlockOSThread()
				}
				cmd := exec.Command("sleep", "30")
				if err := cmd.Start(); err != nil {
					fmt.Println("error:", err)
					return
				}
				fmt.Println(yield, nice(t, cmd.Process.Pid))
				cmd.Process.Kill()
				cmd.Wait()
			}()
			<-done
		}
		started(true)
		started(false)
		os.Exit(0)
	}
	out := inChild(t, "TestYieldThread", "SYNTHLOCK_YIELD_THREAD_CHILD")
	own := nice(t, os.Getpid())
	want := fmt.Sprintf("true %d\nfalse %d", max(Idle, own), own)
	if got := strings.TrimSpace(out); got != want {
		t.Errorf("the niceness of a process started from the yielded thread, then from another:\n%s\nwant\n%s", got, want)
	}
}

// inChild runs test again in a child process (this test binary) with
// env=1 set, which makes it the child's part, and returns its output.
func inChild(t *testing.T, test, env string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+test+"$")
	cmd.Env = append(os.Environ(), env+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the child of %s: %v\n%s", test, err, out)
	}
	return string(out)
}

// TestCrowded: crowded while a waiting apply or a Wide command runs, and
// not otherwise; WideRuns only for the Wide command; asking never waits.
func TestCrowded(t *testing.T) {
	WaitsPath, BesidePath = filepath.Join(t.TempDir(), "waits"), filepath.Join(t.TempDir(), "beside")
	if Crowded() || WideRuns() {
		t.Error("crowded with nothing running")
	}
	apply := Waiting()
	if !Crowded() || WideRuns() {
		t.Errorf("while a waiting apply runs: crowded %v (want true), a Wide command runs %v (want false)", Crowded(), WideRuns())
	}
	apply()
	wide := Wide(Beside)
	if !Crowded() || !WideRuns() {
		t.Errorf("while a Wide command runs: crowded %v, a Wide command runs %v (want both)", Crowded(), WideRuns())
	}
	wide()
	if Crowded() || WideRuns() {
		t.Error("still crowded after both ended")
	}
}
