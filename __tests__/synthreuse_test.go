package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestScriptsSynthesizeOnlyWhatIsStale: validate.sh and update-locks.sh reuse
// a synthesis (and validate.sh its HCL rendering) while it is newer than
// every input, and synthesize again after an input changes, after a
// synthesis without the rendering, and after a failed synthesis, which
// leaves no rendering behind. A stub `go` logs each synthesis and writes
// stand-in stacks; a stub `terraform` answers.
func TestScriptsSynthesizeOnlyWhatIsStale(t *testing.T) {
	concurrent(t)
	dir := repoCopy(t)
	log := filepath.Join(t.TempDir(), "syntheses")
	env := append(stubCommands(t, map[string]string{
		"terraform": "exit 0\n",
		"go": `echo "$*" >>"` + log + `"
[ -z "${FAIL_SYNTH:-}" ] || { echo "error: synthesis failed" >&2; exit 1; }
for s in staging production state-bootstrap-staging state-bootstrap-production; do
  mkdir -p "cdktf.out/stacks/$s" && echo "{\"stack\": \"$s\"}" >"cdktf.out/stacks/$s/cdk.tf.json" && : >"cdktf.out/stacks/$s/.terraform.lock.hcl"
  if [ "${2:-}" = -hcl ]; then mkdir -p "$3/stacks/$s" && echo "# $s" >"$3/stacks/$s/cdk.tf"; fi
done
`,
	}), "FAIL_SYNTH=", stubbedTools) // no terraform, no synthesis: no turn
	syntheses := func() []string { // one line per `go` call: its arguments
		raw, _ := os.ReadFile(log)
		return strings.FieldsFunc(string(raw), func(r rune) bool { return r == '\n' })
	}
	// step runs a script; wantNew is the one synthesis it makes ("run . -hcl"),
	// or "" for none.
	step := func(what string, env []string, wantCode int, wantNew string, args ...string) {
		t.Helper()
		before := len(syntheses())
		out, code := runScript(t, dir, "", env, args...)
		made := syntheses()[before:]
		ok := len(made) == 0 && wantNew == "" || len(made) == 1 && wantNew != "" && strings.HasPrefix(made[0], wantNew)
		if code != wantCode || !ok {
			t.Fatalf("%s: exit %d (want %d), syntheses %q (want one %q, or none for \"\"):\n%s", what, code, wantCode, made, wantNew, out)
		}
		if wantNew == "" && !strings.Contains(out, "not synthesized again") {
			t.Errorf("%s: reused the synthesis without saying so:\n%s", what, out)
		}
	}
	rendering := filepath.Join(dir, ".hcl-rendering")
	// editSettings makes a settings file newer than the last synthesis, as an
	// edit does (after a pause longer than the file times' resolution).
	editSettings := func() {
		t.Helper()
		time.Sleep(20 * time.Millisecond)
		now := time.Now()
		if err := os.Chtimes(filepath.Join(dir, "environments", "staging.json"), now, now); err != nil {
			t.Fatal(err)
		}
	}

	step("validate.sh staging on a fresh clone", env, 0, "run . -hcl", "scripts/validate.sh", "staging")
	step("validate.sh production right after", env, 0, "", "scripts/validate.sh", "production")
	step("update-locks.sh right after", env, 0, "", "scripts/update-locks.sh")
	editSettings() // newer than every synthesis so far
	step("validate.sh after a settings change", env, 0, "run . -hcl", "scripts/validate.sh", "production")
	// A synthesis without the rendering (go run .) writes other JSON: the
	// rendering is of the JSON it was made from.
	for _, s := range []string{"staging", "production"} {
		if err := os.WriteFile(filepath.Join(dir, "cdktf.out", "stacks", s, "cdk.tf.json"), []byte("{\"other\": true}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step("validate.sh after another synthesis", env, 0, "run . -hcl", "scripts/validate.sh", "staging")
	editSettings()
	step("validate.sh with a failing synthesis", append(env, "FAIL_SYNTH=1"), 1, "run . -hcl", "scripts/validate.sh", "staging")
	if leftovers, _ := filepath.Glob(rendering + "*"); len(leftovers) > 0 {
		t.Errorf("a failed synthesis left %v", leftovers)
	}
	step("validate.sh once it synthesizes again", env, 0, "run . -hcl", "scripts/validate.sh", "staging")
	step("update-locks.sh with a fresh synthesis", env, 0, "", "scripts/update-locks.sh")
	// `npx cdktf synth --hcl` leaves HCL and no JSON in cdktf.out.
	for _, s := range []string{"staging", "production", "state-bootstrap-staging", "state-bootstrap-production"} {
		stack := filepath.Join(dir, "cdktf.out", "stacks", s)
		if err := os.Remove(filepath.Join(stack, "cdk.tf.json")); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(stack, "cdk.tf"), []byte("# "+s+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	step("validate.sh after npx cdktf synth --hcl", env, 0, "run . -hcl", "scripts/validate.sh", "staging")
}
