package tests

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

// slot is a semaphore of one.
type slot chan struct{}

// take waits for the slot, then for the turn of the work beside the drill's
// steps (synthlock.Beside), and returns their release, which may be called
// more than once.
func (s slot) take() func() {
	if s == nil {
		return func() {}
	}
	s <- struct{}{}
	release := synthlock.Beside()
	return sync.OnceFunc(func() {
		release()
		<-s
	})
}

// heavy: this package runs one heavy process at a time: a terraform command
// that loads the AWS provider (about 450 MiB, plus 300 MiB for terraform
// itself; init, output and state pull take 60 MiB and no turn), a synthesis (jsii's Node runtime: about 600 MiB) or a script that
// runs them, and each waits for its turn beside staging's drill steps
// (synthlock.Beside), as production's drill and staging's background
// commands do; so does TestMain's own synthesis. That keeps the test
// command's peak memory down; the turns and staging's steps end at about
// the same time (docs/performance.md). The inner loop (-short) has no drill
// beside it and no plan: there the slot is nil and takes nothing (measured:
// one or two at a time made it 2 to 10 s slower).
var heavy slot

// newHeavy is the heavy slot of this run (TestMain, after the flags).
func newHeavy() slot {
	if testing.Short() {
		return nil
	}
	return make(slot, 1)
}

// heavyCommand tells the commands that take the heavy slot: a terraform
// command that starts the provider, a synthesis, a script.
func heavyCommand(name string, args ...string) bool {
	return name == "terraform" && synthlock.LoadsProvider(args...) || synthlock.Synthesizes(name, args...) ||
		name == "bash" && len(args) > 0 && strings.HasPrefix(args[0], "scripts/")
}

// TestHeavySlotReleasesOnce: a release called twice (TestMain's, deferred and
// called) frees the slot once, and the next taker gets it.
func TestHeavySlotReleasesOnce(t *testing.T) {
	saved := synthlock.BesidePath
	synthlock.BesidePath = filepath.Join(t.TempDir(), "beside")
	defer func() { synthlock.BesidePath = saved }()
	s := make(slot, 1)
	release := s.take()
	got := make(chan struct{})
	go func() {
		defer close(got)
		release()
		release()
		s.take()()
	}()
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("a second release or the next take blocked")
	}
	if len(s) != 0 {
		t.Errorf("the slot holds %d after every release", len(s))
	}
}
