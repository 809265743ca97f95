// Package testrepo copies the project's sources into a temporary folder, as a
// clean clone has them, so that tests run the user's commands without touching
// the working tree.
package testrepo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// skipped are what a clone does not have: version control, installed
// dependencies, and everything the commands generate (at the top; Copy also
// leaves out __pycache__ at any depth).
var skipped = map[string]bool{".git": true, "node_modules": true, "cdktf.out": true, ".terraform-cli": true, ".bench": true, "plans": true}

// Copy copies root's sources into a new temporary folder and returns it.
func Copy(t testing.TB, root string) string {
	t.Helper()
	dst := t.TempDir()
	root, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		first := strings.Split(rel, string(filepath.Separator))[0]
		if skipped[first] || strings.HasPrefix(first, "terraform.") && strings.Contains(first, ".tfstate") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			// Python's byte code, at any depth: a test that runs a script of
			// scripts/bench writes it (through a temp file renamed in place)
			// while another copies the tree.
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if d.Type()&os.ModeSymlink != 0 {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}
