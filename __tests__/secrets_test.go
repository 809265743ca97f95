package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// secretPatterns are values that must never appear in what this project
// writes or commits: salts (64 hex), AWS access keys, private keys, passwords.
var secretPatterns = map[string]*regexp.Regexp{
	"64-hex secret":      regexp.MustCompile(`(?i)\b[0-9a-f]{64}\b`),
	"AWS access key id":  regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`),
	"AWS secret key":     regexp.MustCompile(`(?i)aws_?secret_?access_?key"?\s*[:=]\s*"[A-Za-z0-9/+]{40}"`),
	"private key":        regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`),
	"password value":     regexp.MustCompile(`(?i)"(password|passwd|secret_string|secret)"\s*:\s*"[^"$]{6,}"`),
	"random secret data": regexp.MustCompile(`"(random_password|random_bytes|random_id)"`),
}

func scanForSecrets(t *testing.T, what string, data []byte) {
	t.Helper()
	for kind, re := range secretPatterns {
		if m := re.Find(data); m != nil {
			t.Errorf("%s contains a %s: %q", what, kind, m)
		}
	}
}

// TestNothingSecretIsPlanned scans every offline plan (the drill scans its
// own plan and state).
func TestNothingSecretIsPlanned(t *testing.T) {
	concurrent(t) // waits for the offline plans (terraform)
	for _, name := range offlineStacks() {
		scanForSecrets(t, name+" plan JSON", []byte(offlinePlanJSON(t, name)))
	}
}

// TestNothingSecretIsSynthesizedOrCommitted scans every synthesized stack
// (both state variants) and the golden snapshots.
func TestNothingSecretIsSynthesizedOrCommitted(t *testing.T) {
	for _, name := range AllStackNames() {
		scanForSecrets(t, name+" JSON", stacks[name].Raw)
		scanForSecrets(t, name+" JSON (remote state)", remoteStacks[name].Raw)
	}
	golden, _ := filepath.Glob("testdata/*.json")
	if len(golden) == 0 {
		t.Fatal("no golden snapshots")
	}
	for _, g := range golden {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		scanForSecrets(t, g, data)
	}
}

// TestSecretScannerCatchesSecrets proves the patterns are not blind.
func TestSecretScannerCatchesSecrets(t *testing.T) {
	samples := map[string]string{
		"64-hex secret":      `"value": "` + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" + `"`,
		"AWS access key id":  `"access_key": "AKIA` + "ABCDEFGHIJKLMNOP" + `"`,
		"AWS secret key":     `"aws_secret_access_key": "` + "abcdefghijABCDEFGHIJabcdefghijABCDEFGHIJ" + `"`,
		"private key":        "-----BEGIN " + "RSA PRIVATE KEY-----",
		"password value":     `"password": "hunter22"`,
		"random secret data": `"random_password"`,
	}
	for kind, sample := range samples {
		if !secretPatterns[kind].MatchString(sample) {
			t.Errorf("pattern %s misses %s", kind, sample)
		}
	}
}
