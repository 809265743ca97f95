package tests

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
)

func TestSaltSecretHasNoValueInTerraform(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		name := "/phase-mirror/fp-calibration/hmac-salt-" + env
		secret := s.One(t, "aws_secretsmanager_secret", "name", name)
		if secret.Body.Str("kms_key_id") != s.All("aws_kms_key")[0].Ref("arn") {
			t.Errorf("%s: salt not encrypted with the CMK: %q", env, secret.Body.Str("kms_key_id"))
		}
		if got := secret.Body.Num("recovery_window_in_days"); int(got) != envByName(t, env).SecretRecoveryWindowDays {
			t.Errorf("%s: recovery window %v", env, got)
		}
		for _, forbidden := range []string{"aws_secretsmanager_secret_version", "random_password", "random_id", "random_bytes"} {
			if s.Count(forbidden) != 0 {
				t.Errorf("%s: %s would put a secret value into Terraform state", env, forbidden)
			}
		}
		if got := s.Outputs["anonymizer_salt_parameter_name"].Str("value"); got != "/aws/reference/secretsmanager/"+name {
			t.Errorf("%s: anonymizer_salt_parameter_name = %q", env, got)
		}
		if got := s.Outputs["salt_secret_arn"].Str("value"); got != secret.Ref("arn") {
			t.Errorf("%s: salt_secret_arn = %q", env, got)
		}
	}
}

func TestSaltRotatesMonthlyThroughItsOwnLambda(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		e := envByName(t, env)
		secret := s.One(t, "aws_secretsmanager_secret", "name", "/phase-mirror/fp-calibration/hmac-salt-"+env)
		fn := s.One(t, "aws_lambda_function", "function_name", e.Functions.SaltRotator)
		b := fn.Body
		if b.Str("runtime") != "provided.al2023" || !slices.Equal(b.Strings("architectures"), []string{"arm64"}) || b.Str("handler") != "bootstrap" {
			t.Errorf("%s: rotator runtime %q/%v/%q", env, b.Str("runtime"), b.Get("architectures"), b.Str("handler"))
		}
		// The role is the bootstrap's: named by its ARN.
		if b.Str("role") != "arn:aws:iam::"+e.AccountID+":role/phase-mirror-salt-rotator-lambda-"+env {
			t.Errorf("%s: rotator runs as %q", env, b.Str("role"))
		}
		if b.Str("source_code_hash") == "" || !regexp.MustCompile(`^assets/[^/]+/[0-9A-F]+/saltrotator\.zip$`).MatchString(b.Str("filename")) {
			t.Errorf("%s: rotator package %q (hash %q)", env, b.Str("filename"), b.Str("source_code_hash"))
		}
		if _, err := os.Stat(filepath.Join(outdir, "stacks", env, b.Str("filename"))); err != nil {
			t.Errorf("%s: the package is not in the synthesized stack: %v", env, err)
		}
		logGroup := s.One(t, "aws_cloudwatch_log_group", "name", "/aws/lambda/"+e.Functions.SaltRotator)
		if !slices.Contains(b.Strings("depends_on"), "aws_cloudwatch_log_group."+logGroup.Name) {
			t.Errorf("%s: the rotator does not wait for its log group: %v", env, b.Get("depends_on"))
		}

		rotation := s.All("aws_secretsmanager_secret_rotation")
		if len(rotation) != 1 {
			t.Fatalf("%s: %d rotations", env, len(rotation))
		}
		r := rotation[0].Body
		if r.Str("secret_id") != secret.Ref("id") || r.Str("rotation_lambda_arn") != fn.Ref("arn") ||
			r.Str("rotation_rules", "schedule_expression") != "cron(0 0 1 * ? *)" || !r.Bool("rotate_immediately") {
			t.Errorf("%s: rotation %v", env, r)
		}

		perm := s.One(t, "aws_lambda_permission", "principal", "secretsmanager.amazonaws.com")
		p := perm.Body
		if p.Str("principal") != "secretsmanager.amazonaws.com" || p.Str("action") != "lambda:InvokeFunction" ||
			p.Str("source_arn") != secret.Ref("arn") || p.Str("source_account") != e.AccountID || p.Str("function_name") != fn.Ref("function_name") {
			t.Errorf("%s: invoke permission not scoped to the secret: %v", env, p)
		}
		if !slices.Contains(r.Strings("depends_on"), "aws_lambda_permission."+perm.Name) {
			t.Errorf("%s: the rotation may start before Secrets Manager may invoke the function", env)
		}
	}
}

func TestLogGroupsAreManagedEncryptedAndExpire(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		e := envByName(t, env)
		groups := s.All("aws_cloudwatch_log_group")
		if len(groups) != 3 {
			t.Errorf("%s: %d log groups, want 3", env, len(groups))
		}
		for _, fn := range []string{e.Functions.FPIngestion, e.Functions.CalibrationQuery, e.Functions.SaltRotator} {
			g := s.One(t, "aws_cloudwatch_log_group", "name", "/aws/lambda/"+fn).Body
			if int(g.Num("retention_in_days")) != e.LogRetentionDays || g.Str("kms_key_id") != s.All("aws_kms_key")[0].Ref("arn") {
				t.Errorf("%s: log group of %s: retention %v, key %q", env, fn, g.Get("retention_in_days"), g.Str("kms_key_id"))
			}
		}
		// The key lets CloudWatch Logs use it for these groups only.
		var logs Obj
		for _, st := range keyPolicy(t, s) {
			if st.Str("sid") == "CloudWatchLogsEncryptTheServiceLogGroups" {
				logs = st
			}
		}
		if logs == nil {
			t.Fatalf("%s: the key policy does not let CloudWatch Logs encrypt the log groups", env)
		}
		want := []string{}
		for _, fn := range []string{e.Functions.FPIngestion, e.Functions.CalibrationQuery, e.Functions.SaltRotator} {
			want = append(want, "arn:aws:logs:"+e.Region+":"+e.AccountID+":log-group:/aws/lambda/"+fn)
		}
		cond := logs.Objs("condition")
		if len(cond) != 1 || cond[0].Str("variable") != "kms:EncryptionContext:aws:logs:arn" || !slices.Equal(cond[0].Strings("values"), want) ||
			!slices.Equal(logs.Strings("principals", "0", "identifiers"), []string{"logs." + e.Region + ".amazonaws.com"}) {
			t.Errorf("%s: logs statement %v", env, logs)
		}
	}
}

// TestNoSecretLooksLikeASalt: no string in the synthesized JSON or the golden
// snapshots looks like a salt (64 hex characters).
func TestNoSecretLooksLikeASalt(t *testing.T) {
	salt := regexp.MustCompile(`(?i)[0-9a-f]{64}`)
	for _, env := range StackNames() {
		if m := salt.Find(stacks[env].Raw); m != nil {
			t.Errorf("%s: synthesized JSON contains a salt-like string %q", env, m)
		}
		golden, err := os.ReadFile(filepath.Join("testdata", env+".cdk.tf.json"))
		if err == nil && salt.Find(golden) != nil {
			t.Errorf("%s: golden snapshot contains a salt-like string", env)
		}
	}
}

func TestRotatorPackageSize(t *testing.T) {
	if synthResult.RotatorPackageBytes < 1<<20 || synthResult.RotatorPackageBytes > 50<<20 {
		t.Errorf("rotator package is %d bytes (Lambda zips are limited to 50 MiB)", synthResult.RotatorPackageBytes)
	}
	t.Logf("rotator package: %d bytes", synthResult.RotatorPackageBytes)
}

// TestRotationAgeIsCheckedTwiceADay: an EventBridge schedule invokes the
// rotator with the age check, scoped by its own Lambda permission.
func TestRotationAgeIsCheckedTwiceADay(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		e := envByName(t, env)
		fn := s.One(t, "aws_lambda_function", "function_name", e.Functions.SaltRotator)
		rule := s.One(t, "aws_cloudwatch_event_rule", "name", "phase-mirror-salt-rotation-age-check-"+env)
		if rule.Body.Str("schedule_expression") != "rate(12 hours)" {
			t.Errorf("%s: schedule %q", env, rule.Body.Str("schedule_expression"))
		}
		target := s.All("aws_cloudwatch_event_target")
		if len(target) != 1 || target[0].Body.Str("arn") != fn.Ref("arn") || target[0].Body.Str("rule") != rule.Ref("name") {
			t.Fatalf("%s: targets %v", env, target)
		}
		want := `{"MaxAgeDays":35,"SecretId":"/phase-mirror/fp-calibration/hmac-salt-` + env + `","Step":"checkRotationAge"}`
		if got := target[0].Body.Str("input"); got != want {
			t.Errorf("%s: input %s, want %s", env, got, want)
		}
		perm := s.One(t, "aws_lambda_permission", "principal", "events.amazonaws.com").Body
		if perm.Str("source_arn") != rule.Ref("arn") || perm.Str("source_account") != e.AccountID {
			t.Errorf("%s: events permission not scoped to the rule: %v", env, perm)
		}
	}
}
