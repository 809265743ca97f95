package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGoldenSnapshots compares each synthesized stack with its snapshot under
// testdata/. A change in synthesized output is a reviewable diff: rerun with
// `go test ./__tests__ -run TestGoldenSnapshots -update` and commit it.
func TestGoldenSnapshots(t *testing.T) {
	for _, name := range AllStackNames() {
		got := stacks[name].Raw
		golden := filepath.Join("testdata", name+".cdk.tf.json")
		if *update {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (create it with -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s at line %d; review the change and rerun with -update", name, golden, firstDiffLine(got, want))
		}
	}
}

// TestSynthesisIsMachineIndependent: nothing in the JSON depends on where or
// when it was synthesized.
func TestSynthesisIsMachineIndependent(t *testing.T) {
	cwd, _ := os.Getwd()
	home, _ := os.UserHomeDir()
	for _, name := range AllStackNames() {
		raw := string(stacks[name].Raw)
		for _, leak := range []string{outdir, filepath.Dir(cwd), home, os.TempDir()} {
			if leak != "" && leak != "/" && strings.Contains(raw, leak) {
				t.Errorf("%s contains the machine path %q", name, leak)
			}
		}
	}
}

func firstDiffLine(a, b []byte) int {
	la, lb := bytes.Split(a, []byte("\n")), bytes.Split(b, []byte("\n"))
	for i := 0; i < len(la) && i < len(lb); i++ {
		if !bytes.Equal(la[i], lb[i]) {
			return i + 1
		}
	}
	return min(len(la), len(lb)) + 1
}
