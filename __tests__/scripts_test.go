package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// repoCopy copies the project's sources into a temporary folder, so scripts
// run against a clean checkout and leave the working tree alone.
func repoCopy(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	root, _ := filepath.Abs("..")
	skip := map[string]bool{".git": true, "node_modules": true, "cdktf.out": true, ".terraform-cli": true, ".bench": true, "plans": true}
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if skip[strings.Split(rel, string(filepath.Separator))[0]] {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func runScript(t *testing.T, dir, stdin string, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", args...)
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(append(os.Environ(), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20"), env...)
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return string(out), exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

// TestScriptsRefuseBadUse: unknown environments, missing or foreign plan files,
// stale plans and unconfirmed production applies are refused with a clear
// message, before terraform runs.
func TestScriptsRefuseBadUse(t *testing.T) {
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
	}
	for _, c := range cases {
		out, code := runScript(t, dir, c.stdin, c.env, c.args...)
		if code == 0 || !strings.Contains(out, "error: "+strings.SplitN(c.want, " ", 2)[0]) && !strings.Contains(out, c.want) {
			t.Errorf("%s: exit %d, output:\n%s", c.name, code, out)
			continue
		}
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: output lacks %q:\n%s", c.name, c.want, out)
		}
		if strings.Contains(out, "Terraform") || strings.Contains(out, "apply: ") {
			t.Errorf("%s: terraform ran:\n%s", c.name, out)
		}
	}
}

func TestScriptsPassShellcheck(t *testing.T) {
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
	cmd := exec.Command("go", "run", "github.com/rhysd/actionlint/cmd/actionlint@v1.7.12")
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

// TestEveryTrivyIgnoreHasAReason: each ignored check in .trivyignore.yaml
// carries a statement.
func TestEveryTrivyIgnoreHasAReason(t *testing.T) {
	raw, err := os.ReadFile("../.trivyignore.yaml")
	if err != nil {
		t.Fatal(err)
	}
	entries := strings.Split(string(raw), "  - id: ")[1:]
	if len(entries) == 0 {
		t.Fatal("no entries")
	}
	for _, e := range entries {
		id := strings.TrimSpace(strings.SplitN(e, "\n", 2)[0])
		i := strings.Index(e, "statement: \"")
		if i < 0 || len(strings.TrimSpace(strings.SplitN(e[i+len("statement: \""):], "\"", 2)[0])) < 30 {
			t.Errorf("ignore %s has no real statement", id)
		}
	}
}
