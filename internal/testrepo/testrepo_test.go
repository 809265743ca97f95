package testrepo

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCopyLeavesOutWhatACloneLacks: version control, generated folders and
// Python's byte code at any depth stay out; sources, nested too, are copied
// with their modes.
func TestCopyLeavesOutWhatACloneLacks(t *testing.T) {
	root := t.TempDir()
	files := map[string]os.FileMode{
		"main.go":                              0o644,
		"scripts/plan.sh":                      0o755,
		"scripts/bench/profile.py":             0o755,
		"scripts/bench/__pycache__/x.pyc":      0o644,
		"__pycache__/y.pyc":                    0o644,
		".git/HEAD":                            0o644,
		"cdktf.out/stacks/staging/cdk.tf.json": 0o644,
		"plans/staging.tfplan":                 0o644,
		"terraform.production.tfstate":         0o644,
	}
	for name, mode := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(name), mode); err != nil {
			t.Fatal(err)
		}
	}
	dst := Copy(t, root)
	for name, mode := range files {
		info, err := os.Stat(filepath.Join(dst, name))
		copied := map[string]bool{"main.go": true, "scripts/plan.sh": true, "scripts/bench/profile.py": true}[name]
		switch {
		case copied && err != nil:
			t.Errorf("%s was not copied: %v", name, err)
		case copied && info.Mode().Perm() != mode:
			t.Errorf("%s copied with mode %v, want %v", name, info.Mode().Perm(), mode)
		case !copied && err == nil:
			t.Errorf("%s was copied; a clone has no such file", name)
		}
	}
}
