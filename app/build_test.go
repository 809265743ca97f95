package app

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/lambdabuild"
)

// The stack tests synthesize three times with the rotator in one process:
// it is compiled for the first and written again for the others; a failed
// build is not remembered.
func TestRotatorIsBuiltOncePerProcess(t *testing.T) {
	builds := 0
	fail := true
	stub := func(importPath, dir, name, cache string) (lambdabuild.Package, error) {
		builds++
		if fail {
			return lambdabuild.Package{}, errors.New("compile error")
		}
		return lambdabuild.Write(dir, name, []byte("zip of "+importPath))
	}
	restore := buildPackage
	buildPackage = stub
	builtRotator.zip = nil
	t.Cleanup(func() { buildPackage, builtRotator.zip = restore, nil })

	if _, err := buildRotator(t.TempDir(), ""); err == nil {
		t.Fatal("a failed build reported no error")
	}
	fail = false
	var sums []string
	for range 3 {
		dir := t.TempDir()
		pkg, err := buildRotator(dir, "")
		if err != nil {
			t.Fatal(err)
		}
		if pkg.ZipPath != filepath.Join(dir, rotatorName+".zip") {
			t.Errorf("package at %s, want it in its own build folder %s", pkg.ZipPath, dir)
		}
		got, err := os.ReadFile(pkg.ZipPath)
		if err != nil || string(got) != "zip of "+RotatorImportPath {
			t.Errorf("%s holds %q (%v), want the first build's zip", pkg.ZipPath, got, err)
		}
		sums = append(sums, pkg.SHA256)
	}
	if builds != 2 {
		t.Errorf("%d builds, want 2: the failed one and one for the three syntheses after it", builds)
	}
	if sums[0] == "" || sums[1] != sums[0] || sums[2] != sums[0] {
		t.Errorf("source_code_hash differs between syntheses: %q", sums)
	}
}
