// Package childgc sets how the programs the tests start collect garbage:
// the Go ones (terraform, its AWS provider, go run and go build) and jsii's
// Node runtime (the syntheses).
package childgc

import (
	"os"
	"strings"
)

// Percent is the GOGC the tests' child processes get: a terraform command
// with the AWS provider spends about a fifth of its CPU in the collector at
// Go's default of 100, and 400 takes that back for about 8% more memory per
// process (docs/performance.md).
const Percent = "400"

// MemoryLimit is the GOMEMLIMIT the tests' child processes get: at
// GOGC=Percent a terraform command's own heap (without its provider) grows
// to about 340 MiB in `terraform validate`, and about 270 MiB under this
// limit, for the same CPU there; the provider's resident memory is mostly
// its mapped binary (about 360 of 545 MiB). It reaches every Go child (go
// build, go run, the drill's plans and applies): in the whole proof their
// CPU did not rise (terraform 251-272 s, go builds 31-40 s, against 265-276
// and about 48 s before). A soft limit: a process whose live heap needs
// more collects more often, up to about half its CPU.
const MemoryLimit = "256MiB"

// NodeOptions caps the old generation of jsii's Node runtime. jsii-runtime-go
// asks for 4069 MiB and Node grows its heap lazily: the stack tests' four
// syntheses in one runtime reach about 850 MiB of resident memory uncapped
// and about 610 MiB at this cap, no slower. Their live heap needs more than
// 448 MiB (Node stops there with "heap out of memory"): keep the margin.
// The young generation's semi-spaces are capped at 4 MiB (Node 20's
// default grows them to 16): a synthesis's tree then peaked at 664-669 MiB
// PSS instead of 694-699, in 3.67-3.72 s instead of 3.58-3.66 (measured,
// two runs each); the cdktf CLI's Node gets the same.
const NodeOptions = "--max-old-space-size=640 --max-semi-space-size=4"

// SmallHeap is the environment (added to the tests' own) of a terraform
// command that must fit beside others more than it must be quick: a
// waiting apply (one that spends most of its time waiting on the AWS
// provider's fixed delays, beside other work: synthlock.Waiting) and the
// inner loop's one validate of every stack, its peak. Its heap stays under
// 100 MiB: `terraform validate` of staging with its provider peaked at
// 671-673 MiB PSS instead of 867 MiB at Percent and MemoryLimit, for 4.4 s
// of CPU instead of 2.4 s (docs/performance.md).
var SmallHeap = []string{"GOGC=off", "GOMEMLIMIT=100MiB"}

// Crowded is the environment of a terraform command or script started
// while the machine is crowded (synthlock.Crowded): a heap under 150 MiB,
// which costs much less CPU than SmallHeap for half its saving (the same
// validate: 762-764 MiB PSS for 2.7-2.9 s of CPU).
var Crowded = []string{"GOGC=off", "GOMEMLIMIT=150MiB"}

// Set gives the child processes started from now on GOGC=Percent and
// GOMEMLIMIT=MemoryLimit, each unless already set (a caller's choice wins),
// and Node the heap cap NodeOptions unless NODE_OPTIONS already has one.
// The test binary's own collector, started before, is unchanged; so is a
// jsii runtime prepared before: jsii-runtime-go prepares it while the
// bindings' packages initialize, so a test binary that synthesizes in its
// own process closes it after Set (see __tests__' TestMain and
// TestJSIIRuntimeRunsWithTheHeapCap).
func Set() {
	setUnlessSet("GOGC", Percent)
	setUnlessSet("GOMEMLIMIT", MemoryLimit)
	if node := os.Getenv("NODE_OPTIONS"); !strings.Contains(node, "--max-old-space-size") {
		os.Setenv("NODE_OPTIONS", strings.TrimSpace(node+" "+NodeOptions))
	}
}

func setUnlessSet(key, value string) {
	if os.Getenv(key) == "" {
		os.Setenv(key, value)
	}
}
