package lambdabuild

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// keyModule writes a small module beside the test: a main package that
// imports a package of its own and embeds a file, with this module's go line
// (so the build needs no other toolchain). It returns the module's folder.
func keyModule(t *testing.T) string {
	t.Helper()
	toolchain, err := moduleToolchain()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/keyed\n\ngo " + toolchain[len("go"):] + "\n",
		"cmd/fn/main.go":    "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/keyed/inner\"\n)\n\n//go:embed banner.txt\nvar banner string\n\nfunc main() { println(banner, inner.Answer) }\n",
		"cmd/fn/banner.txt": "hello\n",
		"cmd/fn/fn_test.go": "package main\n",
		"inner/inner.go":    "package inner\n\nconst Answer = 42\n",
		"other/other.go":    "package other\n",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestSourceKeyFollowsWhatTheBuildReads: the key changes with each file the
// build compiles or embeds, an imported package of the module, the module's
// go.mod and the toolchain, and not with a test file or a package the
// function does not import.
func TestSourceKeyFollowsWhatTheBuildReads(t *testing.T) {
	dir := keyModule(t)
	t.Chdir(dir)
	toolchain, err := moduleToolchain()
	if err != nil {
		t.Fatal(err)
	}
	key := func(env []string) string {
		t.Helper()
		k, err := SourceKey("example.com/keyed/cmd/fn", env)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(buildEnv(toolchain))
	if again := key(buildEnv(toolchain)); again != base {
		t.Fatalf("two keys of the same sources differ: %s, %s", base, again)
	}
	edit := func(name, content string) func() {
		return func() {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		what    string
		change  func()
		changes bool
	}{
		{"the main package's source", edit("cmd/fn/main.go", "package main\n\nimport (\n\t_ \"embed\"\n\n\t\"example.com/keyed/inner\"\n)\n\n//go:embed banner.txt\nvar banner string\n\nfunc main() { println(banner, inner.Answer, 1) }\n"), true},
		{"an embedded file", edit("cmd/fn/banner.txt", "hello again\n"), true},
		{"an imported package of the module", edit("inner/inner.go", "package inner\n\nconst Answer = 43\n"), true},
		{"go.mod", edit("go.mod", "module example.com/keyed\n\ngo "+toolchain[len("go"):]+"\n\ngodebug default=go1.21\n"), true},
		{"a test file", edit("cmd/fn/fn_test.go", "package main\n\nfunc helper() {}\n"), false},
		{"a package it does not import", edit("other/other.go", "package other\n\nconst X = 1\n"), false},
	} {
		before := key(buildEnv(toolchain))
		c.change()
		if after := key(buildEnv(toolchain)); (after != before) != c.changes {
			t.Errorf("%s changed: key changed %v, want %v", c.what, after != before, c.changes)
		}
	}
	if key(append(buildEnv(toolchain), "GOARM64=v9.0")) == key(buildEnv(toolchain)) {
		t.Error("GOARM64 does not change the key")
	}
	// A setting of `go env -w` (in GOENV's file), which no variable shows.
	goenv := filepath.Join(t.TempDir(), "go.env")
	if err := os.WriteFile(goenv, []byte("GOEXPERIMENT=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := key(append(buildEnv(toolchain), "GOENV="+goenv))
	if err := os.WriteFile(goenv, []byte("GOARM64=v9.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if key(append(buildEnv(toolchain), "GOENV="+goenv)) == plain {
		t.Error("GOARM64 set with go env -w does not change the key")
	}
	// A workspace: its file's content counts (its godebug lines set the
	// binary's defaults).
	work := filepath.Join(dir, "go.work")
	edit("go.work", "go "+toolchain[len("go"):]+"\n\nuse .\n")()
	inWorkspace := key(append(buildEnv(toolchain), "GOWORK="+work))
	edit("go.work", "go "+toolchain[len("go"):]+"\n\nuse .\n\ngodebug default=go1.21\n")()
	if key(append(buildEnv(toolchain), "GOWORK="+work)) == inWorkspace {
		t.Error("a changed go.work does not change the key")
	}
}

// TestCacheReusesAZipAndRebuildsABrokenOne: the first build is kept in the
// cache; the next writes the cached zip (here replaced by another, to see
// that it is read); a cut file is built again; only Keep zips of a name stay.
func TestCacheReusesAZipAndRebuildsABrokenOne(t *testing.T) {
	t.Chdir(keyModule(t))
	const pkg = "example.com/keyed/cmd/fn"
	cache := Cache{Dir: filepath.Join(t.TempDir(), "cache"), Keep: 2}
	first, err := cache.Build(pkg, t.TempDir(), "fn")
	if err != nil {
		t.Fatal(err)
	}
	kept, _ := filepath.Glob(filepath.Join(cache.Dir, "fn-*.zip"))
	if len(kept) != 1 {
		t.Fatalf("cache holds %v, want one zip", kept)
	}
	built, _ := os.ReadFile(first.ZipPath)
	if cached, _ := os.ReadFile(kept[0]); !bytes.Equal(cached, built) {
		t.Fatal("the cached zip is not the built one")
	}
	marker, err := Zip("bootstrap", []byte("from the cache"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kept[0], marker, 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := cache.Build(pkg, t.TempDir(), "fn")
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(second.ZipPath); !bytes.Equal(got, marker) {
		t.Fatal("the second build did not write the cached zip")
	}
	damaged := append([]byte(nil), built...)
	damaged[len(damaged)/2] ^= 0xff // inside the compressed bootstrap
	for what, broken := range map[string][]byte{"cut": marker[:len(marker)/2], "damaged": damaged} {
		if err := os.WriteFile(kept[0], broken, 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := cache.Build(pkg, t.TempDir(), "fn")
		if err != nil {
			t.Fatal(err)
		}
		if again.SHA256 != first.SHA256 {
			t.Fatalf("a %s cached zip was used: %s, built %s", what, again.SHA256, first.SHA256)
		}
		if repaired, _ := os.ReadFile(kept[0]); !bytes.Equal(repaired, built) {
			t.Errorf("the %s zip was not replaced by the build", what)
		}
	}
	// Older zips of other sources: the two newest stay; a temporary file of
	// a killed process goes after an hour.
	staleTmp, freshTmp := filepath.Join(cache.Dir, ".tmp-fn-killed"), filepath.Join(cache.Dir, ".tmp-fn-writing")
	for _, f := range []string{staleTmp, freshTmp} {
		if err := os.WriteFile(f, marker, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(staleTmp, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"fn-old1.zip", "fn-old2.zip"} {
		path := filepath.Join(cache.Dir, name)
		if err := os.WriteFile(path, marker, 0o644); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Duration(i+1) * time.Hour)
		if err := os.Chtimes(path, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Remove(kept[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Build(pkg, t.TempDir(), "fn"); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(cache.Dir, "fn-*.zip"))
	want := []string{filepath.Join(cache.Dir, "fn-old1.zip"), kept[0]}
	if len(left) != 2 || !(left[0] == want[0] && left[1] == want[1] || left[0] == want[1] && left[1] == want[0]) {
		t.Errorf("cache holds %v, want %v", left, want)
	}
	if tmp, _ := filepath.Glob(filepath.Join(cache.Dir, ".tmp-*")); len(tmp) != 1 || tmp[0] != freshTmp {
		t.Errorf("temporary files %v, want only the one of the last hour, %s", tmp, freshTmp)
	}
}

// TestCacheKeepsNoZipOfASourceEditedDuringTheBuild: the build may have read
// either version, so nothing is kept under the key of the first.
func TestCacheKeepsNoZipOfASourceEditedDuringTheBuild(t *testing.T) {
	dir := keyModule(t)
	t.Chdir(dir)
	cache := Cache{Dir: filepath.Join(t.TempDir(), "cache")}
	afterBuild = func() {
		if err := os.WriteFile(filepath.Join(dir, "inner", "inner.go"), []byte("package inner\n\nconst Answer = 7\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
	defer func() { afterBuild = func() {} }()
	if _, err := cache.Build("example.com/keyed/cmd/fn", t.TempDir(), "fn"); err != nil {
		t.Fatal(err)
	}
	if kept, _ := filepath.Glob(filepath.Join(cache.Dir, "fn-*.zip")); len(kept) != 0 {
		t.Errorf("kept %v of a source edited during the build", kept)
	}
}

// TestNoCacheFolderBuildsEveryTime: a Cache without a folder builds as Build
// does, without keying or keeping the zip (it never reaches the step after
// a cached build).
func TestNoCacheFolderBuildsEveryTime(t *testing.T) {
	t.Chdir(keyModule(t))
	keyed := false
	afterBuild = func() { keyed = true }
	defer func() { afterBuild = func() {} }()
	pkg, err := Cache{}.Build("example.com/keyed/cmd/fn", t.TempDir(), "fn")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(pkg.ZipPath); err != nil {
		t.Fatalf("no zip built: %v", err)
	}
	if keyed {
		t.Error("a cache without a folder took the cached build's path")
	}
}
