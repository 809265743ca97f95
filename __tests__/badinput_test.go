package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	programOnce sync.Once
	programPath string
	programErr  error
)

// programBinary builds the real program (package main) once per test binary,
// in the run's scratch folder, which TestMain removes (a folder of its own in
// the system's temporary folder was left behind by every run: 51 MB each).
func programBinary(t *testing.T) string {
	t.Helper()
	programOnce.Do(func() {
		dir, err := os.MkdirTemp(scratch, "program-")
		if err != nil {
			programErr = err
			return
		}
		programPath = filepath.Join(dir, "synth")
		defer heavy.take()() // its link: about 300 MiB
		if out, err := exec.Command("go", "build", "-o", programPath, "..").CombinedOutput(); err != nil {
			programErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if programErr != nil {
		t.Fatal(programErr)
	}
	return programPath
}

// TestBadInputEndToEnd runs the real program (built once from main) on
// malformed settings files and flags: each run exits non-zero with one clear
// line naming the field, and writes nothing.
func TestBadInputEndToEnd(t *testing.T) {
	// Light: the program refuses each input before it synthesizes; its one
	// heavy step, the build, takes the heavy slot. Among the concurrent
	// tests' places it once waited for one to the whole proof's end.
	t.Parallel()
	bin := programBinary(t)
	shipped := map[string]map[string]any{}
	for _, env := range StackNames() {
		raw, err := os.ReadFile(filepath.Join("..", "environments", env+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		shipped[env] = m
	}
	set := func(env, key string, v any) func(map[string]map[string]any) {
		return func(s map[string]map[string]any) { s[env][key] = v }
	}
	del := func(env, key string) func(map[string]map[string]any) {
		return func(s map[string]map[string]any) { delete(s[env], key) }
	}
	cases := []struct {
		name   string
		mutate func(map[string]map[string]any)
		raw    map[string]string // file contents written as is
		flags  []string
		want   string // fragment naming the field or the problem
	}{
		{name: "unknown field", mutate: set("staging", "enable_point_in_time_recovery", true), want: `field "enable_point_in_time_recovery"`},
		{name: "missing region", mutate: del("production", "aws_region"), want: `field "aws_region": is required`},
		{name: "wrong type", mutate: set("staging", "deletion_protection", "no"), want: `field "deletion_protection"`},
		{name: "environment mismatch", mutate: set("staging", "environment", "production"), want: `field "environment"`},
		{name: "region typo", mutate: set("production", "aws_region", "eu-wset-1"), want: `did you mean "eu-west-1"`},
		{name: "malformed email", mutate: set("production", "alert_emails", map[string]any{"critical": []any{"oncall"}, "warning": []any{"a@example.com"}}), want: `field "alert_emails.critical[0]"`},
		{name: "production without subscribers", mutate: set("production", "alert_emails", map[string]any{"critical": []any{"a@example.com"}, "warning": []any{}}), want: `field "alert_emails.warning"`},
		{name: "bad project name", mutate: set("staging", "project_name", "Phase Mirror"), want: `field "project_name"`},
		{name: "production without deletion protection", mutate: set("production", "deletion_protection", false), want: `field "deletion_protection": is false in production`},
		{name: "short account id", mutate: set("staging", "aws_account_id", "1234"), want: `field "aws_account_id"`},
		{name: "shared account", mutate: set("production", "aws_account_id", shipped["staging"]["aws_account_id"]), want: "must not share an account"},
		{name: "log retention", mutate: set("staging", "log_retention_days", 42), want: `field "log_retention_days"`},
		{name: "recovery window", mutate: set("production", "secret_recovery_window_days", 90), want: `field "secret_recovery_window_days"`},
		{name: "function name", mutate: set("staging", "salt_rotator_function_name", "salt/rotator"), want: `field "salt_rotator_function_name"`},
		{name: "timeout", mutate: set("production", "fp_ingestion_timeout_seconds", 0), want: `field "fp_ingestion_timeout_seconds"`},
		{name: "state backend", mutate: set("staging", "state", map[string]any{"backend": "consul"}), want: `field "state.backend"`},
		{name: "s3 state without key", mutate: set("staging", "state", map[string]any{"backend": "s3", "bucket": "b-state", "region": "us-east-1"}), want: `field "state.kms_key_arn"`},
		{name: "repository", mutate: set("production", "github_repository", "not a repo"), want: `field "github_repository"`},
		{name: "lock mode", mutate: set("staging", "state", map[string]any{"backend": "local", "lock": "dynamo"}), want: `field "state.lock": "dynamo" is not a lock mode`},
		{name: "adopt without enabled", mutate: set("production", "adopt", map[string]any{}), want: `field "adopt.enabled": is required when adopt is set`},
		{name: "syntax error", raw: map[string]string{"staging.json": "{\"environment\": \"staging\",,}"}, want: "staging.json: is not valid JSON at line 1"},
		{name: "empty file", raw: map[string]string{"production.json": ""}, want: "production.json: is empty"},
		{name: "missing file", raw: map[string]string{"production.json": "<delete>"}, want: "production.json: cannot read settings file"},
		{name: "unknown flag", flags: []string{"-environment", "dev"}, want: "flags:"},
		{name: "stray argument", flags: []string{"deploy"}, want: `unexpected argument "deploy"`},
		{name: "settings folder missing", flags: []string{"-settings", "/nonexistent/settings"}, want: "cannot read settings file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			settings := filepath.Join(dir, "environments")
			if err := os.Mkdir(settings, 0o755); err != nil {
				t.Fatal(err)
			}
			files := map[string]map[string]any{}
			for env, m := range shipped {
				cp := map[string]any{}
				for k, v := range m {
					cp[k] = v
				}
				files[env] = cp
			}
			if c.mutate != nil {
				c.mutate(files)
			}
			for env, m := range files {
				data, _ := json.MarshalIndent(m, "", "  ")
				if err := os.WriteFile(filepath.Join(settings, env+".json"), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			for name, content := range c.raw {
				path := filepath.Join(settings, name)
				if content == "<delete>" {
					os.Remove(path)
				} else if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			out := filepath.Join(dir, "cdktf.out")
			args := append([]string{"-settings", settings, "-out", out}, c.flags...)
			cmd := exec.Command(bin, args...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "CDKTF_OUTDIR="+out)
			output, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("accepted:\n%s", output)
			}
			text := strings.TrimSpace(string(output))
			lines := strings.Split(text, "\n")
			last := lines[len(lines)-1]
			if !strings.HasPrefix(last, "error: ") || !strings.Contains(text, c.want) {
				t.Errorf("output does not name the problem (%q):\n%s", c.want, text)
			}
			if !strings.Contains(c.name, "flag") && c.name != "stray argument" && len(lines) != 1 {
				t.Errorf("more than one line:\n%s", text)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s was written", out)
			}
		})
	}
}
