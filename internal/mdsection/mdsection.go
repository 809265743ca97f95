// Package mdsection reads and rewrites generated sections of Markdown files,
// delimited by <!-- BEGIN name --> and <!-- END name --> comments, so that
// tests can keep README tables equal to what the code produces.
package mdsection

import (
	"fmt"
	"os"
	"strings"
)

func markers(name string) (string, string) {
	return "<!-- BEGIN " + name + " -->\n", "<!-- END " + name + " -->"
}

// Get returns the content of section name in doc.
func Get(doc, name string) (string, error) {
	begin, end := markers(name)
	i := strings.Index(doc, begin)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		return "", fmt.Errorf("no section %q (add %q and %q)", name, strings.TrimSpace(begin), end)
	}
	return doc[i+len(begin) : j], nil
}

// Check reports whether section name of the file equals want.
func Check(path, name, want string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	got, err := Get(string(raw), name)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got != want {
		return fmt.Errorf("%s: section %q is out of date; rerun the test with -update to regenerate it:\n%s", path, name, want)
	}
	return nil
}

// Update rewrites section name of the file with content.
func Update(path, name, content string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc := string(raw)
	old, err := Get(doc, name)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	begin, _ := markers(name)
	doc = strings.Replace(doc, begin+old, begin+content, 1)
	return os.WriteFile(path, []byte(doc), 0o644)
}
