package tests

import (
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

// slot is a semaphore of one.
type slot chan struct{}

// take waits for the slot and returns its release.
func (s slot) take() func() {
	s <- struct{}{}
	return func() { <-s }
}

// heavy: this package runs one heavy process at a time: a terraform command
// (each loads the AWS provider: about 450 MiB, plus 300 MiB for terraform
// itself), a synthesis (jsii's Node runtime: about 600 MiB) or a script that
// runs them. Beside the deploy drill, whose steps run one after the other
// but longer, that keeps the test command's peak memory down, and the
// package still ends well before the drill (docs/performance.md).
var heavy = make(slot, 1)

// heavyCommand tells the commands that take the heavy slot.
func heavyCommand(name string, args ...string) bool {
	return name == "terraform" || synthlock.Synthesizes(name, args...) ||
		name == "bash" && len(args) > 0 && strings.HasPrefix(args[0], "scripts/")
}
