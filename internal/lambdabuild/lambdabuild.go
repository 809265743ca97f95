// Package lambdabuild cross-compiles a Go Lambda function and packs it into a
// reproducible zip: the same commit and toolchain give the same bytes, so the
// synthesized source_code_hash only changes when the code does.
package lambdabuild

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Package is a built deployment package.
type Package struct {
	// ZipPath is the zip's path on disk.
	ZipPath string
	// SHA256 is the base64 SHA-256 of the zip, as source_code_hash expects.
	SHA256 string
	// Size is the zip's size in bytes.
	Size int
}

// zipTime is the fixed modification time of every zip entry (zip's epoch).
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Build compiles the main package importPath for linux/arm64 (provided.al2023)
// as "bootstrap" and zips it into dir/<name>.zip, with exactly the Go release
// of the main module's go line (go 1.x.y): the bytes, and so the plan's
// source_code_hash, do not follow whichever Go the machine has (a newer local
// Go would otherwise be used). Go fetches that release from the module proxy
// once when the machine has another.
func Build(importPath, dir, name string) (Package, error) {
	toolchain, err := moduleToolchain()
	if err != nil {
		return Package{}, err
	}
	return build(importPath, dir, name, buildEnv(toolchain)...)
}

// buildEnv is the environment of the build (and of SourceKey's go list):
// the caller's, with the target, no cgo, the module's dependencies as
// go.mod and go.sum have them, and the toolchain.
func buildEnv(toolchain string) []string {
	return append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly", "GOTOOLCHAIN="+toolchain)
}

// buildFlags are the go build flags of every package (the cache key has them).
var buildFlags = []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -buildid="}

// goLine is go.mod's go line with a patch release.
var goLine = regexp.MustCompile(`(?m)^go (\d+\.\d+\.\d+)\s*$`)

// moduleToolchain is the toolchain of the main module's go line ("go1.26.8").
func moduleToolchain() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod, err := os.ReadFile(strings.TrimSpace(string(out)))
	if err != nil {
		return "", fmt.Errorf("the main module's go.mod: %w", err)
	}
	m := goLine.FindSubmatch(mod)
	if m == nil {
		return "", fmt.Errorf("%s: its go line names no patch release (go 1.x.y): the Lambda package would follow the machine's Go", strings.TrimSpace(string(out)))
	}
	return "go" + string(m[1]), nil
}

// build is Build in the environment env (buildEnv's).
func build(importPath, dir, name string, env ...string) (Package, error) {
	bin := filepath.Join(dir, name+".bootstrap")
	cmd := exec.Command("go", append(append([]string{"build"}, buildFlags...), "-o", bin, importPath)...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return Package{}, fmt.Errorf("build Lambda %s: %v\n%s", importPath, err, out)
	}
	binary, err := os.ReadFile(bin)
	if err != nil {
		return Package{}, err
	}
	zipped, err := Zip("bootstrap", binary)
	if err != nil {
		return Package{}, err
	}
	return Write(dir, name, zipped)
}

// Write writes a built zip as dir/<name>.zip (a package built before, again).
func Write(dir, name string, zipped []byte) (Package, error) {
	path := filepath.Join(dir, name+".zip")
	if err := os.WriteFile(path, zipped, 0o644); err != nil {
		return Package{}, err
	}
	sum := sha256.Sum256(zipped)
	return Package{ZipPath: path, SHA256: base64.StdEncoding.EncodeToString(sum[:]), Size: len(zipped)}, nil
}

// Zip packs one executable file with a fixed time and mode.
func Zip(name string, content []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	hdr := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: zipTime}
	hdr.SetMode(0o755)
	f, err := w.CreateHeader(hdr)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(content); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
