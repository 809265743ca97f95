// Package gofiles walks the project's own non-test Go files, for the tests
// that check the shape of the code and where names are spelled.
package gofiles

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Walk parses every non-test Go file under root (skipping node_modules,
// cdktf.out, testdata and hidden folders) and calls visit with it; it returns
// how many files it visited.
func Walk(root string, visit func(path string, fset *token.FileSet, f *ast.File, src []byte)) (int, error) {
	fset := token.NewFileSet()
	visited := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (name == "node_modules" || name == "cdktf.out" || name == "testdata" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, 0)
		if err != nil {
			return err
		}
		visited++
		visit(path, fset, f, src)
		return nil
	})
	return visited, err
}
