package tests

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

// slot is a semaphore of one whose urgent takers go first.
type slot struct {
	mu      sync.Mutex
	freed   *sync.Cond
	busy    bool
	waiting int // takers waiting
	urgent  int // urgent takers waiting
}

// take waits for the slot, then for the turn of the work beside the drill's
// steps (synthlock.Beside), and returns their release, which may be called
// more than once.
func (s *slot) take() func() { return s.takeFor(false) }

// takeFor is take; an urgent taker gets the slot before every other taker
// waiting for it (the longest chain of heavy commands: criticalTest's).
func (s *slot) takeFor(urgent bool) func() {
	if s == nil {
		return func() {}
	}
	s.mu.Lock()
	s.waiting++
	if urgent {
		s.urgent++
	}
	for s.busy || !urgent && s.urgent > 0 {
		s.freed.Wait()
	}
	s.waiting--
	if urgent {
		s.urgent--
	}
	s.busy = true
	s.mu.Unlock()
	release := synthlock.Beside()
	return sync.OnceFunc(func() {
		release()
		s.mu.Lock()
		s.busy = false
		s.mu.Unlock()
		s.freed.Broadcast()
	})
}

// criticalTest is the test whose heavy commands go first (slot.takeFor): a
// chain of about twenty, one after another, the longest of this package.
const criticalTest = "TestEveryNoAWSCommandOfTheReadmeWorksFromACleanClone"

// urgent tells whether t is criticalTest or one of its subtests.
func urgent(t *testing.T) bool {
	return t.Name() == criticalTest || strings.HasPrefix(t.Name(), criticalTest+"/")
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
var heavy *slot

// newHeavy is the heavy slot of this run (TestMain, after the flags).
func newHeavy() *slot {
	if testing.Short() {
		return nil
	}
	return newSlot()
}

func newSlot() *slot {
	s := &slot{}
	s.freed = sync.NewCond(&s.mu)
	return s
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
	privateTurns(t)
	s := newSlot()
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
	if s.busy || s.waiting != 0 {
		t.Errorf("the slot is busy (%v) or has %d takers waiting after every release", s.busy, s.waiting)
	}
}

// TestUrgentTakerGoesFirst: of the takers waiting for the slot, the urgent
// one gets it first, though it came neither first nor last.
func TestUrgentTakerGoesFirst(t *testing.T) {
	privateTurns(t)
	s := newSlot()
	release := s.take()
	const ordinary = 8
	order := make(chan string, ordinary+1)
	waitFor := func(n int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			s.mu.Lock()
			w := s.waiting
			s.mu.Unlock()
			if w == n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d takers waiting, want %d", w, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	taker := func(name string, urgent bool) {
		defer s.takeFor(urgent)()
		order <- name
	}
	for i := 0; i < ordinary/2; i++ {
		go taker("ordinary", false)
	}
	waitFor(ordinary / 2)
	go taker("urgent", true)
	waitFor(ordinary/2 + 1)
	for i := 0; i < ordinary/2; i++ {
		go taker("ordinary", false)
	}
	waitFor(ordinary + 1)
	release()
	if first := <-order; first != "urgent" {
		t.Errorf("the slot went to an %s taker first, with an urgent one waiting", first)
	}
	for i := 0; i < ordinary; i++ {
		<-order
	}
}

// privateTurns points the turns beside the drill's steps at a lock of the
// test's own, so that the slot's tests wait for no other test's turn.
func privateTurns(t *testing.T) {
	saved := synthlock.BesidePath
	synthlock.BesidePath = filepath.Join(t.TempDir(), "beside")
	t.Cleanup(func() { synthlock.BesidePath = saved })
}
