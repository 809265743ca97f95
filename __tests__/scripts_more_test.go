package tests

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// stubCommands puts scripts named after commands first on PATH.
func stubCommands(t *testing.T, scripts map[string]string) []string {
	t.Helper()
	bin := t.TempDir()
	for name, body := range scripts {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/usr/bin/env bash\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH")}
}

// TestRestoreNeedsNoGNUDate: restore.sh checks its time the same with BSD date
// (macOS), which refuses GNU's -d: a `date` that refuses -d is first on PATH,
// and a `go` that stops the script where it would synthesize, past the checks.
func TestRestoreNeedsNoGNUDate(t *testing.T) {
	light(t)
	real, err := exec.LookPath("date")
	if err != nil {
		t.Fatal(err)
	}
	env := stubCommands(t, map[string]string{
		"date": `for a in "$@"; do [ "$a" = -d ] && { echo "date: illegal option -- d" >&2; exit 1; }; done
exec ` + real + ` "$@"
`,
		"go": "echo 'stub go: synthesis reached' >&2; exit 1\n",
	})
	env = append(env, stubbedTools) // it stops at the synthesis, before any terraform: no turn
	table := "phase-mirror-consent-store-staging"
	// A copy, as a clone has it (no cdktf.out): in the working tree, after a
	// user's `go run .`, restore.sh would reuse that synthesis and never reach
	// the stub go that the last two cases expect.
	dir := repoCopy(t)
	cases := []struct{ time, poll, want string }{
		{"2026-12-01 09:30", "", "is not a UTC time like 2026-12-01T09:30:00Z"},
		{"2026-13-01T09:30:00Z", "", "no such date or time of day"},
		{"2026-02-29T09:30:00Z", "", "no such date or time of day"},
		{"2026-04-31T09:30:00Z", "", "no such date or time of day"},
		{"2026-12-01T24:00:00Z", "", "no such date or time of day"},
		{"2099-01-01T00:00:00Z", "", "is in the future"},
		{"2024-02-29T23:59:59Z", "0", "RESTORE_POLL_SECONDS='0' is not a whole number of seconds"},
		{"2024-02-29T23:59:59Z", "", "stub go: synthesis reached"},
		{"2000-02-29T00:00:00Z", "5", "stub go: synthesis reached"},
	}
	for _, c := range cases {
		e := env
		if c.poll != "" {
			e = append(append([]string{}, env...), "RESTORE_POLL_SECONDS="+c.poll)
		}
		out, code := runScript(t, dir, "", e, "scripts/restore.sh", "staging", table, c.time)
		if code == 0 || !strings.Contains(out, c.want) {
			t.Errorf("restore.sh at %q: exit %d, want %q in:\n%s", c.time, code, c.want, out)
		}
		if strings.Contains(out, "illegal option") {
			t.Errorf("restore.sh at %q called date -d:\n%s", c.time, out)
		}
	}
}

// TestRestoreWaitsUntilTheTableIsActive: the wait polls the table's status,
// with progress, past the point where `aws dynamodb wait` would give up, and
// stops at a status a restore does not pass through.
func TestRestoreWaitsUntilTheTableIsActive(t *testing.T) {
	light(t)
	count := filepath.Join(t.TempDir(), "calls")
	fakeAWS := func(statuses string) []string {
		return stubCommands(t, map[string]string{"aws": `n=$(($(cat "` + count + `" 2>/dev/null || echo 0) + 1)); echo "$n" >"` + count + `"
statuses=(` + statuses + `)
echo "${statuses[$(( n <= ${#statuses[@]} ? n - 1 : ${#statuses[@]} - 1 ))]}"
`})
	}
	wait := []string{"-c", `source scripts/lib/common.sh && wait_table_active restored-table 1`}

	out, code := runIn(t, "..", "", fakeAWS("CREATING CREATING ACTIVE"), "bash", wait...)
	if code != 0 || strings.Count(out, "restore: restored-table is CREATING after") != 2 || !strings.Contains(out, "restore: restored-table is ACTIVE (waited") {
		t.Errorf("wait_table_active: exit %d\n%s", code, out)
	}
	os.Remove(count)
	out, code = runIn(t, "..", "", fakeAWS("CREATING DELETING"), "bash", wait...)
	if code == 0 || !strings.Contains(out, "error: restored-table is DELETING, not CREATING or ACTIVE") {
		t.Errorf("wait_table_active on a deleted table: exit %d\n%s", code, out)
	}
}

// TestProfileReportsWhereTheTimeGoes: scripts/bench/profile.py on a small
// package prints the table by command kind, what ran at the peak, and the
// package's tests.
func TestProfileReportsWhereTheTimeGoes(t *testing.T) {
	light(t)
	out, code := runIn(t, "..", "", nil, "python3", "scripts/bench/profile.py", "-count=1", "./constructs/names")
	for _, want := range []string{"go test -count=1 ./constructs/names: exit 0", "command kind", "whole tree", "whole tree, PSS", "at the peak (", "at the PSS peak (", "names TestEachNameIsSpelledOnce"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("profile.py: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
	// A failed run says why: each failed test and build with its last lines.
	check := `
import sys
sys.path.insert(0, "scripts/bench")
import profile
profile.report_failures([
    {"Action": "output", "Package": "x/drill", "Test": "TestA", "Output": "    a_test.go:9: the table is gone\n"},
    {"Action": "fail", "Package": "x/drill", "Test": "TestA"},
    {"Action": "pass", "Package": "x/drill", "Test": "TestB"},
    {"Action": "build-output", "ImportPath": "x/lib", "Output": "lib.go:3:1: syntax error\n"},
    {"Action": "build-fail", "ImportPath": "x/lib"},
])
`
	out, code = runIn(t, "..", "", nil, "python3", "-c", check)
	for _, want := range []string{"failed:", "  drill TestA\n", "the table is gone", "  lib\n", "syntax error"} {
		if code != 0 || !strings.Contains(out, want) || strings.Contains(out, "TestB") {
			t.Errorf("profile.report_failures: exit %d, output lacks %q or names a passed test:\n%s", code, want, out)
		}
	}
}

// TestTreePeakRefusesAnUnreadablePeak: a live process whose PSS cannot be
// read, or a kernel without smaps_rollup, stops the measurement (a peak
// without it would be wrong, not low): treepeak.py stops the command and
// exits 2 at once; a process that has ended counts 0.
func TestTreePeakRefusesAnUnreadablePeak(t *testing.T) {
	light(t)
	check := `
import builtins, os, subprocess, sys
sys.path.insert(0, "scripts/bench")
import treepeak
real_open = builtins.open
def refusing(error):
    def opener(path, *a, **k):
        if str(path).endswith("/smaps_rollup"):
            raise error
        return real_open(path, *a, **k)
    return opener
def attempt(label, call, error):
    builtins.open = refusing(error)
    try:
        call()
        print(label, "ok")
    except treepeak.Unreadable as e:
        print(label, e)
    builtins.open = real_open
attempt("unreadable:", lambda: treepeak.pss_of(os.getpid()), PermissionError(13, "Permission denied"))
attempt("kernel:", treepeak.require_pss, FileNotFoundError(2, "No such file or directory"))
real_pss, started = treepeak.pss_of, __import__("time").time()
def denied(pid):
    if pid == os.getpid():
        return real_pss(pid)
    raise treepeak.Unreadable(f"/proc/{pid}/smaps_rollup: denied")
treepeak.pss_of = denied
sys.argv = ["treepeak.py", "sleep", "30"]
print("stopped:", treepeak.main(), __import__("time").time() - started < 20)
treepeak.pss_of = real_pss
p = subprocess.Popen(["true"]); p.wait()
print("ended:", treepeak.pss_of(p.pid))
print("alive:", treepeak.pss_of(os.getpid()) > 0)
treepeak.require_pss()
`
	out, code := runIn(t, "..", "", nil, "python3", "-c", check)
	for _, want := range []string{"unreadable: /proc/", "Permission denied", "kernel: /proc/self/smaps_rollup gives no PSS", "stopped: 2 True", "ended: 0", "alive: True"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("treepeak.pss_of: exit %d, output lacks %q:\n%s", code, want, out)
		}
	}
}

// TestTreePeakMeasuresTheWholeTree: scripts/bench/treepeak.py (bench.sh's
// sampler) passes the command's exit code on and measures its children: a
// child that holds 64 MiB of its own memory shows in both peaks, and the
// PSS sum, which counts shared pages once, is never above the RSS sum.
func TestTreePeakMeasuresTheWholeTree(t *testing.T) {
	concurrent(t) // its sampler must catch a 1 s hold: not at nice 19 (light)
	result := filepath.Join(t.TempDir(), "peak")
	hold := `python3 -c 'import time; b = bytearray(64 << 20); b[::4096] = b"x" * len(b[::4096]); time.sleep(1)'; exit 3`
	out, code := runIn(t, "..", "", nil, "python3", "scripts/bench/treepeak.py", "--out", result, "bash", "-c", hold)
	if code != 3 {
		t.Fatalf("treepeak.py: exit %d, want the command's 3\n%s", code, out)
	}
	raw, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var seconds float64
	var rss, pss int
	if n, err := fmt.Sscanf(string(raw), "%f %d %d", &seconds, &rss, &pss); n != 3 || err != nil {
		t.Fatalf("treepeak.py wrote %q, want seconds, RSS and PSS (%v)", raw, err)
	}
	if seconds < 1 || pss < 64<<10 || rss < pss {
		t.Errorf("treepeak.py: %.2f s, RSS %d KiB, PSS %d KiB: want >= 1 s, PSS >= 64 MiB (the child's own), RSS >= PSS", seconds, rss, pss)
	}
}

// TestCLIConfigSurvivesScriptsAtOnce: scripts of one checkout run at once
// (the drill runs restore.sh beside drift.sh) and each writes the Terraform CLI
// config: every writer succeeds, the config is whole, and no temp file is left.
// (With one shared temp name, a writer's rename found the file already moved:
// "mv: cannot stat '.terraform-cli/config.tfrc.tmp'".)
func TestCLIConfigSurvivesScriptsAtOnce(t *testing.T) {
	light(t)
	dir, script := cliConfigScript(t)
	const writers = 24
	cmds := make([]*exec.Cmd, writers)
	outs := make([]strings.Builder, writers)
	for i := range cmds {
		cmds[i] = exec.Command("bash", script)
		cmds[i].Stdout, cmds[i].Stderr = &outs[i], &outs[i]
		if err := cmds[i].Start(); err != nil {
			t.Fatal(err)
		}
	}
	want := filepath.Join(dir, ".terraform-cli", "config.tfrc")
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil || strings.TrimSpace(outs[i].String()) != want {
			t.Errorf("writer %d of %d: %v, printed:\n%s", i+1, writers, err, outs[i].String())
		}
	}
	config, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(config); !strings.HasPrefix(s, "disable_checkpoint = true\n") || !strings.HasSuffix(s, "}\n") || !strings.Contains(s, "provider_installation {") {
		t.Errorf("config after %d writers is not whole:\n%s", writers, s)
	}
	left, err := filepath.Glob(want + "?*")
	if err != nil || len(left) > 0 {
		t.Errorf("temp files left beside the config: %v %v", left, err)
	}
}

// cliConfigScript copies scripts/tf-cli-config.sh into a folder of its own,
// where it writes its config; it returns the folder and the script.
func cliConfigScript(t *testing.T) (dir, script string) {
	t.Helper()
	dir = t.TempDir()
	script = filepath.Join(dir, "scripts", "tf-cli-config.sh")
	raw, err := os.ReadFile("../scripts/tf-cli-config.sh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(script, raw, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, script
}

// TestPluginCacheOnlyWithoutAMirror: on a machine without the provider
// mirror (GitHub's runners) the CLI config has a plugin cache, which
// usesPluginCache reads (the tests' terraform init commands then take turns:
// initMu); with an unpacked mirror it has none. That the inits take turns
// is not run here: this machine has the mirror and no registry to fill a
// cache from.
func TestPluginCacheOnlyWithoutAMirror(t *testing.T) {
	light(t)
	_, script := cliConfigScript(t)
	unpacked := t.TempDir()
	if err := os.MkdirAll(filepath.Join(unpacked, "registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64"), 0o755); err != nil {
		t.Fatal(err)
	}
	for mirror, want := range map[string]bool{filepath.Join(t.TempDir(), "none"): true, unpacked: false} {
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "TF_PROVIDER_MIRROR="+mirror)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("tf-cli-config.sh with the mirror %s: %v", mirror, err)
		}
		path := strings.TrimSpace(string(out))
		if got := usesPluginCache(path); got != want {
			config, _ := os.ReadFile(path)
			t.Errorf("mirror %s: usesPluginCache %v, want %v, of:\n%s", mirror, got, want, config)
		}
	}
	if usesPluginCache(filepath.Join(t.TempDir(), "missing.tfrc")) {
		t.Error("a missing config reads as one with a plugin cache")
	}
}
