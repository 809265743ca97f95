package lambdabuild

import (
	"archive/zip"
	"bytes"
	"io"
	"testing"
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

func TestBuildIsReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles the rotation Lambda")
	}
	const pkg = "github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator"
	first, err := Build(pkg, t.TempDir(), "rotator")
	if err != nil {
		t.Fatal(err)
	}
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
