package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// smokeStubs puts stub `terraform` and `aws` first on PATH that answer
// smoke.sh's reads as a deployed staging would: outputs, state, tables,
// rotation, the salt, subscriptions and alarms. SMOKE_CASE picks what is
// wrong: "pending" (one topic only has a pending subscription, the other a
// confirmed and a pending one), "nocreds" (no credentials).
func smokeStubs(t *testing.T) []string {
	t.Helper()
	bin := t.TempDir()
	stub := `#!/usr/bin/env bash
key=arn:aws:kms:us-east-1:111111111111:key/k
case "$(basename "$0") $*" in
  "terraform -chdir="*" init "*) [ -z "${INIT_LOG:-}" ] || echo init >>"$INIT_LOG" ;;
  "terraform -chdir="*" output -no-color") # read once by prepare: no output -raw is expected
    echo "kms_key_arn = \"$key\""
    for n in consent calibration fp_events block_counter; do echo "${n}_table_name = \"table-$n\""; done
    echo 'salt_secret_arn = "arn:aws:secretsmanager:us-east-1:111111111111:secret:salt"'
    echo 'anonymizer_salt_parameter_name = "/aws/reference/secretsmanager//salt"'
    echo 'critical_alerts_topic_arn = "arn:aws:sns:us-east-1:111111111111:critical"'
    echo 'warning_alerts_topic_arn = "arn:aws:sns:us-east-1:111111111111:warning"'
    echo 'tags = tomap({'; echo '  "Project" = "x"'; echo '})' ;;
  "terraform -chdir="*" state list") printf 'aws_cloudwatch_metric_alarm.a\naws_cloudwatch_metric_alarm.b\naws_sns_topic.t\n' ;;
  "aws sts get-caller-identity"*) [ "$SMOKE_CASE" != nocreds ] || { echo "Unable to locate credentials" >&2; exit 255; } ;;
  "aws dynamodb describe-table"*) printf 'ACTIVE\t%s\n' "$key" ;;
  "aws dynamodb describe-continuous-backups"*) echo ENABLED ;;
  "aws secretsmanager describe-secret"*) if [ "$SMOKE_CASE" = adopted ]; then echo False; else echo True; fi ;;
  "aws ssm get-parameter"*) if [ "$SMOKE_CASE" = adopted ]; then echo '{"hmac_salt":"x"}'; else echo 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef; fi ;;
  "aws sns list-subscriptions-by-topic --topic-arn arn:aws:sns:us-east-1:111111111111:critical"*)
    printf 'arn:aws:sns:us-east-1:111111111111:critical:1\toncall@example.com\nPendingConfirmation\tnew@example.com\n' ;;
  "aws sns list-subscriptions-by-topic"*) printf 'PendingConfirmation\tteam@example.com\n' ;;
  "aws cloudwatch describe-alarms"*) echo 2 ;;
  *) echo "stub: unexpected call: $(basename "$0") $*" >&2; exit 3 ;;
esac
`
	for _, name := range []string{"terraform", "aws", "go"} { // go: any synthesis is unexpected
		if err := os.WriteFile(filepath.Join(bin, name), []byte(stub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// No terraform, and no synthesis (the tests write cdktf.out themselves,
	// newer than every input; the stub go fails any): no turn (stubbedTools).
	return []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), stubbedTools}
}

// TestSmokeReportsPendingSubscriptionsAndItsExitCodes: smoke.sh lists
// pending subscriptions, fails a topic without a confirmed one (exit 1, and
// only that check), fails a salt left as the HCL version had it (JSON,
// rotation off), and exits 2 when it cannot check (no credentials). The
// emulator confirms every e-mail subscription, so the drill cannot show these.
func TestSmokeReportsPendingSubscriptionsAndItsExitCodes(t *testing.T) {
	light(t)
	dir := repoCopy(t)
	// A synthesized stack newer than every input: smoke.sh does not synthesize.
	stack := filepath.Join(dir, "cdktf.out", "stacks", "staging")
	if err := os.MkdirAll(stack, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stack, "cdk.tf.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	stubs := smokeStubs(t)
	out, code := runScript(t, dir, "", append(stubs, "SMOKE_CASE=pending"), "scripts/smoke.sh", "staging")
	fails := regexp.MustCompile(`(?m)^FAIL  .*$`).FindAllString(out, -1)
	if code != 1 || len(fails) != 1 || !strings.Contains(fails[0], "topic arn:aws:sns:us-east-1:111111111111:warning: no confirmed subscription") {
		t.Errorf("pending: exit %d, failures %q, want exit 1 and only the warning topic:\n%s", code, fails, out)
	}
	for _, want := range []string{
		"warn  topic arn:aws:sns:us-east-1:111111111111:critical: subscriptions pending confirmation: new@example.com",
		"ok    topic arn:aws:sns:us-east-1:111111111111:critical: 1 confirmed subscription(s)",
		"ok    alarms: 2 of 2 present, enabled, with an alert topic as action",
		"ok    salt: the current version is a bare 64-hex value",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pending: output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "0123456789abcdef") {
		t.Error("smoke.sh printed the salt")
	}
	// A salt as the HCL version left it (a JSON value, rotation off): the two
	// salt checks fail, and only they.
	out, code = runScript(t, dir, "", append(stubs, "SMOKE_CASE=adopted"), "scripts/smoke.sh", "staging")
	failed := regexp.MustCompile(`(?m)^FAIL  (salt secret|salt|table|topic|alarms)\b`).FindAllStringSubmatch(out, -1)
	if code != 1 || len(failed) != 3 || failed[0][1] != "salt secret" || failed[1][1] != "salt" || failed[2][1] != "topic" {
		t.Errorf("adopted: exit %d, failures %v, want exit 1, the two salt checks and the unconfirmed warning topic:\n%s", code, failed, out)
	}
	if strings.Contains(out, "hmac_salt") {
		t.Error("smoke.sh printed the salt")
	}
	out, code = runScript(t, dir, "", append(stubs, "SMOKE_CASE=nocreds"), "scripts/smoke.sh", "staging")
	if code != 2 || !strings.Contains(out, "error: no AWS credentials for staging's account") {
		t.Errorf("nocreds: exit %d, want 2:\n%s", code, out)
	}
}

// TestScriptsInitializeOncePerConfiguration: a script initializes a stack
// folder once for its inputs: a second run does not run init again; a new
// stack JSON (a synthesis), or a provider no longer in place, does.
func TestScriptsInitializeOncePerConfiguration(t *testing.T) {
	light(t)
	dir := repoCopy(t)
	stack := filepath.Join(dir, "cdktf.out", "stacks", "staging")
	provider := filepath.Join(stack, ".terraform", "providers", "registry.terraform.io", "hashicorp", "aws", "5.100.0", "linux_amd64", "terraform-provider-aws_v5.100.0_x5")
	if err := os.MkdirAll(filepath.Dir(provider), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path, text string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(stack, "cdk.tf.json"), "{}\n")
	write(provider, "binary")
	log := filepath.Join(t.TempDir(), "inits")
	env := append(smokeStubs(t), "SMOKE_CASE=pending", "INIT_LOG="+log)
	inits := func(want int, after string) {
		t.Helper()
		raw, _ := os.ReadFile(log)
		if got := strings.Count(string(raw), "init\n"); got != want {
			t.Errorf("after %s: %d inits, want %d", after, got, want)
		}
	}
	runScript(t, dir, "", env, "scripts/smoke.sh", "staging")
	runScript(t, dir, "", env, "scripts/smoke.sh", "staging")
	inits(1, "two runs on one configuration")
	write(filepath.Join(stack, "cdk.tf.json"), "{\"synthesized\": \"again\"}\n")
	runScript(t, dir, "", env, "scripts/smoke.sh", "staging")
	inits(2, "a new stack JSON")
	if err := os.Remove(provider); err != nil {
		t.Fatal(err)
	}
	runScript(t, dir, "", env, "scripts/smoke.sh", "staging")
	inits(3, "the provider removed")
}
