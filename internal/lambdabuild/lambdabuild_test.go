package lambdabuild

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/synthlock"
)

func TestZipIsReproducibleAndExecutable(t *testing.T) {
	a, err := Zip("bootstrap", []byte("binary"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Zip("bootstrap", []byte("binary"))
	if !bytes.Equal(a, b) {
		t.Fatal("two zips of the same content differ")
	}
	r, err := zip.NewReader(bytes.NewReader(a), int64(len(a)))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.File) != 1 || r.File[0].Name != "bootstrap" || r.File[0].Mode().Perm() != 0o755 || !r.File[0].Modified.Equal(zipTime) {
		t.Fatalf("entry %+v", r.File[0].FileHeader)
	}
	rc, _ := r.File[0].Open()
	got, _ := io.ReadAll(rc)
	if string(got) != "binary" {
		t.Errorf("content %q", got)
	}
}

// thisMachine is a package as this machine's Go builds it, once per test
// binary: the first test that needs it builds it, the next reuses its hash
// and size (the build, a cross-compile and a link, costs about a second of
// CPU; its ZipPath was in the first test's folder and is gone).
var thisMachine struct {
	sync.Mutex
	built map[string]Package
}

func builtOnThisMachine(t *testing.T, pkg string) Package {
	t.Helper()
	thisMachine.Lock()
	defer thisMachine.Unlock()
	if p, ok := thisMachine.built[pkg]; ok {
		return p
	}
	p, err := Build(pkg, t.TempDir(), "rotator")
	if err != nil {
		t.Fatal(err)
	}
	if thisMachine.built == nil {
		thisMachine.built = map[string]Package{}
	}
	thisMachine.built[pkg] = p
	return p
}

func TestBuildIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the rotation Lambda")
	}
	const pkg = "github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator"
	first := builtOnThisMachine(t, pkg)
	second, err := Build(pkg, t.TempDir(), "rotator")
	if err != nil {
		t.Fatal(err)
	}
	if first.SHA256 != second.SHA256 || first.Size != second.Size {
		t.Fatalf("two builds differ: %+v vs %+v", first, second)
	}
	if first.Size < 1<<20 {
		t.Errorf("package is %d bytes: too small to hold the function", first.Size)
	}
}

// TestAGoPatchReleaseOfTheMachineDoesNotMoveTheHash: a machine whose Go is
// another patch release (the next one, fetched from the module proxy; the one
// before when there is no next yet) builds the same package as the module's
// release, so a plan made on one runner stays valid on the next. Without the
// pin a newer Go builds other bytes (a plan would show the rotator changed);
// an older one refuses the module.
func TestAGoPatchReleaseOfTheMachineDoesNotMoveTheHash(t *testing.T) {
	if testing.Short() {
		t.Skip("full tier only (go test without -short): fetches and runs another Go release")
	}
	// Its three builds run beside the drill: staging's steps, the whole
	// proof's critical path, get a core first (this process's later tests
	// too run at the lower priority).
	if err := synthlock.Yield(); err != nil {
		t.Fatal(err)
	}
	const pkg = "github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator"
	pinned, err := moduleToolchain()
	if err != nil {
		t.Fatal(err)
	}
	var major, minor, patch int
	if _, err := fmt.Sscanf(pinned, "go%d.%d.%d", &major, &minor, &patch); err != nil {
		t.Fatal(err)
	}
	// The other release's go command, as a machine that has it would run it.
	other, otherRoot, newer := fmt.Sprintf("go%d.%d.%d", major, minor, patch+1), "", true
	if otherRoot, err = goroot(other); err != nil {
		if patch == 0 {
			t.Fatalf("no release next to %s: %v", pinned, err)
		}
		other, newer = fmt.Sprintf("go%d.%d.%d", major, minor, patch-1), false
		if otherRoot, err = goroot(other); err != nil {
			t.Fatalf("fetching %s from the module proxy: %v", other, err)
		}
	}
	reference := builtOnThisMachine(t, pkg)
	t.Setenv("PATH", filepath.Join(otherRoot, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))

	onOther, err := Build(pkg, t.TempDir(), "rotator")
	if err != nil {
		t.Fatal(err)
	}
	if onOther.SHA256 != reference.SHA256 {
		t.Errorf("Build on a machine with %s: %s, with %s: %s", other, onOther.SHA256, pinned, reference.SHA256)
	}
	unpinned, err := build(pkg, t.TempDir(), "rotator", buildEnv("local")...)
	switch {
	case newer && err != nil:
		t.Fatal(err)
	case newer && unpinned.SHA256 == reference.SHA256:
		t.Errorf("%s and %s build the same package: the pin proves nothing here", other, pinned)
	case !newer && (err == nil || !strings.Contains(err.Error(), "requires go >= ")):
		t.Errorf("%s built the module unpinned: %v", other, err)
	}
}

// goroot is the GOROOT of a Go release, fetched from the module proxy when
// the machine lacks it. Only stdout is the answer: while it fetches, go
// writes "go: downloading go1.x.y" to stderr (with both, the first run on a
// machine without that release put a two-line "folder" on PATH, and the
// machine's own Go built the "other" package).
func goroot(release string) (string, error) {
	cmd := exec.Command("go", "env", "GOROOT")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN="+release)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, stderr.String())
	}
	root := strings.TrimSpace(string(out))
	if _, err := os.Stat(filepath.Join(root, "bin", "go")); err != nil {
		return "", fmt.Errorf("go env GOROOT with GOTOOLCHAIN=%s answered %q: %v", release, root, err)
	}
	return root, nil
}
