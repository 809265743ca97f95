// Package codeshape checks the shape of the project's Go code: no non-test
// file over 300 lines and no non-test function over 80 lines, so each piece
// stays readable in one sitting; and every construct constructor takes
// (scope, id, props), as the AWS CDK construct guidelines ask.
package codeshape

import (
	"go/ast"
	"go/token"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/gofiles"
)

const (
	maxFileLines = 300
	maxFuncLines = 80
)

// eachGoFile calls check with every non-test Go file under dir (relative to the project root).
func eachGoFile(t *testing.T, dir string, check func(path string, fset *token.FileSet, f *ast.File, src []byte)) int {
	t.Helper()
	checked, err := gofiles.Walk(filepath.Join("..", "..", dir), check)
	if err != nil {
		t.Fatal(err)
	}
	return checked
}

func TestNoLongFilesOrFunctions(t *testing.T) {
	checked := eachGoFile(t, "", func(path string, fset *token.FileSet, f *ast.File, src []byte) {
		if n := strings.Count(string(src), "\n"); n > maxFileLines {
			t.Errorf("%s has %d lines (at most %d outside tests)", path, n, maxFileLines)
		}
		for _, decl := range f.Decls {
			if fn, ok := decl.(*ast.FuncDecl); ok {
				if n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1; n > maxFuncLines {
					t.Errorf("%s: func %s has %d lines (at most %d outside tests)", path, fn.Name.Name, n, maxFuncLines)
				}
			}
		}
	})
	if checked < 30 {
		t.Errorf("checked only %d files: is the root right?", checked)
	}
}

// TestConstructorsTakeScopeIDProps: every exported function of constructs/
// that takes a construct scope first is New...(scope constructs.Construct,
// id string, props <...>Props).
func TestConstructorsTakeScopeIDProps(t *testing.T) {
	constructors := 0
	eachGoFile(t, "constructs", func(path string, _ *token.FileSet, f *ast.File, _ []byte) {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() || len(fn.Type.Params.List) == 0 || typeName(fn.Type.Params.List[0].Type) != "constructs.Construct" {
				continue
			}
			constructors++
			var types []string
			for _, field := range fn.Type.Params.List {
				for range max(1, len(field.Names)) {
					types = append(types, typeName(field.Type))
				}
			}
			if !strings.HasPrefix(fn.Name.Name, "New") || len(types) != 3 || types[1] != "string" || !strings.HasSuffix(types[2], "Props") {
				t.Errorf("%s: %s(%s): a constructor is New...(scope constructs.Construct, id string, props ...Props)", path, fn.Name.Name, strings.Join(types, ", "))
			}
		}
	})
	if constructors < 10 {
		t.Errorf("found only %d constructors under constructs/", constructors)
	}
}

func typeName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return typeName(x.X) + "." + x.Sel.Name
	case *ast.StarExpr:
		return "*" + typeName(x.X)
	}
	return "?"
}

// TestNoCdktfValidations: no code adds a cdktf validation (AddValidation),
// because the app skips cdktf's validations (app.Synth: they ran `terraform
// version` per stack). A check belongs in Go before synthesis, or on the
// synthesized JSON as app/providers.go and the security rules do.
func TestNoCdktfValidations(t *testing.T) {
	eachGoFile(t, "", func(path string, fset *token.FileSet, f *ast.File, _ []byte) {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok && sel.Sel.Name == "AddValidation" {
				t.Errorf("%s:%d: AddValidation is never run (cdktf's validations are skipped): check in Go before synthesis or on the JSON", path, fset.Position(sel.Pos()).Line)
			}
			return true
		})
	})
}
