package drill

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/internal/childgc"
	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
	"github.com/phase-mirror/fp-calibration-infra/internal/tier"
)

// needsEmulator skips an emulator test in the inner loop (go test -short).
func needsEmulator(t *testing.T) { tier.Full(t, "applies on the AWS emulator") }

// Filled by TestMain.
var (
	emu        *emulator          // staging's account (the probes' too), from stagingEmulator (production's drill has its own account)
	moto       *motoServer        // the one emulator process, serving every account (sharedMoto)
	work       string             // the drill's scratch folder
	staging    config.Environment // the shipped settings
	production config.Environment
)

func TestMain(m *testing.M) {
	code, err := setUp(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "deploy drill:", err)
		code = 1
	}
	os.Exit(code)
}

func setUp(m *testing.M) (int, error) {
	flag.Parse()
	// The drill takes 7-8 minutes on a quiet 2-core machine, close to go
	// test's default 10-minute timeout when other packages test beside it:
	// with the default, it gets 25 minutes (an explicit -timeout other than
	// 10m is kept).
	if t := flag.Lookup("test.timeout"); t != nil && t.Value.String() == "10m0s" {
		if err := t.Value.Set("25m"); err != nil {
			return 1, err
		}
	}
	childgc.Set()
	var err error
	if staging, err = config.LoadFile("../environments/staging.json"); err != nil {
		return 1, err
	}
	if production, err = config.LoadFile("../environments/production.json"); err != nil {
		return 1, err
	}
	if testing.Short() { // the inner loop: the drill's unit tests only, no emulator
		return m.Run(), nil
	}
	// Staging's drill (the whole proof's critical path), production's and
	// the emulator's probes run at once: four tests, not GOMAXPROCS (two),
	// which would hold a drill back while probes run; a -parallel of the
	// caller's wins.
	if err := tier.Parallel(4); err != nil {
		return 1, err
	}
	if work, err = os.MkdirTemp("", "fp-calibration-drill-"); err != nil {
		return 1, err
	}
	defer os.RemoveAll(work)
	defer stopEmulators()
	// The SDK clients of the tests read the same variables as Terraform, and
	// nothing else of AWS (stagingEmulator sets them).
	unsetAWS()
	return m.Run(), nil
}

// unsetAWS removes every AWS_ variable from this process's environment.
func unsetAWS() {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			os.Unsetenv(k)
		}
	}
}

var motoOnce sync.Once

// sharedMoto is the moto server, started on first use.
func sharedMoto(t *testing.T) *motoServer {
	t.Helper()
	var err error
	motoOnce.Do(func() {
		var dir string
		if dir, err = os.MkdirTemp(work, "emulator-"); err == nil {
			moto, err = startMoto(dir)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if moto == nil {
		t.Fatal("the emulator failed to start (an earlier test says why)")
	}
	return moto
}

// newEmulator is an account of its own on the moto server, its proxies
// stopped when the test ends.
func newEmulator(t *testing.T, account string) *emulator {
	t.Helper()
	e, err := startEmulator(sharedMoto(t), account)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Stop)
	return e
}

// stagingEmulator is staging's account, started on first use, with this
// process's AWS variables pointing at it.
func stagingEmulator(t *testing.T) *emulator {
	t.Helper()
	if emu != nil {
		return emu
	}
	e, err := startEmulator(sharedMoto(t), staging.AccountID)
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range e.Env(staging.Region) {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	emu = e
	return emu
}

// stopEmulators stops staging's account's proxies and the moto server, and
// unsets the AWS variables that pointed at them.
func stopEmulators() {
	if emu != nil {
		emu.Stop()
		emu = nil
	}
	if moto != nil {
		moto.Stop()
	}
	unsetAWS()
}

// shell runs a command in the project copy with the emulator's environment.
type shell struct {
	t   *testing.T
	dir string
	env []string
	// beside: each terraform command that starts the provider
	// (synthlock.LoadsProvider), synthesis and script waits for a turn
	// of the work beside staging's steps (synthlock.Beside), as the other
	// packages' do: production's drill, so that its commands and the
	// others' never hold a provider each beside staging's step.
	beside bool
	// waits: its commands are waiting applies (synthlock.Waiting): they
	// run with a small heap (childgc.SmallHeap) and hold the waiting applies'
	// shared lock, and in staging's steps they take no turn.
	waits bool
}

func newShell(t *testing.T, dir string, e *emulator, region string) *shell {
	t.Helper()
	out, err := exec.Command(filepath.Join(dir, "scripts", "tf-cli-config.sh")).Output()
	if err != nil {
		t.Fatalf("tf-cli-config.sh: %v", err)
	}
	// Every command reaches the emulator through a proxy that answers what
	// moto lacks (fakes), so all of them see the same resources.
	proxy, err := startRecorder(e, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Stop)
	env := append(withoutAWS(os.Environ()), e.Env(region)...)
	env = append(env, "AWS_ENDPOINT_URL="+proxy.Endpoint, "TF_CLI_CONFIG_FILE="+strings.TrimSpace(string(out)), "CHECKPOINT_DISABLE=1", "TF_IN_AUTOMATION=1",
		"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20") // NODE_OPTIONS, GOGC, GOMEMLIMIT: childgc.Set
	return &shell{t: t, dir: dir, env: env}
}

// with is a shell whose environment also has the given variables (a later
// value wins).
func (s *shell) with(env ...string) *shell {
	return &shell{t: s.t, dir: s.dir, env: append(append([]string{}, s.env...), env...), beside: s.beside, waits: s.waits}
}

// stagingWaits is closed when staging's steps start a waiting apply of their
// own (the adoption's), stagingWaited when it ends: meanwhile no staging step
// runs beside the waiting applies, and the lifecycle rules' apply and
// production's give their turns up.
var stagingWaits, stagingWaited = make(chan struct{}), make(chan struct{})

// stagingStartsWaiting and stagingEndsWaiting close them, once per test
// binary (a second run of staging's drill, -count=2, finds them closed).
var (
	stagingStartsWaiting = sync.OnceFunc(func() { close(stagingWaits) })
	stagingEndsWaiting   = sync.OnceFunc(func() { close(stagingWaited) })
)

// stagingWaiting tells whether staging's waiting apply runs now.
func stagingWaiting() bool {
	select {
	case <-stagingWaited:
		return false
	default:
	}
	select {
	case <-stagingWaits:
		return true
	default:
		return false
	}
}

// waiting is the shell of a waiting apply (synthlock.Waiting).
func (s *shell) waiting() *shell {
	w := s.with(childgc.SmallHeap...)
	w.waits = true
	return w
}

// run returns the combined output and exit code.
func (s *shell) run(name string, args ...string) (string, int) {
	s.t.Helper()
	out, code := s.exec(name, args...)
	if code < 0 {
		s.t.Fatalf("%s: %s", name, out)
	}
	return out, code
}

// exec is run without the test: safe in a goroutine. A command that could not
// start has exit code -1 and its error as output.
func (s *shell) exec(name string, args ...string) (string, int) {
	loadsProvider := name == "terraform" && synthlock.LoadsProvider(args...) || name == "bash" // a script may
	if s.beside && (loadsProvider || synthlock.Synthesizes(name, args...)) && !(s.waits && stagingWaiting()) {
		release := sync.OnceFunc(synthlock.Beside()) // taken before the synthesis lock, never after
		defer release()
		if s.waits {
			// A waiting apply beside staging's steps (production's) gives
			// its turn up once staging's steps wait too (stagingWaits), and
			// takes none while they do: three waiting applies and one turn
			// beside them fit the memory budget; beside a staging step of
			// its own, a turn would not.
			done := make(chan struct{})
			defer close(done)
			go func() {
				select {
				case <-stagingWaits:
					if stagingWaiting() { // not if it has ended already: keep the turn
						release()
					}
				case <-done:
				}
			}()
		}
	}
	if s.waits {
		defer synthlock.Waiting()()
	}
	if s.beside && synthlock.Synthesizes(name, args...) {
		// Staging's steps never wait for a synthesis: every other one in
		// the whole proof holds a turn beside them too (production's,
		// __tests__'), so two at once are the two heavy processes the turns
		// allow, and the synthesis lock only makes the critical path wait
		// (10 s for the bootstrap's, measured).
		defer synthlock.Hold()()
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = s.dir
	cmd.Env = s.env
	if !s.waits && loadsProvider && (s.beside && synthlock.Crowded() || !s.beside && synthlock.WideRuns()) {
		// Beside the waiting applies, the turn beside staging's steps fits
		// the memory budget only with a smaller heap; beside the cdktf CLI's
		// synth, staging's step too.
		cmd.Env = append(append([]string{}, s.env...), childgc.Crowded...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Start()
	if err == nil {
		if s.beside {
			// Staging's steps first when both want a core (synthlock.Niceness).
			_ = synthlock.YieldProcess(cmd.Process.Pid)
		}
		err = cmd.Wait()
	}
	if exit, ok := err.(*exec.ExitError); ok {
		return out.String(), exit.ExitCode()
	} else if err != nil {
		return err.Error(), -1
	}
	return out.String(), 0
}

func (s *shell) must(name string, args ...string) string {
	s.t.Helper()
	out, code := s.run(name, args...)
	if code != 0 {
		s.t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, tail(out, 60))
	}
	return out
}

// terraform runs terraform in a synthesized stack folder.
func (s *shell) terraform(stack string, args ...string) (string, int) {
	s.t.Helper()
	return s.run("terraform", append([]string{"-chdir=" + filepath.Join("cdktf.out", "stacks", stack)}, args...)...)
}

func (s *shell) mustTerraform(stack string, args ...string) string {
	s.t.Helper()
	out, code := s.terraform(stack, args...)
	if code != 0 {
		s.t.Fatalf("terraform %s (%s): exit %d\n%s", strings.Join(args, " "), stack, code, tail(out, 60))
	}
	return out
}

// mustInit initializes a synthesized stack folder the way the scripts do
// (terraform_init of scripts/lib/common.sh), which records what it was
// initialized for: the next script on the same configuration then does not
// init again (a second or more each; twice on staging's chain, measured).
func (s *shell) mustInit(stack string) string {
	s.t.Helper()
	return s.must("bash", "-c", `source scripts/lib/common.sh && use_terraform_cli_config && terraform_init "$1"`,
		"init", filepath.Join("cdktf.out", "stacks", stack))
}

// changes is the part of a plan's output that says what would change.
func changes(plan string) string {
	out := []string{}
	keep := false
	for _, line := range strings.Split(plan, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "# ") {
			keep = true
		}
		if strings.HasPrefix(line, "Plan:") || strings.HasPrefix(line, "Error") {
			out = append(out, line)
			keep = false
		}
		if keep {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return tail(plan, 40)
	}
	return strings.Join(out, "\n")
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// targets lists a -target flag for every resource of a synthesized stack,
// and how many there are (the drill applies every one; a targeted apply
// splits the bootstrap, and counts check Terraform's summaries).
func targets(t *testing.T, dir, stack string) ([]string, int) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "cdktf.out", "stacks", stack, "cdk.tf.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Resource map[string]map[string]any `json:"resource"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for typ, byName := range doc.Resource {
		for name := range byName {
			out = append(out, "-target="+typ+"."+name)
		}
	}
	slices.Sort(out)
	return out, len(out)
}

// outputs reads a stack's outputs from its state (an apply of the whole
// stack writes them; a targeted one does not: refresh first).
func outputs(s *shell, stack string) map[string]string {
	s.t.Helper()
	raw := s.mustTerraform(stack, "output", "-json")
	var doc map[string]struct {
		Value any `json:"value"`
	}
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		s.t.Fatalf("outputs of %s: %v\n%s", stack, err, raw)
	}
	out := map[string]string{}
	for k, v := range doc {
		out[k] = fmt.Sprint(v.Value)
	}
	return out
}

var applied = regexp.MustCompile(`Apply complete! Resources: (\d+) added, (\d+) changed, (\d+) destroyed`)

// appliedImporting is Terraform's summary of an apply that may import.
var appliedImporting = regexp.MustCompile(`Apply complete! Resources: (?:(\d+) imported, )?(\d+) added,`)

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// countOf counts the targets of one resource type.
func countOf(targets []string, prefix string) int {
	n := 0
	for _, tg := range targets {
		if strings.HasPrefix(tg, "-target="+prefix) {
			n++
		}
	}
	return n
}

func firstTarget(targets []string, prefix string) string {
	for _, tg := range targets {
		if strings.HasPrefix(tg, "-target="+prefix) {
			return strings.TrimPrefix(tg, "-target=")
		}
	}
	return ""
}

// jsonOf is a compact rendering for messages.
func jsonOf(v any) string {
	var b bytes.Buffer
	_ = json.NewEncoder(&b).Encode(v)
	return strings.TrimSpace(b.String())
}
