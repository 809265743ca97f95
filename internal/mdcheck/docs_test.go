package mdcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/mdsection"
)

// pages are the project's README.md and every page under docs/, by path.
func pages(t *testing.T) map[string]string {
	t.Helper()
	files, err := mdsection.Files("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Clean(f)] = string(raw)
	}
	if len(out) < 10 {
		t.Fatalf("only %d pages found", len(out))
	}
	return out
}

// TestDocLinksResolve: every relative link of README.md and docs/ names a
// file that exists and, with #anchor, a heading of that page (GitHub's
// anchors).
func TestDocLinksResolve(t *testing.T) {
	all := pages(t)
	checked := 0
	for page, text := range all {
		for _, target := range Links(text) {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := page
			if path != "" {
				dest = filepath.Join(filepath.Dir(page), path)
				if _, err := os.Stat(dest); err != nil {
					t.Errorf("%s: link %q: %v", page, target, err)
					continue
				}
			}
			checked++
			if anchor == "" {
				continue
			}
			destText, ok := all[filepath.Clean(dest)]
			if !ok {
				t.Errorf("%s: link %q: an anchor into a file that is not a page of the docs", page, target)
			} else if !Anchors(destText)[anchor] {
				t.Errorf("%s: link %q: %s has no heading with anchor #%s", page, target, dest, anchor)
			}
		}
	}
	if checked < 30 {
		t.Errorf("only %d links checked", checked)
	}
}

// TestDocsReferToNoIssueNumbers: the docs speak to a reader, who does not
// know the project's issue or pull-request numbers.
func TestDocsReferToNoIssueNumbers(t *testing.T) {
	for page, text := range pages(t) {
		for _, ref := range IssueRefs(text) {
			t.Errorf("%s refers to %q: say what it means instead", page, ref)
		}
	}
}
