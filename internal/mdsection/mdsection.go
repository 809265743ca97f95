// Package mdsection reads and rewrites generated sections of Markdown files,
// delimited by <!-- BEGIN name --> and <!-- END name --> comments, so that
// tests can keep the tables and diagrams of README.md and docs/ equal to what
// the code produces.
package mdsection

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
		return fmt.Errorf("%s: section %q is out of date; rerun the test with -update-readme to regenerate it:\n%s", path, name, want)
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

// Files lists the Markdown files of the project rooted at root that generated
// sections may live in: README.md and every .md file under docs/.
func Files(root string) ([]string, error) {
	files := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	return files, err
}

// Holding returns the files of Files(root) that hold section name; it is an
// error when none does.
func Holding(root, name string) ([]string, error) {
	files, err := Files(root)
	if err != nil {
		return nil, err
	}
	begin, _ := markers(name)
	var out []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if strings.Contains(string(raw), begin) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no file of README.md and docs/ has section %q (add %q and %q where it belongs)", name, strings.TrimSpace(begin), "<!-- END "+name+" -->")
	}
	return out, nil
}

// Sync checks section name, wherever it lives under root, against want; with
// update it rewrites the section first.
func Sync(root, name, want string, update bool) error {
	files, err := Holding(root, name)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range files {
		if update {
			if err := Update(f, name, want); err != nil {
				return err
			}
		}
		errs = append(errs, Check(f, name, want))
	}
	return errors.Join(errs...)
}
