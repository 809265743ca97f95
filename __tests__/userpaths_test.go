package tests

import (
	"bytes"
	"github.com/phase-mirror/fp-calibration-infra/internal/tier"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/app"
	"github.com/phase-mirror/fp-calibration-infra/internal/childgc"
	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

// cleanClone is a copy of the project's sources as a clone has them, with
// the installed node_modules linked in (the README's `npm ci`).
func cleanClone(t *testing.T) string {
	t.Helper()
	dir := repoCopy(t)
	modules, err := filepath.Abs("../node_modules")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, ".bin", "cdktf")); err != nil {
		t.Fatal("node_modules has no cdktf CLI: run `npm ci` first (the README's test command does)")
	}
	if err := os.Symlink(modules, filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// noCredentials is an environment with no AWS credentials anywhere and no
// instance metadata lookups (nothing leaves the machine).
func noCredentials(t *testing.T) []string {
	t.Helper()
	empty := filepath.Join(t.TempDir(), "none")
	return []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
		"AWS_CONFIG_FILE=" + empty, "AWS_SHARED_CREDENTIALS_FILE=" + empty, "AWS_EC2_METADATA_DISABLED=true"}
}

// run runs a command of the docs or help in dir, as a user would.
func run(t *testing.T, dir string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	return runIn(t, dir, "", env, name, args...)
}

// runIn runs a command in dir with stdin and env added to the environment,
// and returns its combined output and exit code.
func runIn(t *testing.T, dir, stdin string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "CHECKPOINT_DISABLE=1")
	cmd.Env = append(cmd.Env, env...)
	// A script run with stubTerraform's stubs takes its turns in the stub go,
	// in the locks' order, only when it must synthesize; a refusal takes none.
	if !slices.Contains(env, stubbedTools) && !slices.Contains(env, refusal) {
		take := func() func() { return heavy.takeFor(urgent(t)) }
		switch {
		case synthlock.IsWide(name, args...):
			defer synthlock.Wide(take)()
		case heavyCommand(name, args...):
			defer take()()
			if !synthlock.Synthesizes(name, args...) && synthlock.Crowded() {
				cmd.Env = append(cmd.Env, childgc.Crowded...) // as terraformWith
			}
		}
		if synthlock.Synthesizes(name, args...) {
			defer synthlock.Hold()()
		}
	}
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func mustRun(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, code := run(t, dir, env, name, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", name, strings.Join(args, " "), code, out)
	}
	return out
}

// lastLine is the last non-empty line of a command's output.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

// TestEveryNoAWSCommandOfTheReadmeWorksFromACleanClone runs, on a clean copy,
// every command of the README, docs/ and help that needs no AWS account, in the
// order a new user would, and checks what each leaves behind.
func TestEveryNoAWSCommandOfTheReadmeWorksFromACleanClone(t *testing.T) {
	tier.Full(t, "every command on a clean clone: real syntheses, terraform init/validate/plan, trivy (minutes)")
	// Beside the others, from the start, without waiting for a place among
	// them (concurrent): its own clone; the longest chain of this package,
	// its heavy commands go first (slot.takeFor); its CLI syntheses may wait
	// for the drill's waiting applies (synthlock.Wide).
	t.Parallel()
	dir := cleanClone(t)
	stacksDir := filepath.Join(dir, "cdktf.out", "stacks")
	var policySummary string // the rules' summary line of `go run .`

	t.Run("go run .", func(t *testing.T) {
		out := mustRun(t, dir, nil, "go", "run", ".")
		policySummary = summaryLine(out)
		if !strings.HasPrefix(policySummary, "policy: 13 rules") || !strings.HasSuffix(policySummary, " 0 findings") {
			t.Errorf("the security rules did not report:\n%s", out)
		}
		for _, name := range AllStackNames() {
			for _, f := range []string{"cdk.tf.json", app.LockFileName} {
				if _, err := os.Stat(filepath.Join(stacksDir, name, f)); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		}
		// Reproducible: the real program, in another process and folder, wrote
		// the same bytes as the tests' own synthesis (stack JSON, Lambda
		// packages, lock files), so an apply after a re-synth changes nothing.
		if n := compareTrees(t, filepath.Join(outdir, "stacks"), stacksDir); n < 10 {
			t.Errorf("only %d files compared", n)
		}
	})
	// validate.sh synthesizes again (JSON, and its own HCL rendering, which
	// go run . does not write); the next commands reuse both.
	reused := func(t *testing.T, out string) {
		t.Helper()
		if !strings.Contains(out, "not synthesized again") {
			t.Errorf("synthesized again, with nothing changed since validate.sh:\n%s", out)
		}
	}
	for i, env := range StackNames() {
		t.Run("scripts/validate.sh "+env, func(t *testing.T) {
			out := mustRun(t, dir, nil, "bash", "scripts/validate.sh", env)
			if lastLine(out) != "validate: "+env+" is valid" || !strings.Contains(out, "== HCL rendering") {
				t.Errorf("validate.sh %s:\n%s", env, out)
			}
			if i > 0 {
				reused(t, out)
			}
		})
	}
	t.Run("scripts/scan.sh", func(t *testing.T) {
		if _, err := os.Stat(trivyPath()); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("trivy is not built (%v): .ci/run builds it before the tests (scripts/scan.sh --install)", err)
			}
			t.Skip("trivy not built yet: run scripts/scan.sh --install once (minutes; CI does it before the tests)")
		}
		out := mustRun(t, dir, nil, "bash", "scripts/scan.sh")
		if !strings.HasPrefix(lastLine(out), "scan: no findings left") {
			t.Errorf("scan.sh:\n%s", out)
		}
		reused(t, out)
	})
	t.Run("scripts/update-locks.sh", func(t *testing.T) {
		out := mustRun(t, dir, nil, "bash", "scripts/update-locks.sh")
		if lastLine(out) != "update-locks: review the diff of locks/ and commit it" {
			t.Errorf("update-locks.sh:\n%s", out)
		}
		reused(t, out)
		// With the provider unchanged, the committed lock files stay as they are.
		for _, name := range AllStackNames() {
			committed, _ := os.ReadFile(filepath.Join("..", "locks", name, app.LockFileName))
			updated, err := os.ReadFile(filepath.Join(dir, "locks", name, app.LockFileName))
			if err != nil || !bytes.Equal(committed, updated) {
				t.Errorf("%s: update-locks.sh changed the lock file of an unchanged provider (%v)", name, err)
			}
		}
	})
	t.Run("scripts/bench.sh", func(t *testing.T) {
		// The synthesis row only (the test tiers' rows run the test command
		// itself, minutes a run), one run; a bad run count is refused.
		// Its exit is 1 when a row is over budget: a budget is the benchmark's
		// verdict on a quiet machine, never a test's.
		out, code := run(t, dir, []string{"BENCH_TIERS=none"}, "bash", "scripts/bench.sh", "1")
		if code > 1 || !regexp.MustCompile(`(?m)^synthesis of all stacks / floor +[0-9.]+ x +budget +1\.20 x +(ok|OVER)$`).MatchString(out) {
			t.Errorf("bench.sh: exit %d, no synthesis row:\n%s", code, out)
		}
		if out, code := run(t, dir, []string{refusal}, "bash", "scripts/bench.sh", "many"); code != 2 || !strings.Contains(out, "error: runs 'many' is not a positive whole number") {
			t.Errorf("bench.sh many: exit %d\n%s", code, out)
		}
	})
	t.Run("scripts/plan.sh without credentials", func(t *testing.T) {
		out, code := run(t, dir, noCredentials(t), "bash", "scripts/plan.sh", "staging")
		reused(t, out) // update-locks.sh left the unchanged lock files as they were
		last := lastLine(out)
		if code == 0 || !strings.HasPrefix(last, "error: terraform plan of staging failed: ") || !strings.HasSuffix(last, "; no plan was written") {
			t.Fatalf("exit %d, last line %q:\n%s", code, last, out)
		}
		if !strings.Contains(strings.ToLower(last), "credential") {
			t.Errorf("the error does not say what is missing: %q", last)
		}
		leftovers, _ := filepath.Glob(filepath.Join(dir, "plans", "*staging*"))
		if hidden, _ := filepath.Glob(filepath.Join(dir, "plans", ".*")); len(hidden) > 0 {
			leftovers = append(leftovers, hidden...)
		}
		if len(leftovers) > 0 {
			t.Errorf("a failed plan left files behind: %v", leftovers)
		}
		// The next command a user types must not misread anything.
		out, code = run(t, dir, []string{refusal}, "bash", "scripts/apply.sh", "staging", "plans/staging.tfplan")
		if code == 0 || lastLine(out) != "error: plan file 'plans/staging.tfplan' does not exist; make one with scripts/plan.sh staging" {
			t.Errorf("apply.sh after a failed plan: exit %d\n%s", code, out)
		}
	})
	// The cdktf CLI's syntheses come last: each waits until no waiting apply
	// of the drill runs (synthlock.Wide), and the commands above need not.
	// The HCL first: the JSON synthesis after it must replace it.
	t.Run("npx cdktf synth --hcl", func(t *testing.T) {
		out := mustRun(t, dir, nil, "npx", "--no-install", "cdktf", "synth", "--hcl")
		// The rules ran on the same JSON, with the same checks, before the HCL was written.
		if got := summaryLine(out); got != policySummary {
			t.Errorf("synth --hcl: rules summary %q, want %q as from go run .", got, policySummary)
		}
		for _, name := range AllStackNames() {
			hcl, err := os.ReadFile(filepath.Join(stacksDir, name, "cdk.tf"))
			if err != nil {
				t.Errorf("%s: no HCL: %v", name, err)
				continue
			}
			if _, err := os.Stat(filepath.Join(stacksDir, name, "cdk.tf.json")); err == nil {
				t.Errorf("%s: both cdk.tf and cdk.tf.json: terraform would read both", name)
			}
			if !strings.Contains(string(hcl), `required_version = ">= 1.11"`) {
				t.Errorf("%s: the HCL's terraform block lacks required_version", name)
			}
		}
	})
	t.Run("npx cdktf synth", func(t *testing.T) {
		out := mustRun(t, dir, nil, "npx", "--no-install", "cdktf", "synth")
		// The cdktf CLI labels every line of its app's stderr [ERROR]: the
		// program's notes reach it on stdout, and read as what they are.
		if got := summaryLine(out); got != policySummary {
			t.Errorf("cdktf synth: rules summary %q, want %q as from go run .", got, policySummary)
		}
		notes := 0
		for _, line := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
			if strings.Contains(line, "warning: environments/") || strings.Contains(line, "policy: ") {
				notes++
				if strings.Contains(line, "[ERROR]") {
					t.Errorf("cdktf synth shows a note as an error: %s", line)
				}
			}
		}
		if notes < 2 {
			t.Errorf("cdktf synth showed %d notes, want the placeholder warnings and the rules' summary:\n%s", notes, out)
		}
		// It replaced synth --hcl's HCL: terraform would read both.
		for _, name := range AllStackNames() {
			if _, err := os.Stat(filepath.Join(stacksDir, name, "cdk.tf.json")); err != nil {
				t.Errorf("%s: %v", name, err)
			}
			if _, err := os.Stat(filepath.Join(stacksDir, name, "cdk.tf")); err == nil {
				t.Errorf("%s: the HCL of synth --hcl is still there beside the JSON", name)
			}
		}
	})
}

// summaryLine is the security rules' summary line of a synthesis's output.
// ansi matches the terminal control sequences the cdktf CLI writes.
var ansi = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func summaryLine(out string) string {
	for _, line := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "policy: ") && strings.Contains(line, " checks passed") {
			return line
		}
	}
	return ""
}

// compareTrees reports every file of want that got lacks or holds other bytes
// in, and returns how many files it compared.
func compareTrees(t *testing.T, want, got string) int {
	t.Helper()
	files := 0
	err := filepath.WalkDir(want, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(want, path)
		first, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		second, err := os.ReadFile(filepath.Join(got, rel))
		if err != nil {
			t.Errorf("%s is missing from the second synthesis", rel)
			return nil
		}
		if !bytes.Equal(first, second) {
			t.Errorf("%s differs between two syntheses", rel)
		}
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// trivyPath is where scripts/scan.sh keeps the trivy it builds.
func trivyPath() string {
	if dir := os.Getenv("FP_TOOLS_DIR"); dir != "" {
		return filepath.Join(dir, "bin", "trivy")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(cache, "fp-calibration-infra", "bin", "trivy")
}
