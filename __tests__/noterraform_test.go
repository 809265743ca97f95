package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
	"github.com/phase-mirror/fp-calibration-infra/internal/tier"
)

// TestSynthesisNeedsNoTerraform: the program synthesizes every stack, moved
// and import blocks included (staging adopts the HCL version), with only
// `go` and `node` on PATH. cdktf's own validations ran `terraform version`
// for each stack with such blocks and panicked without it; the app skips
// them and checks the providers on the JSON instead (app/providers.go).
func TestSynthesisNeedsNoTerraform(t *testing.T) {
	tier.Full(t, "a whole synthesis in a process of its own (about 4 s and 850 MiB)")
	concurrent(t)
	bin := programBinary(t)
	settings := t.TempDir()
	for _, env := range StackNames() {
		raw, err := os.ReadFile(filepath.Join("..", "environments", env+".json"))
		if err != nil {
			t.Fatal(err)
		}
		if env == "staging" {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			m["adopt"] = map[string]any{"enabled": true, "alarms": []string{adoptedAlarm(env)}}
			if raw, err = json.Marshal(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(settings, env+".json"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A PATH of exactly the two programs a synthesis runs.
	path := t.TempDir()
	for _, name := range []string{"go", "node"} {
		resolved, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(resolved, filepath.Join(path, name)); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "cdktf.out")
	cmd := exec.Command(bin, "-settings", settings, "-out", out, "-locks", "../locks")
	// cdktf runs $TERRAFORM_BINARY_NAME instead of terraform when it is set.
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "TERRAFORM_BINARY_NAME=") }), "PATH="+path, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20", "CHECKPOINT_DISABLE=1")
	defer heavy.take()()
	defer synthlock.Hold()()
	if got, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("synthesis with only go and node on PATH: %v\n%s", err, got)
	}
	for _, name := range AllStackNames() {
		s, err := LoadStack(filepath.Join(out, "stacks", name, "cdk.tf.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Moved) == 0 {
			t.Errorf("%s has no moved blocks: this test would not see cdktf's check of them", name)
		}
		if name == "staging" && len(s.Imports) == 0 {
			t.Errorf("staging has no import blocks: adoption was not on")
		}
	}
}
