package lambdabuild

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Cache keeps built packages between processes, in Dir, each under the key of
// everything its build reads (SourceKey): a synthesis whose Lambda sources,
// modules and toolchain did not change writes the zip built before instead of
// compiling, linking and zipping again (about 1 s of CPU, a fifth of a
// synthesis; docs/performance.md). The build is reproducible
// (TestBuildIsReproducible), so a cached zip is the zip a build would make.
type Cache struct {
	// Dir holds <name>-<key>.zip; it is created when missing. "" is no
	// cache: Build builds every time, as the package's Build does.
	Dir string
	// Keep is how many zips of one name stay (the newest used); 0 means 4.
	Keep int
}

// DefaultCacheDir is the user's cache folder for this project's Lambda
// packages (~/.cache/fp-calibration-infra/lambda on Linux), or "" (no cache)
// when the system names none.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "fp-calibration-infra", "lambda")
}

// Build writes the cached zip of importPath into dir/<name>.zip, or builds it
// as Build does and keeps it. A cache that cannot be read or written is
// skipped: the build runs, and only a failing build is an error.
func (c Cache) Build(importPath, dir, name string) (Package, error) {
	if c.Dir == "" {
		return Build(importPath, dir, name)
	}
	toolchain, err := moduleToolchain()
	if err != nil {
		return Package{}, err
	}
	env := buildEnv(toolchain)
	key, err := SourceKey(importPath, env)
	if err != nil {
		return Package{}, err
	}
	cached := filepath.Join(c.Dir, name+"-"+key+".zip")
	if zipped, err := os.ReadFile(cached); err == nil && intact(zipped) {
		now := time.Now()
		_ = os.Chtimes(cached, now, now) // the newest used stays longest
		return Write(dir, name, zipped)
	}
	pkg, err := build(importPath, dir, name, env...)
	if err != nil {
		return pkg, err
	}
	afterBuild()
	// A source saved while the build ran: the zip may hold either version,
	// so it is kept only when the key did not move.
	if after, err := SourceKey(importPath, env); err == nil && after == key {
		c.store(pkg.ZipPath, cached, name)
	}
	return pkg, nil
}

// afterBuild runs between the build and the second key (a test's edit).
var afterBuild = func() {}

// store copies a built zip into the cache (through a temporary file and a
// rename, so a concurrent reader sees all of it or nothing) and removes the
// oldest zips of that name beyond Keep, and temporary files a killed process
// left more than an hour ago.
func (c Cache) store(built, cached, name string) {
	zipped, err := os.ReadFile(built)
	if err != nil || os.MkdirAll(c.Dir, 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(c.Dir, ".tmp-"+name+"-")
	if err != nil {
		return
	}
	_, werr := tmp.Write(zipped)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), cached) != nil {
		os.Remove(tmp.Name())
		return
	}
	keep := c.Keep
	if keep == 0 {
		keep = 4
	}
	old, _ := filepath.Glob(filepath.Join(c.Dir, name+"-*.zip"))
	slices.SortFunc(old, func(a, b string) int { return modTime(b).Compare(modTime(a)) })
	for _, f := range old[min(keep, len(old)):] {
		os.Remove(f)
	}
	left, _ := filepath.Glob(filepath.Join(c.Dir, ".tmp-"+name+"-*"))
	for _, f := range left {
		if time.Since(modTime(f)) > time.Hour {
			os.Remove(f)
		}
	}
}

func modTime(path string) time.Time {
	info, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return info.ModTime()
}

// intact: the bytes are a zip whose every entry reads back with its CRC-32
// (a cut or damaged file is not).
func intact(b []byte) bool {
	r, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil || len(r.File) == 0 {
		return false
	}
	for _, f := range r.File {
		rc, err := f.Open()
		if err != nil {
			return false
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return false
		}
	}
	return true
}

// listedPackage is the part of `go list -json` that SourceKey reads.
type listedPackage struct {
	ImportPath string
	Dir        string
	Standard   bool
	Module     *listedModule
	GoFiles    []string
	SFiles     []string
	EmbedFiles []string
	SysoFiles  []string
	HFiles     []string
}

type listedModule struct {
	Path, Version, GoMod string
	Main                 bool
	Replace              *listedModule
}

// SourceKey is a hex SHA-256 of what building importPath with env reads:
// the build settings and the zip's format (this package's, with the Go
// release that compiled it, whose compress/flate writes the zip); the go
// command's settings that change its output, as `go env` reports them with
// env (so a value set with `go env -w` counts), and the workspace file when
// there is one; and for every package it links (`go list -deps` with env)
// either its module and version, for a module the go command fetched (go.sum
// fixes its content), or the content of each file it compiles, includes or
// embeds, for a package of the main module or a local replacement, with that
// module's go.mod. The Go release stands for the standard library.
func SourceKey(importPath string, env []string) (string, error) {
	settings, err := goOutput(env, append([]string{"env", "-json"}, keyedSettings...)...)
	if err != nil {
		return "", err
	}
	out, err := goOutput(env, "list", "-deps", "-json=ImportPath,Dir,Standard,Module,GoFiles,SFiles,HFiles,EmbedFiles,SysoFiles", importPath)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "lambdabuild cache %d\nzip written by %s\nflags %q\nsettings %s\n", formatVersion, runtime.Version(), buildFlags, settings)
	var work struct{ GOWORK string }
	if err := json.Unmarshal(settings, &work); err != nil {
		return "", fmt.Errorf("go env: %w", err)
	}
	if work.GOWORK != "" && work.GOWORK != "off" {
		if err := hashFile(h, "go.work", work.GOWORK); err != nil {
			return "", err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	goMods := map[string]bool{}
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return "", fmt.Errorf("go list %s: %w", importPath, err)
		}
		if p.Standard {
			continue
		}
		fmt.Fprintf(h, "package %s\n", p.ImportPath)
		if m := p.Module; m != nil && m.Version != "" && (m.Replace == nil || m.Replace.Version != "") {
			fmt.Fprintf(h, "module %s %s", m.Path, m.Version)
			if m.Replace != nil {
				fmt.Fprintf(h, " => %s %s", m.Replace.Path, m.Replace.Version)
			}
			fmt.Fprintln(h)
			continue
		}
		if m := p.Module; m != nil && m.GoMod != "" && !goMods[m.GoMod] {
			goMods[m.GoMod] = true
			if err := hashFile(h, "go.mod of "+m.Path, m.GoMod); err != nil {
				return "", err
			}
		}
		for _, files := range [][]string{p.GoFiles, p.SFiles, p.HFiles, p.EmbedFiles, p.SysoFiles} {
			for _, f := range files {
				if err := hashFile(h, f, filepath.Join(p.Dir, f)); err != nil {
					return "", err
				}
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// formatVersion is the version of the zip this package writes (Zip, Write):
// raise it when they change.
const formatVersion = 1

// keyedSettings are the go command's settings that change what it builds
// for GOARCH=arm64 (GOVERSION: the release that builds, after any switch).
var keyedSettings = []string{"GOVERSION", "GOOS", "GOARCH", "GOARM64", "GOEXPERIMENT", "GOFIPS140", "CGO_ENABLED", "GOFLAGS", "GOWORK"}

// goOutput runs the go command with env and returns its standard output.
func goOutput(env []string, args ...string) ([]byte, error) {
	cmd := exec.Command("go", args...)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args[:min(2, len(args))], " "), err, stderr.String())
	}
	return out, nil
}

func hashFile(h io.Writer, name, path string) error {
	content, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	fmt.Fprintf(h, "file %s %x\n", name, sum)
	return nil
}
