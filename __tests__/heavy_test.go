package tests

import (
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

// slot is a semaphore of one.
type slot chan struct{}

// take waits for the slot, then for the turn of the work beside the drill's
// steps (synthlock.Beside), and returns their release.
func (s slot) take() func() {
	if s == nil {
		return func() {}
	}
	s <- struct{}{}
	release := synthlock.Beside()
	return func() {
		release()
		<-s
	}
}

// heavy: this package runs one heavy process at a time: a terraform command
// (each loads the AWS provider: about 450 MiB, plus 300 MiB for terraform
// itself), a synthesis (jsii's Node runtime: about 600 MiB) or a script that
// runs them, and each waits for its turn beside the deploy drill's steps
// (synthlock.Beside), whose background commands take turns too. That keeps
// the test command's peak memory down, and the package still ends well
// before the drill, whose steps are the test command's critical path
// (docs/performance.md). The inner loop (-short) has no drill beside it and
// no plan: there the slot is nil and takes nothing (measured: one or two at a
// time made it 2 to 10 s slower).
var heavy slot

// newHeavy is the heavy slot of this run (TestMain, after the flags).
func newHeavy() slot {
	if testing.Short() {
		return nil
	}
	return make(slot, 1)
}

// heavyCommand tells the commands that take the heavy slot.
func heavyCommand(name string, args ...string) bool {
	return name == "terraform" || synthlock.Synthesizes(name, args...) ||
		name == "bash" && len(args) > 0 && strings.HasPrefix(args[0], "scripts/")
}
