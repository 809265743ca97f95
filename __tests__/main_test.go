// Package tests holds the stack-level tests: both environments are
// synthesized once per test binary (one Node/jsii runtime), the JSON is parsed
// into a small typed helper, and the terraform CLI proves it against the real
// AWS provider schema. Do not use t.Parallel in tests that touch jsii.
package tests

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/phase-mirror/fp-calibration-infra/app"
	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
	"github.com/phase-mirror/fp-calibration-infra/internal/childgc"
	"github.com/phase-mirror/fp-calibration-infra/internal/lambdabuild"
	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
	"github.com/phase-mirror/fp-calibration-infra/internal/tier"
)

var (
	updateGolden = flag.Bool("update-golden", false, "rewrite the golden snapshots under testdata/")
	updateReadme = flag.Bool("update-readme", false, "rewrite the tables and diagrams of README.md and docs/ generated from the synthesized stacks")
)

// Filled by TestMain.
var (
	outdir string                // the synthesized cdktf.out
	envs   []config.Environment  // the shipped settings
	stacks map[string]*StackJSON // synthesized stacks by name
	// remoteStacks are the same stacks synthesized with S3 remote state.
	remoteStacks map[string]*StackJSON
	// insecureOutdir and insecureErr are the outcome of synthesizing a
	// deliberately insecure fixture stack through the same checked synthesis.
	insecureOutdir string
	insecureErr    error
	// providerlessOutdir and providerlessErr: the same for a stack without
	// its provider.
	providerlessOutdir string
	providerlessErr    error
	// scratch holds folders shared by tests for the whole run (terraform's).
	scratch string
	// unknownAlarmOutdir and unknownAlarmErr are the outcome of adopting an
	// alarm the staging stack does not have.
	unknownAlarmOutdir string
	unknownAlarmErr    error
	// synthResult is what app.Synth reported.
	synthResult app.Result
	// runtimeEnv is the NODE_OPTIONS and PATH jsii's Node runtime ran
	// with, as read from the running process.
	runtimeEnv    map[string]string
	runtimeEnvErr error
	// synthPath is the PATH every synthesis of TestMain ran with: a folder
	// of exactly go and node (TestSynthesisNeedsNoTerraform).
	synthPath string
)

func TestMain(m *testing.M) {
	flag.Parse()
	code, err := synthesizeAndRun(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stack tests:", err)
		code = 1
	}
	os.Exit(code)
}

func synthesizeAndRun(m *testing.M) (int, error) {
	// This binary holds the stacks' parsed JSON and mostly waits on other
	// processes: collecting at 25% growth instead of 100% took its peak in
	// the inner loop from 138-143 MiB to 110 MiB, with no visible CPU cost
	// (a GOGC of the caller's wins).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(25)
	}
	// Node grows its heap lazily; a cap makes jsii's runtime (here and in the
	// syntheses the tests start) collect sooner, which keeps the test
	// command's peak memory within budget at no measurable cost in time.
	childgc.Set()
	// jsii-runtime-go prepares its Node process, environment included, while
	// the bindings' packages initialize, before TestMain: that process would
	// run without the cap. It has not started yet; closing it makes the first
	// synthesis start a new one, which inherits NODE_OPTIONS.
	jsii.Close()
	defer jsii.Close() // on an error too (closed again below, a no-op then)
	heavy = newHeavy()
	if heavy != nil {
		// Beside staging's drill steps, the whole proof's critical path:
		// they get a core first when both want one (synthlock.Niceness).
		if err := synthlock.Yield(); err != nil {
			return 1, fmt.Errorf("lowering the tests' CPU priority: %w", err)
		}
		// The concurrent tests mostly wait: for the heavy slot, or the
		// clean clone's CLI syntheses for the drill's waiting applies. Four
		// at once (not GOMAXPROCS) keep the slot busy meanwhile: the
		// clean-clone test, the longest, from the start, and three others
		// (concurrent); go test's own limit is lifted for that, unless a
		// -parallel of the caller's is given.
		others = make(chan struct{}, fullTierParallel-1)
		lightPlaces = make(chan struct{}, 2)
		if err := tier.Parallel(1000); err != nil {
			return 1, err
		}
	}
	dir, err := os.MkdirTemp("", "fp-calibration-synth-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	outdir = filepath.Join(dir, "cdktf.out")
	scratch = dir

	if envs, err = config.LoadAll("../environments"); err != nil {
		return 1, err
	}
	// jsii's runtime lives from the first synthesis to jsii.Close: the drill's
	// syntheses wait for it (internal/synthlock). In the whole proof it is
	// also heavy work beside staging's drill steps and takes its turn first,
	// as the other heavy commands do: without it, it once ran beside a
	// staging step's terraform and production's apply, the test command's
	// peak (docs/performance.md).
	releaseTurn := heavy.take()
	defer releaseTurn()
	release := synthlock.Hold()
	defer release()
	restorePath, err := onlyGoAndNodeOnPath(dir)
	if err != nil {
		return 1, err
	}
	// On an error too (restored again below, a no-op then).
	defer restorePath()
	lambdaCache := lambdabuild.DefaultCacheDir() // as go run . uses it
	if synthResult, err = app.Synth(app.Options{Outdir: outdir, Locks: "../locks", LambdaCache: lambdaCache}, envs); err != nil {
		return 1, fmt.Errorf("synthesis with only go and node on PATH: %w", err)
	}
	runtimeEnv, runtimeEnvErr = jsiiRuntimeEnv("NODE_OPTIONS", "PATH")
	// The same environments with S3 remote state, for the backend tests;
	// staging locks with the DynamoDB table and adopts the HCL version's
	// resources (production keeps the defaults: lock file, no adoption).
	remote := make([]config.Environment, len(envs))
	for i, e := range envs {
		e.State = config.StateSettings{Backend: config.StateS3, Lock: config.LockFile, Bucket: service.Names(e).StateBucket(), Region: e.Region,
			KeyPrefix: config.DefaultStateKeyPrefix, KMSKeyArn: "arn:aws:kms:" + e.Region + ":" + e.AccountID + ":key/" + fakeKeyID}
		if !e.IsProduction() {
			e.State.Lock = config.LockDynamoDB
			e.Adopt = config.AdoptSettings{Enabled: true, Alarms: []string{adoptedAlarm(e.Name)}, LogGroups: adoptedLogGroups(e), LambdaRoles: true, LambdaBoundary: true}
			e.GitHubOIDCProvider = config.OIDCProviderExisting
		}
		remote[i] = e
	}
	remoteOutdir := filepath.Join(dir, "cdktf.out.remote")
	if _, err = app.Synth(app.Options{Outdir: remoteOutdir, Locks: "../locks", LambdaCache: lambdaCache}, remote); err != nil {
		return 1, fmt.Errorf("synthesis with only go and node on PATH: %w", err)
	}
	// Adopting an alarm the stack does not have: refused while composing.
	unknownAlarm := remote[0]
	unknownAlarm.Adopt = config.AdoptSettings{Enabled: true, Alarms: []string{"phase-mirror-no-such-alarm-" + unknownAlarm.Name}}
	unknownAlarmOutdir = filepath.Join(dir, "cdktf.out.unknown-alarm")
	_, unknownAlarmErr = app.Synth(app.Options{Outdir: unknownAlarmOutdir, Locks: "../locks", LambdaCache: lambdaCache}, []config.Environment{unknownAlarm})
	insecureOutdir = filepath.Join(dir, "cdktf.out.insecure")
	insecureErr = synthCarelessTable(insecureOutdir, "insecure-fixture", true)
	providerlessOutdir = filepath.Join(dir, "cdktf.out.providerless")
	providerlessErr = synthCarelessTable(providerlessOutdir, "providerless-fixture", false)
	jsii.Close()
	restorePath()
	release()
	releaseTurn()

	stacks, remoteStacks = map[string]*StackJSON{}, map[string]*StackJSON{}
	for _, name := range AllStackNames() {
		if stacks[name], err = LoadStack(filepath.Join(outdir, "stacks", name, "cdk.tf.json")); err != nil {
			return 1, err
		}
		if remoteStacks[name], err = LoadStack(filepath.Join(remoteOutdir, "stacks", name, "cdk.tf.json")); err != nil {
			return 1, err
		}
	}
	// jsii's buffers are garbage now; hand the memory back before the tests
	// start other processes (terraform, a second synthesis).
	debug.FreeOSMemory()
	return m.Run(), nil
}

// fullTierParallel is how many concurrent tests run at once in the whole
// proof (TestMain).
const fullTierParallel = 4

// concurrent marks a test that spends its time in other processes (terraform,
// Node's IAM simulator, shellcheck, scripts) and shares nothing it writes: it
// runs beside the others, so both cores work in the inner loop. In the whole
// proof, three such tests run at once beside the clean-clone test (others).
func concurrent(t *testing.T) {
	t.Parallel()
	if others != nil {
		others <- struct{}{}
		t.Cleanup(func() { <-others })
	}
}

// others holds a place for each concurrent test running beside the
// clean-clone test in the whole proof (nil in the inner loop).
var others chan struct{}

// light marks a test that runs no heavy command (the IAM simulator's Node,
// stubs, python, shellcheck: about 100 MiB at most): it runs
// beside the others, not before them (in the sequential phase some held
// the clean-clone test's start 7 s), and in the whole proof it takes one of
// lightPlaces, not a place among the tests that wait for the heavy slot,
// behind which light tests ran last (the whole proof's last 10 s).
func light(t *testing.T) {
	t.Parallel()
	if lightPlaces != nil {
		lightPlaces <- struct{}{}
		t.Cleanup(func() { <-lightPlaces })
		// What it starts from this goroutine runs at synthlock.Idle: the
		// heavy command of the work beside the drill's steps, at Niceness,
		// gets the core first (at the same priority as the light tests, two
		// of production's commands held the clean-clone test's first one
		// back 26 s, measured). The thread is never unlocked: it ends with
		// the test.
		runtime.LockOSThread()
		if err := synthlock.YieldThread(); err != nil {
			t.Fatal(err)
		}
	}
}

// lightPlaces holds a place for each light test running at once in the
// whole proof (nil in the inner loop).
var lightPlaces chan struct{}

// AllStackNames are all the stacks the App synthesizes: the environments'
// and their state-bootstrap stacks.
func AllStackNames() []string {
	all := StackNames()
	for _, e := range envs {
		all = append(all, bootstrapOf(e.Name))
	}
	return all
}

// StackNames are the environments' service stacks.
func StackNames() []string {
	all := []string{}
	for _, e := range envs {
		all = append(all, e.Name)
	}
	return all
}

// bootstrapOf is the state-bootstrap stack of an environment.
func bootstrapOf(env string) string { return names.Env{Environment: env}.BootstrapStack() }

// envByName returns the shipped settings of an environment.
func envByName(t *testing.T, name string) config.Environment {
	t.Helper()
	for _, e := range envs {
		if e.Name == name {
			return e
		}
	}
	t.Fatalf("no environment %q", name)
	return config.Environment{}
}
