package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// rotatorBuild matches what changes with the Go toolchain that builds the
// salt rotator (its zip's content hash, in the asset path and the function's
// source_code_hash), so a toolchain bump does not make every snapshot change.
var rotatorBuild = regexp.MustCompile(`("filename": "assets/salt_rotator_package_[0-9A-F]+/)[0-9A-F]+(/saltrotator\.zip")|("source_code_hash": ")[A-Za-z0-9+/=]+(")`)

// normalized is a stack's JSON with the rotator's build hashes replaced.
func normalized(raw []byte) []byte {
	return rotatorBuild.ReplaceAll(raw, []byte("${1}${3}<rotator build>${2}${4}"))
}

// TestGoldenSnapshots compares each synthesized stack with its snapshot under
// testdata/ (the rotator's build hashes normalized: lambdabuild's
// TestBuildIsReproducible and the user-path test's byte-for-byte comparison of
// `go run .` cover them). A change in synthesized output is a reviewable diff: rerun with
// `go test ./__tests__ -run TestGoldenSnapshots -update-golden` and commit it.
func TestGoldenSnapshots(t *testing.T) {
	for _, name := range AllStackNames() {
		got := normalized(stacks[name].Raw)
		golden := filepath.Join("testdata", name+".cdk.tf.json")
		if *updateGolden {
			if err := os.WriteFile(golden, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (create it with -update-golden)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from %s; review the change and rerun with -update-golden:\n%s", name, golden, unifiedDiff(t, want, got))
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

// unifiedDiff is `diff -u` of the snapshot and the synthesized JSON, cut to
// its first 80 lines.
func unifiedDiff(t *testing.T, want, got []byte) string {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "snapshot"), filepath.Join(dir, "synthesized")
	if os.WriteFile(a, want, 0o644) != nil || os.WriteFile(b, got, 0o644) != nil {
		t.Fatal("cannot write the diff's inputs")
	}
	out, _ := exec.Command("diff", "-u", a, b).CombinedOutput() // exit 1: they differ
	lines := strings.Split(string(out), "\n")
	if len(lines) > 80 {
		lines = append(lines[:80], fmt.Sprintf("... (%d more lines)", len(lines)-80))
	}
	return strings.Join(lines, "\n")
}
