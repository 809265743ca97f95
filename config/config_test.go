package config

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/mdsection"
)

var updateReadme = flag.Bool("update-readme", false, "regenerate the settings table of docs/settings.md")

// validSettings returns a fresh, valid settings object for env.
func validSettings(env string) map[string]any {
	return map[string]any{
		"environment":    env,
		"aws_region":     "eu-west-1",
		"project_name":   "phase-mirror",
		"aws_account_id": "210987654321",
		"alert_emails": map[string]any{
			"critical": []any{"oncall@phase-mirror.io"},
			"warning":  []any{"team@phase-mirror.io"},
		},
		"deletion_protection": true,
		"github_repository":   "phase-mirror/fp-calibration-infra",
	}
}

func encode(t *testing.T, v any) []byte {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestParseValidAppliesDefaults(t *testing.T) {
	env, err := Parse("production.json", "production", encode(t, validSettings("production")))
	if err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	if env.Name != "production" || env.Region != "eu-west-1" || !env.DeletionProtection {
		t.Errorf("fields not carried over: %+v", env)
	}
	if env.LogRetentionDays != DefaultLogRetentionDays || env.SecretRecoveryWindowDays != DefaultSecretRecoveryWindowDays {
		t.Errorf("defaults not applied: %+v", env)
	}
	if env.Functions.FPIngestion != "phase-mirror-fp-ingestion-production" ||
		env.Functions.CalibrationQuery != "phase-mirror-calibration-query-production" ||
		env.Functions.SaltRotator != "phase-mirror-salt-rotator-production" {
		t.Errorf("default function names: %+v", env.Functions)
	}
	if env.State.Backend != StateLocal || env.State.Lock != LockFile {
		t.Errorf("state default = %q locked by %q, want local and lockfile", env.State.Backend, env.State.Lock)
	}
	if env.Adopt.Enabled || len(env.Adopt.Alarms) != 0 {
		t.Errorf("adoption is on by default: %+v", env.Adopt)
	}
}

func TestParseLockTableAndAdoption(t *testing.T) {
	s := validSettings("staging")
	s["state"] = map[string]any{"backend": "s3", "bucket": "pm-tf-state-210987654321", "region": "us-east-1", "lock": "dynamodb",
		"kms_key_arn": "arn:aws:kms:us-east-1:210987654321:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}
	s["adopt"] = map[string]any{"enabled": true, "alarms": []any{"phase-mirror-anonymization-errors-staging"},
		"log_groups": []any{"/aws/lambda/phase-mirror-fp-ingestion-staging"}}
	env, err := Parse("staging.json", "staging", encode(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if env.State.Lock != LockDynamoDB {
		t.Errorf("lock %q", env.State.Lock)
	}
	if !env.Adopt.Enabled || len(env.Adopt.Alarms) != 1 || len(env.Adopt.LogGroups) != 1 || env.Adopt.LogGroups[0] != "/aws/lambda/phase-mirror-fp-ingestion-staging" {
		t.Errorf("adopt = %+v", env.Adopt)
	}
	// With local state the lock only tells the bootstrap to make the table.
	s["state"] = map[string]any{"backend": "local", "lock": "dynamodb"}
	if env, err = Parse("staging.json", "staging", encode(t, s)); err != nil || env.State.Lock != LockDynamoDB {
		t.Errorf("local state with the lock table: %v, %+v", err, env.State)
	}
}

func TestParseS3State(t *testing.T) {
	s := validSettings("staging")
	s["state"] = map[string]any{"backend": "s3", "bucket": "pm-tf-state-210987654321", "region": "us-east-1",
		"kms_key_arn": "arn:aws:kms:us-east-1:210987654321:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}
	env, err := Parse("staging.json", "staging", encode(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := env.State.KeyPrefix, "phase-mirror"; got != want {
		t.Errorf("State.KeyPrefix = %q, want the default %q", got, want)
	}
}

func TestStagingMayHaveNoSubscribersWithAWarning(t *testing.T) {
	s := validSettings("staging")
	s["alert_emails"] = map[string]any{"critical": []any{}, "warning": []any{"team@phase-mirror.io"}}
	s["deletion_protection"] = false
	env, err := Parse("staging.json", "staging", encode(t, s))
	if err != nil {
		t.Fatalf("staging without subscribers refused: %v", err)
	}
	if len(env.Warnings) != 1 || !strings.Contains(env.Warnings[0], `"alert_emails.critical" is empty`) {
		t.Errorf("warnings %q", env.Warnings)
	}
}

// TestPlaceholdersWarnButDoNotFail: reserved example domains and placeholder
// account ids synthesize (so the shipped settings work offline) with a warning
// that names the field.
func TestPlaceholdersWarnButDoNotFail(t *testing.T) {
	cases := []struct {
		name, field string
		mutate      func(map[string]any)
	}{
		{"example domain", `"alert_emails.critical[0]"`, func(m map[string]any) {
			m["alert_emails"] = map[string]any{"critical": []any{"oncall@phase-mirror.example"}, "warning": []any{"team@phase-mirror.io"}}
		}},
		{"example.com", `"alert_emails.warning[0]"`, func(m map[string]any) {
			m["alert_emails"] = map[string]any{"critical": []any{"oncall@phase-mirror.io"}, "warning": []any{"team@example.com"}}
		}},
		{"repeated digit account", `"aws_account_id"`, func(m map[string]any) { m["aws_account_id"] = "111111111111" }},
		{"documentation account", `"aws_account_id"`, func(m map[string]any) { m["aws_account_id"] = "123456789012" }},
	}
	for _, c := range cases {
		s := validSettings("production")
		c.mutate(s)
		env, err := Parse("production.json", "production", encode(t, s))
		if err != nil {
			t.Errorf("%s: refused: %v", c.name, err)
			continue
		}
		if len(env.Warnings) != 1 || !strings.Contains(env.Warnings[0], c.field) {
			t.Errorf("%s: warnings %q, want one naming %s", c.name, env.Warnings, c.field)
		}
	}
	if env, err := Parse("production.json", "production", encode(t, validSettings("production"))); err != nil || len(env.Warnings) != 0 {
		t.Errorf("real-looking settings: %v, warnings %q", err, env.Warnings)
	}
}

// TestParseRefusesBadInput: every bad input is refused with one line that names
// the file, the field and a fix.
func TestParseRefusesBadInput(t *testing.T) {
	set := func(key string, v any) func(map[string]any) {
		return func(m map[string]any) { m[key] = v }
	}
	del := func(key string) func(map[string]any) {
		return func(m map[string]any) { delete(m, key) }
	}
	cases := []struct {
		name   string
		env    string
		raw    string // used instead of the mutated settings when set
		mutate func(map[string]any)
		field  string // the field the message must name ("" for whole-file problems)
		want   string // a fragment of the message
	}{
		{name: "unknown field", mutate: set("enable_pitr", true), field: "enable_pitr", want: "not a known setting"},
		{name: "missing region", mutate: del("aws_region"), field: "aws_region", want: "required"},
		{name: "missing environment", mutate: del("environment"), field: "environment", want: "required"},
		{name: "missing deletion protection", mutate: del("deletion_protection"), field: "deletion_protection", want: "required"},
		{name: "missing alert emails", mutate: del("alert_emails"), field: "alert_emails", want: "required"},
		{name: "wrong type bool", mutate: set("deletion_protection", "yes"), field: "deletion_protection", want: "true or false"},
		{name: "wrong type list", mutate: set("alert_emails", map[string]any{"critical": "a@example.com"}), field: "alert_emails.critical", want: "list of strings"},
		{name: "account id as number", mutate: set("aws_account_id", 123456789012), field: "aws_account_id", want: "a string"},
		{name: "environment mismatch", mutate: set("environment", "staging"), field: "environment", want: `file is for "production"`},
		{name: "region typo", mutate: set("aws_region", "us-esat-1"), field: "aws_region", want: `did you mean "us-east-1"`},
		{name: "region invented", mutate: set("aws_region", "mars-north-1"), field: "aws_region", want: "not an AWS region"},
		{name: "malformed email", mutate: set("alert_emails", map[string]any{"critical": []any{"oncall.example.com"}, "warning": []any{}}), field: "alert_emails.critical[0]", want: "not a plain e-mail"},
		{name: "email with display name", mutate: set("alert_emails", map[string]any{"critical": []any{"On Call <oncall@example.com>"}, "warning": []any{"a@example.com"}}), field: "alert_emails.critical[0]", want: "not a plain e-mail"},
		{name: "email without domain dot", mutate: set("alert_emails", map[string]any{"critical": []any{"a@example.com"}, "warning": []any{"ops@localhost"}}), field: "alert_emails.warning[0]", want: "no valid domain"},
		{name: "production without subscribers", mutate: set("alert_emails", map[string]any{"critical": []any{}, "warning": []any{"a@example.com"}}), field: "alert_emails.critical", want: "reach no one"},
		{name: "project name uppercase", mutate: set("project_name", "Phase_Mirror"), field: "project_name", want: "invalid AWS resource names"},
		{name: "project name too long", mutate: set("project_name", strings.Repeat("p", 30)), field: "project_name", want: "invalid AWS resource names"},
		{name: "project name double hyphen", mutate: set("project_name", "phase--mirror"), field: "project_name", want: "double hyphen"},
		{name: "production without deletion protection", mutate: set("deletion_protection", false), field: "deletion_protection", want: "false in production"},
		{name: "account id 11 digits", mutate: set("aws_account_id", "12345678901"), field: "aws_account_id", want: "12 digits"},
		{name: "account id with letters", mutate: set("aws_account_id", "12345678901a"), field: "aws_account_id", want: "12 digits"},
		{name: "missing account id", mutate: del("aws_account_id"), field: "aws_account_id", want: "required"},
		{name: "log retention not accepted", mutate: set("log_retention_days", 10), field: "log_retention_days", want: "not a retention"},
		{name: "timeout too long", mutate: set("fp_ingestion_timeout_seconds", 901), field: "fp_ingestion_timeout_seconds", want: "outside 1..900"},
		{name: "recovery window too short", mutate: set("secret_recovery_window_days", 3), field: "secret_recovery_window_days", want: "outside 7..30"},
		{name: "invalid function name", mutate: set("fp_ingestion_function_name", "fp ingestion"), field: "fp_ingestion_function_name", want: "not a valid Lambda function name"},
		{name: "duplicate function names", mutate: func(m map[string]any) {
			m["fp_ingestion_function_name"] = "same"
			m["salt_rotator_function_name"] = "same"
		}, field: "salt_rotator_function_name", want: "share one name"},
		{name: "s3 state without key", mutate: set("state", map[string]any{"backend": "s3", "bucket": "tf-state-bucket", "region": "us-east-1"}), field: "state.kms_key_arn", want: "missing"},
		{name: "s3 state key of another account", mutate: set("state", map[string]any{"backend": "s3", "bucket": "tf-state-bucket", "region": "us-east-1", "kms_key_arn": "arn:aws:kms:us-east-1:999999999999:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"}), field: "state.kms_key_arn", want: "not a key of the environment's account"},
		{name: "missing github repository", mutate: del("github_repository"), field: "github_repository", want: "required"},
		{name: "github repository not owner/name", mutate: set("github_repository", "https://github.com/a/b"), field: "github_repository", want: "not owner/name"},
		{name: "oidc provider neither create nor existing", mutate: set("github_oidc_provider", "reuse"), field: "github_oidc_provider", want: "neither"},
		{name: "unknown state backend", mutate: set("state", map[string]any{"backend": "gcs"}), field: "state.backend", want: "not a supported backend"},
		{name: "s3 state without bucket", mutate: set("state", map[string]any{"backend": "s3", "region": "us-east-1"}), field: "state.bucket", want: "missing"},
		{name: "s3 state with region typo", mutate: set("state", map[string]any{"backend": "s3", "bucket": "tf-state-bucket", "region": "us-east-11"}), field: "state.region", want: "not an AWS region"},
		{name: "unknown nested field", mutate: set("alert_emails", map[string]any{"critical": []any{"a@example.com"}, "warning": []any{}, "pager": []any{}}), field: "alert_emails.pager", want: "known settings in alert_emails: critical, warning"},
		{name: "unknown state field", mutate: set("state", map[string]any{"backend": "s3", "dynamodb_table": "locks"}), field: "state.dynamodb_table", want: "known settings in state: backend, bucket, key_prefix, kms_key_arn, lock, region"},
		{name: "unknown lock mode", mutate: set("state", map[string]any{"backend": "local", "lock": "dynamo"}), field: "state.lock", want: `"dynamo" is not a lock mode`},
		{name: "adopt without enabled", mutate: set("adopt", map[string]any{"alarms": []any{}}), field: "adopt.enabled", want: "required when adopt is set"},
		{name: "adopt enabled not a bool", mutate: set("adopt", map[string]any{"enabled": "yes"}), field: "adopt.enabled", want: "true or false"},
		{name: "adopt alarms while off", mutate: set("adopt", map[string]any{"enabled": false, "alarms": []any{"phase-mirror-anonymization-errors-production"}}), field: "adopt.alarms", want: "adopt.enabled is false"},
		{name: "adopt alarm name invalid", mutate: set("adopt", map[string]any{"enabled": true, "alarms": []any{"anonymization errors"}}), field: "adopt.alarms[0]", want: "not an alarm name"},
		{name: "adopt alarm twice", mutate: set("adopt", map[string]any{"enabled": true, "alarms": []any{"a-production", "a-production"}}), field: "adopt.alarms[1]", want: "listed twice"},
		{name: "adopt log groups while off", mutate: set("adopt", map[string]any{"enabled": false, "log_groups": []any{"/aws/lambda/phase-mirror-fp-ingestion-production"}}), field: "adopt.log_groups", want: "adopt.enabled is false"},
		{name: "adopt log group name invalid", mutate: set("adopt", map[string]any{"enabled": true, "log_groups": []any{"/aws/lambda/fp ingestion"}}), field: "adopt.log_groups[0]", want: "not a log group name"},
		{name: "adopt log group twice", mutate: set("adopt", map[string]any{"enabled": true, "log_groups": []any{"/aws/lambda/phase-mirror-fp-ingestion-production", "/aws/lambda/phase-mirror-fp-ingestion-production"}}), field: "adopt.log_groups[1]", want: "listed twice"},
		{name: "adopt log group of another function", mutate: set("adopt", map[string]any{"enabled": true, "log_groups": []any{"/aws/lambda/phase-mirror-salt-rotator-production"}}), field: "adopt.log_groups[0]", want: "is not a log group of an application function of this environment"},
		{name: "unknown adopt field", mutate: set("adopt", map[string]any{"enabled": true, "tables": []any{}}), field: "adopt.tables", want: "known settings in adopt: alarms, enabled"},
		{name: "not an environment", env: "dev", mutate: set("environment", "dev"), want: "not an environment of this project"},
		{name: "syntax error", raw: "{\n  \"environment\": \"production\",\n  \"aws_region\" \"us-east-1\"\n}", want: "line 3"},
		{name: "empty file", raw: " ", want: "empty"},
		{name: "trailing data", raw: `{"environment":"production"} {}`, want: "data after the settings object"},
		{name: "array instead of object", raw: `[]`, want: "object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := tc.env
			if env == "" {
				env = "production"
			}
			data := []byte(tc.raw)
			if tc.raw == "" {
				s := validSettings("production")
				tc.mutate(s)
				data = encode(t, s)
			}
			file := env + ".json"
			_, err := Parse(file, env, data)
			if err == nil {
				t.Fatal("bad input accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("message is not one line: %q", msg)
			}
			if !strings.HasPrefix(msg, file) {
				t.Errorf("message does not start with the file name: %q", msg)
			}
			if tc.field != "" && !strings.Contains(msg, `field "`+tc.field+`"`) {
				t.Errorf("message does not name field %q: %q", tc.field, msg)
			}
			if !strings.Contains(msg, tc.want) {
				t.Errorf("message %q lacks %q", msg, tc.want)
			}
			if !strings.Contains(msg, "fix: ") {
				t.Errorf("message gives no fix: %q", msg)
			}
		})
	}
}

func TestEnvironmentsMustNotShareAnAccount(t *testing.T) {
	dir := t.TempDir()
	for _, env := range Environments {
		s := validSettings(env)
		if env == "staging" {
			s["deletion_protection"] = false
		}
		if err := os.WriteFile(filepath.Join(dir, env+".json"), encode(t, s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := LoadAll(dir)
	if err == nil || !strings.Contains(err.Error(), `field "aws_account_id"`) || !strings.Contains(err.Error(), "must not share an account") {
		t.Fatalf("shared account: %v", err)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := LoadFile(filepath.Join(t.TempDir(), "staging.json"))
	if err == nil || !strings.Contains(err.Error(), "cannot read settings file") {
		t.Fatalf("missing file: %v", err)
	}
}

// TestShippedEnvironmentsAreValid loads the settings files the repository ships.
func TestShippedEnvironmentsAreValid(t *testing.T) {
	envs, err := LoadAll("../environments")
	if err != nil {
		t.Fatal(err)
	}
	if len(envs) != 2 || envs[0].Name != "staging" || envs[1].Name != "production" {
		t.Fatalf("LoadAll order: %+v", envs)
	}
	if envs[0].AccountID == envs[1].AccountID {
		t.Error("staging and production share an account: keep environments in separate accounts")
	}
}

// TestReadmeSettingsTable keeps the settings table of docs/settings.md equal
// to the code's, and the page mentions every field.
func TestReadmeSettingsTable(t *testing.T) {
	if err := mdsection.Sync("..", "settings", SettingsTable(), *updateReadme); err != nil {
		t.Error(err)
	}
	page, err := os.ReadFile("../docs/settings.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields() {
		if !strings.Contains(string(page), "`"+f.Name+"`") {
			t.Errorf("docs/settings.md does not mention %s", f.Name)
		}
	}
}

func TestEditDistanceSuggestion(t *testing.T) {
	for in, want := range map[string]string{"eu-wset-1": "eu-west-1", "us-east1": "us-east-1", "xx-yyyy-9": ""} {
		if got := closest(in, Regions); got != want {
			t.Errorf("closest(%q) = %q, want %q", in, got, want)
		}
	}
}
