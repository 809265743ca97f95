package synthlock

import (
	"path/filepath"
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
