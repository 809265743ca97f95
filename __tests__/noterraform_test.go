package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// onlyGoAndNodeOnPath gives this process a PATH of exactly the two programs a
// synthesis runs, go (the Lambda builds) and node (jsii's runtime), and no
// TERRAFORM_BINARY_NAME (cdktf runs it instead of terraform when set), until
// restore, which may be called more than once. TestMain's syntheses run under
// it, in the jsii runtime they start (TestSynthesisNeedsNoTerraform).
func onlyGoAndNodeOnPath(dir string) (restore func(), err error) {
	path := filepath.Join(dir, "path-go-node")
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, err
	}
	// The programs themselves, not what PATH finds: a version manager's
	// shim there is a script that needs a shell and its own folders.
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	node, err := exec.Command("node", "-p", "process.execPath").Output()
	if err != nil {
		return nil, fmt.Errorf("node -p process.execPath: %w", err)
	}
	for name, target := range map[string]string{
		"go":   filepath.Join(strings.TrimSpace(string(goroot)), "bin", "go"),
		"node": strings.TrimSpace(string(node)),
	} {
		if err := os.Symlink(target, filepath.Join(path, name)); err != nil {
			return nil, err
		}
	}
	oldPath := os.Getenv("PATH")
	binary, hadBinary := os.LookupEnv("TERRAFORM_BINARY_NAME")
	os.Setenv("PATH", path)
	os.Unsetenv("TERRAFORM_BINARY_NAME")
	synthPath = path
	return sync.OnceFunc(func() {
		os.Setenv("PATH", oldPath)
		if hadBinary {
			os.Setenv("TERRAFORM_BINARY_NAME", binary)
		}
	}), nil
}

// TestSynthesisNeedsNoTerraform: the program synthesizes every stack, moved
// and import blocks included (staging adopting the HCL version), with only
// `go` and `node` on PATH. cdktf's own validations ran `terraform version`
// for each stack with such blocks and panicked without it; the app skips
// them and checks the providers on the JSON instead (app/providers.go).
// TestMain's syntheses are the proof: they ran with such a PATH (a failed
// one stops the package with "synthesis with only go and node on PATH"), in
// the jsii runtime read here; this test says what they covered. (It used to
// run the built program once more, a whole synthesis: about 4 s of CPU and
// 850 MiB.)
func TestSynthesisNeedsNoTerraform(t *testing.T) {
	if os.Getenv("JSII_RUNTIME") != "" {
		t.Skip("JSII_RUNTIME runs the runtime through a shell of the caller's choice")
	}
	if runtimeEnvErr != nil {
		t.Fatal(runtimeEnvErr)
	}
	if got := runtimeEnv["PATH"]; got != synthPath || synthPath == "" {
		t.Fatalf("jsii's Node runtime ran with PATH=%q, want the folder of go and node %q", got, synthPath)
	}
	entries, err := os.ReadDir(synthPath)
	if err != nil {
		t.Fatal(err)
	}
	names := []string{}
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"go", "node"}) {
		t.Errorf("the syntheses' PATH held %v, want exactly go and node", names)
	}
	for _, name := range AllStackNames() {
		if len(stacks[name].Moved) == 0 {
			t.Errorf("%s has no moved blocks: cdktf's check of them was not exercised", name)
		}
	}
	if len(remoteStacks["staging"].Imports) == 0 {
		t.Errorf("staging with adoption on has no import blocks: cdktf's check of them was not exercised")
	}
}
