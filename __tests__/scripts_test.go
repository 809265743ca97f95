package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
	"github.com/phase-mirror/fp-calibration-infra/internal/testrepo"
)

// repoCopy copies the project's sources into a temporary folder, so scripts
// run against a clean checkout and leave the working tree alone.
func repoCopy(t *testing.T) string { return testrepo.Copy(t, "..") }

// stubTerraform puts a stub `terraform` (and a stub `go`) first on PATH that records each call's
// arguments, one line per call, in the returned log file: a test proves that
// terraform ran (or not), and how, from the log rather than from output. It
// writes the file of plan -out= and answers plan with an empty plan's summary.
func stubTerraform(t *testing.T) (env []string, log string) {
	t.Helper()
	bin := t.TempDir()
	log = filepath.Join(bin, "calls.log")
	stub := `#!/usr/bin/env bash
echo "$*" >>"` + log + `"
for arg in "$@"; do
  case "$arg" in
    -out=*) echo "stub plan" >"${arg#-out=}" ;;
  esac
done
case " $* " in
  *" plan "*) echo "Plan: 0 to add, 0 to change, 0 to destroy." ;;
esac
exit 0
`
	if err := os.WriteFile(filepath.Join(bin, "terraform"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	// The scripts synthesize with `go run .`: with the shipped settings a stub
	// go copies the synthesis TestMain made of them, so a script test does not
	// pay for another (the user-path tests run the scripts with the real one).
	// A test that edits the settings gets the real synthesis.
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := filepath.Abs("../environments")
	if err != nil {
		t.Fatal(err)
	}
	// A real synthesis takes its turn beside the drill's steps and then with
	// the other packages' syntheses (synthlock), where the machine has
	// flock(1): a script run with these stubs is otherwise light, and takes
	// no turn (stubbedTools).
	goStub := `#!/usr/bin/env bash
if [ "$*" != "run ." ] || ! diff -rq environments "` + shipped + `" >/dev/null; then
  if [ "${1:-}" = run ] && command -v flock >/dev/null 2>&1; then exec flock "` + synthlock.BesidePath + `" flock "` + synthlock.Path + `" "` + realGo + `" "$@"; fi
  exec "` + realGo + `" "$@"
fi
rm -rf cdktf.out && mkdir cdktf.out && cp -R "` + outdir + `/." cdktf.out/
`
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(goStub), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), stubbedTools}, log
}

// stubbedTools marks the environment of a script run with stubs (stubTerraform's,
// or stubCommands' with a stub go): it runs no terraform, and no synthesis
// unless the stub go must make one, which then takes its turns itself; so
// runIn takes none for it. Sixteen refusals of TestScriptsRefuseBadUse, 0.2 s
// of work, took 110 s of the whole proof waiting for turns beside the drill's
// steps; the stale-synthesis and BSD-date tests' 17 runs, 160-180 s.
const stubbedTools = "FP_CALIBRATION_TEST_STUBS=1"

// refusal marks the environment of a command that must refuse before it
// runs anything heavy (a bad argument, a missing plan file): runIn takes no
// turn for it. In the clean-clone test two such refusals waited 6-10 s each
// for turns the work beside the drill held (measured).
const refusal = "FP_CALIBRATION_TEST_REFUSAL=1"

// calls reads a stub's log: one entry per terraform call.
func calls(t *testing.T, log string) []string {
	t.Helper()
	raw, err := os.ReadFile(log)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(raw)), "\n")
}

func runScript(t *testing.T, dir, stdin string, env []string, args ...string) (string, int) {
	t.Helper()
	return runIn(t, dir, stdin, env, "bash", args...)
}

// TestScriptsRefuseBadUse: unknown environments, missing or foreign plan files,
// stale plans and unconfirmed production applies are refused with a clear
// message, before terraform runs.
func TestScriptsRefuseBadUse(t *testing.T) {
	light(t)
	dir := repoCopy(t)
	// A plan file from plan.sh has a digest beside it; fake one for the current
	// configuration, and one for another.
	if err := os.MkdirAll(filepath.Join(dir, "plans"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"production.tfplan", "staging.tfplan", "foreign.tfplan"} {
		if err := os.WriteFile(filepath.Join(dir, "plans", f), []byte("not a real plan"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	current := func(env string) string { return digest(t, filepath.Join(outdir, "stacks", env, "cdk.tf.json")) }
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, "plans", name), []byte(content+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("production.tfplan.sha256", current("production"))
	write("staging.tfplan.sha256", strings.Repeat("0", 64))

	cases := []struct {
		name  string
		stdin string
		env   []string
		args  []string
		want  string
	}{
		{"validate without environment", "", nil, []string{"scripts/validate.sh"}, "no environment given"},
		{"validate unknown environment", "", nil, []string{"scripts/validate.sh", "dev"}, "unknown environment 'dev'"},
		{"plan unknown environment", "", nil, []string{"scripts/plan.sh", "prod"}, "unknown environment 'prod'"},
		{"apply unknown environment", "", nil, []string{"scripts/apply.sh", "qa", "plans/staging.tfplan"}, "unknown environment 'qa'"},
		{"apply without plan file", "", nil, []string{"scripts/apply.sh", "staging"}, "usage: scripts/apply.sh"},
		{"apply missing plan file", "", nil, []string{"scripts/apply.sh", "staging", "plans/none.tfplan"}, "does not exist"},
		{"apply plan not made by plan.sh", "", nil, []string{"scripts/apply.sh", "staging", "plans/foreign.tfplan"}, "only plans made by scripts/plan.sh"},
		{"apply stale plan", "", nil, []string{"scripts/apply.sh", "staging", "plans/staging.tfplan"}, "stale plan"},
		{"production not confirmed", "yes\n", nil, []string{"scripts/apply.sh", "production", "plans/production.tfplan"}, "not confirmed; nothing was applied"},
		{"production approval variable must be exact", "", []string{"CI_APPROVED=1"}, []string{"scripts/apply.sh", "production", "plans/production.tfplan"}, "not confirmed"},
		{"smoke unknown environment", "", nil, []string{"scripts/smoke.sh", "prod"}, "unknown environment 'prod'"},
		{"drift unknown environment", "", nil, []string{"scripts/drift.sh"}, "no environment given"},
		{"restore without table", "", nil, []string{"scripts/restore.sh", "staging"}, "no table given"},
		{"restore time not UTC", "", nil, []string{"scripts/restore.sh", "staging", "phase-mirror-consent-store-staging", "2026-12-01 09:30"}, "is not a UTC time like 2026-12-01T09:30:00Z"},
		{"restore time invalid", "", nil, []string{"scripts/restore.sh", "staging", "phase-mirror-consent-store-staging", "2026-13-45T09:30:00Z"}, "is not a UTC time"},
		{"restore time in the future", "", nil, []string{"scripts/restore.sh", "staging", "phase-mirror-consent-store-staging", "2099-01-01T00:00:00Z"}, "is in the future"},
	}
	stub, log := stubTerraform(t)
	for _, c := range cases {
		out, code := runScript(t, dir, c.stdin, append(c.env, stub...), c.args...)
		if code == 0 || !strings.Contains(out, "error: "+strings.SplitN(c.want, " ", 2)[0]) && !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
			continue
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: output lacks %q:\n%s", c.name, c.want, out)
		}
		if ran := calls(t, log); len(ran) > 0 {
			t.Errorf("%s: terraform ran: %q", c.name, ran)
			os.Remove(log)
		}
	}
}

// TestScriptsRunTerraformAsDocumented: with a stub terraform, plan.sh runs
// init with the read-only lock file, plan to a file and show, and writes the
// plan, its text and digest (no JSON); apply.sh applies exactly that file; in
// a workflow both refuse local state before terraform runs.
func TestScriptsRunTerraformAsDocumented(t *testing.T) {
	light(t)
	dir := repoCopy(t)
	stub, log := stubTerraform(t)
	stack := filepath.Join(dir, "cdktf.out", "stacks", "staging")
	plan := filepath.Join(dir, "plans", "staging.tfplan")

	out, code := runScript(t, dir, "", stub, "scripts/plan.sh", "staging")
	if code != 0 {
		t.Fatalf("plan.sh: exit %d\n%s", code, out)
	}
	got := calls(t, log)
	want := []string{
		"-chdir=" + stack + " init -input=false -no-color -lockfile=readonly",
		"-chdir=" + stack + " plan -input=false -no-color -out=" + filepath.Join(dir, "plans", ".staging.tfplan.partial"),
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plan.sh ran terraform as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range []string{"staging.tfplan", "staging.tfplan.txt", "staging.tfplan.sha256"} {
		if _, err := os.Stat(filepath.Join(dir, "plans", f)); err != nil {
			t.Errorf("plan.sh did not write %s", f)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "plans", "*.json")); len(left) > 0 {
		t.Errorf("plan.sh wrote plan JSON: %v", left)
	}

	os.Remove(log)
	out, code = runScript(t, dir, "", stub, "scripts/apply.sh", "staging", "plans/staging.tfplan")
	if code != 0 {
		t.Fatalf("apply.sh: exit %d\n%s", code, out)
	}
	got = calls(t, log)
	want = []string{
		"-chdir=" + stack + " init -input=false -no-color -lockfile=readonly",
		"-chdir=" + stack + " apply -input=false -no-color " + plan,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("apply.sh ran terraform as\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	os.Remove(log)
	for _, script := range [][]string{{"scripts/apply.sh", "staging", "plans/staging.tfplan"}, {"scripts/plan.sh", "staging"}} {
		out, code = runScript(t, dir, "", append(stub, "GITHUB_ACTIONS=true"), script...)
		if code == 0 || !strings.Contains(out, "error: staging keeps its Terraform state in a local file, which is lost with the CI runner") {
			t.Errorf("%s in a workflow with local state: exit %d\n%s", script[0], code, out)
		}
		if ran := calls(t, log); len(ran) > 0 {
			t.Errorf("%s: terraform ran with local state in a workflow: %q", script[0], ran)
		}
	}

	// Adoption runs from an administrator's machine: its plan holds the
	// imported objects. In a workflow plan.sh refuses it, with S3 state: the
	// configuration TestMain synthesized with both (newer than every input,
	// so plan.sh does not synthesize again).
	if err := os.WriteFile(filepath.Join(dir, "cdktf.out", "stacks", "staging", "cdk.tf.json"), remoteStacks["staging"].Raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = runScript(t, dir, "", append(stub, "GITHUB_ACTIONS=true"), "scripts/plan.sh", "staging")
	if code == 0 || !strings.Contains(out, "error: environments/staging.json has adopt.enabled: adopting the HCL deployment runs from an administrator's machine") {
		t.Errorf("plan.sh adopting in a workflow: exit %d\n%s", code, out)
	}
	if ran := calls(t, log); len(ran) > 0 {
		t.Errorf("plan.sh: terraform ran for an adoption in a workflow: %q", ran)
	}
}

func TestScriptsPassShellcheck(t *testing.T) {
	light(t)
	if _, err := exec.LookPath("shellcheck"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("shellcheck is not installed; .ci/run installs it (apt-get install shellcheck)")
		}
		t.Skip("shellcheck not installed (CI installs it)")
	}
	scripts, _ := filepath.Glob("../scripts/*.sh")
	scripts = append(scripts, "../scripts/lib/common.sh", "../.ci/run")
	cmd := exec.Command("shellcheck", append([]string{"-x", "-P", "SCRIPTDIR"}, scripts...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("shellcheck: %v\n%s", err, out)
	}
	for _, s := range scripts {
		body, _ := os.ReadFile(s)
		if strings.HasSuffix(s, ".sh") && !strings.Contains(s, "lib/") && !strings.Contains(string(body), "set -euo pipefail") {
			t.Errorf("%s lacks set -euo pipefail", s)
		}
	}
}

// TestWorkflowsPassActionlintAndUseOIDC runs actionlint (and its shellcheck of
// run: steps) on the workflows and checks the delivery rules.
func TestWorkflowsPassActionlintAndUseOIDC(t *testing.T) {
	// Sequential, not light: on a cold build cache go tool builds actionlint
	// (a link of about 300 MiB) before it runs.
	// actionlint is pinned in go.mod.
	cmd := exec.Command("go", "tool", "actionlint")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("actionlint: %v\n%s", err, out)
	}
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	if len(files) == 0 {
		t.Fatal("no workflows")
	}
	oidc := false
	for _, f := range files {
		body, _ := os.ReadFile(f)
		text := string(body)
		for _, forbidden := range []string{"aws-access-key-id", "aws-secret-access-key", "AWS_ACCESS_KEY_ID", "-auto-approve"} {
			if strings.Contains(text, forbidden) {
				t.Errorf("%s uses %s", f, forbidden)
			}
		}
		for _, line := range strings.Split(text, "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "- uses:") && !strings.HasPrefix(line, "uses:") {
				continue
			}
			ref := strings.Fields(strings.SplitN(line, "uses:", 2)[1])[0]
			if strings.HasPrefix(ref, "./") {
				continue
			}
			at := strings.LastIndex(ref, "@")
			if at < 0 || len(ref[at+1:]) != 40 || strings.Trim(ref[at+1:], "0123456789abcdef") != "" {
				t.Errorf("%s: %s is not pinned to a commit SHA", filepath.Base(f), ref)
			}
		}
		if strings.Contains(text, "aws-actions/configure-aws-credentials") {
			oidc = oidc || strings.Contains(text, "id-token: write") && strings.Contains(text, "role-to-assume:")
		}
	}
	if !oidc {
		t.Error("no workflow assumes a role with OIDC")
	}
}

// TestEveryBuildUsesOneGoPatchRelease: the rotator's source_code_hash follows
// the compiler, so every build that feeds a plan uses the same Go: go.mod's
// go line names a patch release, and every workflow's setup-go takes its
// version from go.mod (actions/setup-go uses a patch version it finds there
// as it is). A plan made with one Go and applied after a patch release would
// otherwise be refused as stale.
func TestEveryBuildUsesOneGoPatchRelease(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^go \d+\.\d+\.\d+$`).Match(mod) {
		t.Error("go.mod's go line names no patch release (go 1.x.y)")
	}
	files, _ := filepath.Glob("../.github/workflows/*.yml")
	for _, f := range files {
		body, _ := os.ReadFile(f)
		text := string(body)
		setups := strings.Count(text, "actions/setup-go@")
		if pinned := strings.Count(text, "go-version-file: go.mod"); setups != pinned || strings.Contains(text, "go-version:") {
			t.Errorf("%s: %d setup-go steps, %d take the version from go.mod", filepath.Base(f), setups, pinned)
		}
	}
}

// TestTheTestJobInstallsWhatTheTestsStart: the workflow job that runs the
// README's test command has every tool the tests start that a GitHub runner
// lacks installed (moto_server, at the version the drill is tested with) or
// checked (the aws CLI) by a step before the tests.
func TestTheTestJobInstallsWhatTheTestsStart(t *testing.T) {
	raw, err := os.ReadFile("../.github/workflows/infrastructure.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `yaml:"run"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	before := ""
	for _, s := range wf.Jobs["test"].Steps {
		if strings.Contains(s.Run, ".ci/run") {
			break
		}
		before += s.Run + "\n"
	}
	for tool, step := range map[string]string{"moto_server": `"moto[server]==5.2.1"`, "aws CLI": "aws --version"} {
		if !strings.Contains(before, step) {
			t.Errorf("the test job starts the tests without a step that installs or checks the %s (%s)", tool, step)
		}
	}
}

// TestEveryTrivyIgnoreHasAReason: each ignored check in .trivyignore.yaml
// carries a statement.
func TestEveryTrivyIgnoreHasAReason(t *testing.T) {
	raw, err := os.ReadFile("../.trivyignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string][]struct {
		ID        string   `yaml:"id"`
		Paths     []string `yaml:"paths"`
		Statement string   `yaml:"statement"`
	}
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf(".trivyignore.yaml: %v", err)
	}
	entries := 0
	for kind, list := range doc {
		for _, e := range list {
			entries++
			if e.ID == "" || len(strings.TrimSpace(e.Statement)) < 30 {
				t.Errorf("%s: ignore %q has no real statement", kind, e.ID)
			}
		}
	}
	if entries == 0 {
		t.Fatal("no entries")
	}
}

// TestDriftWorkflow: the scheduled drift check runs drift.sh with the plan
// role of each environment, acts on its exit codes 2 and 0 with one issue per
// environment, and fails the job on exit 1.
func TestDriftWorkflow(t *testing.T) {
	raw, err := os.ReadFile("../.github/workflows/drift.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On   map[string]any         `yaml:"on"`
		Jobs map[string]workflowJob `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(raw, &wf); err != nil {
		t.Fatal(err)
	}
	if wf.On["schedule"] == nil {
		t.Error("drift.yml has no schedule")
	}
	job := wf.Jobs["drift"]
	if job.Permissions["id-token"] != "write" || job.Permissions["issues"] != "write" || job.Permissions["contents"] != "read" {
		t.Errorf("drift job permissions %v, want id-token write, issues write, contents read", job.Permissions)
	}
	envs := []string{}
	for _, m := range job.Strategy.Matrix.Include {
		envs = append(envs, m["environment"])
		if m["plan_role"] != strings.ToUpper(m["environment"])+"_PLAN_ROLE_ARN" {
			t.Errorf("%s drift check assumes %q, not its plan role", m["environment"], m["plan_role"])
		}
	}
	if !slices.Equal(envs, StackNames()) {
		t.Errorf("drift checks %v, want %v", envs, StackNames())
	}
	var check, open, closeIssue bool
	for _, s := range job.Steps {
		switch {
		case s.With["role-to-assume"] != "" && s.With["role-to-assume"] != "${{ vars[matrix.plan_role] }}":
			t.Errorf("drift job assumes %s", s.With["role-to-assume"])
		case s.ID == "drift":
			check = strings.Contains(s.Run, `scripts/drift.sh "${ENVIRONMENT}"`) && strings.Contains(s.Run, `[ "${code}" -ne 1 ]`)
		case s.If == "steps.drift.outputs.code == '2'":
			open = strings.Contains(s.Run, "gh issue create") && strings.Contains(s.Run, "gh issue comment")
		case s.If == "steps.drift.outputs.code == '0'":
			closeIssue = strings.Contains(s.Run, "gh issue close")
		}
	}
	if !check || !open || !closeIssue {
		t.Errorf("drift steps: check %v, open or comment on exit 2 %v, close on exit 0 %v", check, open, closeIssue)
	}
}
