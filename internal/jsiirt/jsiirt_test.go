package jsiirt

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every package whose tests link the cdktf bindings ends with Close, so a
// test run leaves no runtime folder behind (before, each run of the inner
// loop left five).
func TestEveryPackageWhoseTestsLinkTheBindingsCloses(t *testing.T) {
	// constructs-go is what every cdktf binding builds on; jsii-runtime-go
	// alone (this package) prepares no runtime. ./... skips __tests__.
	// The test binaries' main packages are "<package>.test", one per package
	// with tests, in that package's folder.
	cmd := exec.Command("go", "list", "-test", "-f",
		`{{.ImportPath}} {{.Dir}} {{range .Deps}}{{if eq . "github.com/aws/constructs-go/constructs/v10"}}bindings{{end}}{{end}}`,
		"./...", "./__tests__")
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	linking := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || !strings.HasSuffix(f[0], ".test") || f[2] != "bindings" {
			continue
		}
		linking++
		if !closes(t, f[1]) {
			t.Errorf("%s: its tests link the cdktf bindings but no TestMain calls jsiirt.TestMain or jsii.Close (each run would leave jsii's runtime folder behind)", f[0])
		}
	}
	if linking < 6 {
		t.Errorf("only %d packages' tests link the bindings: is go list's output what this test expects?\n%s", linking, out)
	}
}

// closes: a test file of dir has a TestMain that calls jsiirt.TestMain, or
// jsii.Close itself (__tests__, which synthesizes in its TestMain).
func closes(t *testing.T, dir string) bool {
	tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
	for _, f := range tests {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		code := string(src)
		if strings.Contains(code, "func TestMain(m *testing.M)") &&
			(strings.Contains(code, "jsiirt.TestMain(m)") || strings.Contains(code, "jsii.Close()")) {
			return true
		}
	}
	return false
}

// And it works: a test binary that links the bindings leaves its temporary
// directory as it found it.
func TestATestRunLeavesNoRuntimeFolder(t *testing.T) {
	tmp := t.TempDir()
	cmd := exec.Command("go", "test", "-count=1", "-run", "^$", "./constructs/stackbase")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "jsii-runtime.*")); len(left) > 0 {
		t.Errorf("the test run left %v", left)
	}
}
