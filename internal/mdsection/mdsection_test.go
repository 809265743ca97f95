package mdsection

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSyncFindsTheSectionWhereverItLives: a section is checked in every page
// that holds it, rewritten only with update, and a missing one is named.
func TestSyncFindsTheSectionWhereverItLives(t *testing.T) {
	root := t.TempDir()
	section := "<!-- BEGIN table -->\nold\n<!-- END table -->\n"
	write(t, filepath.Join(root, "README.md"), "# Title\n"+section)
	write(t, filepath.Join(root, "docs", "sub", "page.md"), "# Page\n"+section)
	write(t, filepath.Join(root, "docs", "other.md"), "# Other\n")
	if files, err := Holding(root, "table"); err != nil || len(files) != 2 {
		t.Fatalf("Holding = %v, %v; want README.md and docs/sub/page.md", files, err)
	}
	if err := Sync(root, "table", "new\n", false); err == nil || !strings.Contains(err.Error(), "out of date") {
		t.Errorf("Sync without update accepted a stale section: %v", err)
	}
	if err := Sync(root, "table", "new\n", true); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join(root, "docs", "sub", "page.md"))
	if !strings.Contains(string(raw), "<!-- BEGIN table -->\nnew\n<!-- END table -->") {
		t.Errorf("the page was not rewritten:\n%s", raw)
	}
	if err := Sync(root, "missing", "x", true); err == nil || !strings.Contains(err.Error(), `"missing"`) {
		t.Errorf("Sync of a section no page holds: %v", err)
	}
}
