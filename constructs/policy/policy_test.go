package policy

import (
	"encoding/json"
	"strings"
	"testing"
)

// stack builds a stack from a JSON fixture.
func stack(t *testing.T, fixture string) *Stack {
	t.Helper()
	var tf map[string]any
	if err := json.Unmarshal([]byte(fixture), &tf); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return NewStack("fixture", tf)
}

func outcomeOf(t *testing.T, rule Rule, s *Stack, typ string) (Outcome, string) {
	t.Helper()
	for _, r := range s.Resources {
		if r.Type == typ {
			return rule.Check(r, s)
		}
	}
	t.Fatalf("no %s in fixture", typ)
	return NotApplicable, ""
}

const policyDoc = `"data": {"aws_iam_policy_document": {"doc": {"statement": [%s]}}}`

func TestRulesBothOutcomes(t *testing.T) {
	cases := []struct {
		rule      Rule
		typ       string
		compliant string
		insecure  string
	}{
		{DynamoDBPointInTimeRecovery, "aws_dynamodb_table",
			`{"resource": {"aws_dynamodb_table": {"t": {"point_in_time_recovery": {"enabled": true}}}}}`,
			`{"resource": {"aws_dynamodb_table": {"t": {"point_in_time_recovery": {"enabled": false}}}}}`},
		{DynamoDBDeletionProtection, "aws_dynamodb_table",
			`{"resource": {"aws_dynamodb_table": {"t": {"deletion_protection_enabled": true}}}}`,
			`{"resource": {"aws_dynamodb_table": {"t": {}}}}`},
		{DynamoDBEncryptedWithCMK, "aws_dynamodb_table",
			`{"resource": {"aws_dynamodb_table": {"t": {"server_side_encryption": {"enabled": true, "kms_key_arn": "${aws_kms_key.k.arn}"}}}}}`,
			`{"resource": {"aws_dynamodb_table": {"t": {"server_side_encryption": {"enabled": true}}}}}`},
		{KMSKeyRotation, "aws_kms_key",
			`{"resource": {"aws_kms_key": {"k": {"enable_key_rotation": true}}}}`,
			`{"resource": {"aws_kms_key": {"k": {"enable_key_rotation": false}}}}`},
		{SNSTopicEncrypted, "aws_sns_topic",
			`{"resource": {"aws_sns_topic": {"t": {"kms_master_key_id": "${aws_kms_key.k.arn}"}}}}`,
			`{"resource": {"aws_sns_topic": {"t": {"name": "alerts"}}}}`},
		{LogGroupRetention, "aws_cloudwatch_log_group",
			`{"resource": {"aws_cloudwatch_log_group": {"g": {"retention_in_days": 30}}}}`,
			`{"resource": {"aws_cloudwatch_log_group": {"g": {"retention_in_days": 0}}}}`},
		{LogGroupEncrypted, "aws_cloudwatch_log_group",
			`{"resource": {"aws_cloudwatch_log_group": {"g": {"kms_key_id": "${aws_kms_key.k.arn}"}}}}`,
			`{"resource": {"aws_cloudwatch_log_group": {"g": {}}}}`},
		{IAMNoWildcardAction, "aws_iam_role_policy",
			`{"resource": {"aws_iam_role_policy": {"p": {"policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Allow", "actions": ["dynamodb:GetItem"], "resources": ["arn:aws:dynamodb:us-east-1:111111111111:table/t"]}, {"effect": "Deny", "actions": ["s3:*"], "resources": ["*"]}`) + `}`,
			`{"resource": {"aws_iam_role_policy": {"p": {"policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Allow", "actions": ["dynamodb:*"], "resources": ["arn:aws:dynamodb:us-east-1:111111111111:table/t"]}`) + `}`},
		{IAMNoWildcardAction, "aws_iam_policy",
			`{"resource": {"aws_iam_policy": {"p": {"policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Allow", "actions": ["logs:PutLogEvents"], "resources": ["arn:aws:logs:us-east-1:111111111111:log-group:g:*"]}`) + `}`,
			`{"resource": {"aws_iam_policy": {"p": {"policy": "{\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}"}}}}`},
		{IAMNoUnconditionedWildcardResource, "aws_iam_role_policy",
			`{"resource": {"aws_iam_role_policy": {"p": {"policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Allow", "actions": ["cloudwatch:PutMetricData"], "resources": ["*"], "condition": [{"test": "StringEquals", "variable": "cloudwatch:namespace", "values": ["N"]}]}`) + `}`,
			`{"resource": {"aws_iam_role_policy": {"p": {"policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Allow", "actions": ["secretsmanager:GetSecretValue"], "resources": ["*"]}`) + `}`},
		{LambdaSupportedRuntime, "aws_lambda_function",
			`{"resource": {"aws_lambda_function": {"f": {"runtime": "provided.al2023"}}}}`,
			`{"resource": {"aws_lambda_function": {"f": {"runtime": "go1.x"}}}}`},
		{SecretsManagerRotation, "aws_secretsmanager_secret",
			`{"resource": {"aws_secretsmanager_secret": {"s": {}}, "aws_secretsmanager_secret_rotation": {"r": {"secret_id": "${aws_secretsmanager_secret.s.id}", "rotation_rules": {"schedule_expression": "cron(0 0 1 * ? *)"}}}}}`,
			`{"resource": {"aws_secretsmanager_secret": {"s": {}}, "aws_secretsmanager_secret_rotation": {"r": {"secret_id": "${aws_secretsmanager_secret.other.id}", "rotation_rules": {"schedule_expression": "rate(30 days)"}}}}}`},
		{S3BucketRequiresTLS, "aws_s3_bucket",
			`{"resource": {"aws_s3_bucket": {"b": {}}, "aws_s3_bucket_policy": {"p": {"bucket": "${aws_s3_bucket.b.id}", "policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Deny", "actions": ["s3:*"], "resources": ["*"], "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]}`) + `}`,
			`{"resource": {"aws_s3_bucket": {"b": {}}, "aws_s3_bucket_policy": {"p": {"bucket": "${aws_s3_bucket.b.id}", "policy": "${data.aws_iam_policy_document.doc.json}"}}}, ` +
				fmtDoc(`{"effect": "Allow", "actions": ["s3:GetObject"], "resources": ["*"], "condition": [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]}`) + `}`},
		{S3BucketBlocksPublicAccess, "aws_s3_bucket",
			`{"resource": {"aws_s3_bucket": {"b": {}}, "aws_s3_bucket_public_access_block": {"x": {"bucket": "${aws_s3_bucket.b.id}", "block_public_acls": true, "block_public_policy": true, "ignore_public_acls": true, "restrict_public_buckets": true}}}}`,
			`{"resource": {"aws_s3_bucket": {"b": {}}, "aws_s3_bucket_public_access_block": {"x": {"bucket": "${aws_s3_bucket.b.id}", "block_public_acls": true, "block_public_policy": false, "ignore_public_acls": true, "restrict_public_buckets": true}}}}`},
	}
	covered := map[string]bool{}
	for _, c := range cases {
		covered[c.rule.Name] = true
		if got, detail := outcomeOf(t, c.rule, stack(t, c.compliant), c.typ); got != Compliant {
			t.Errorf("%s on its compliant fixture: %v (%s)", c.rule.Name, got, detail)
		}
		got, detail := outcomeOf(t, c.rule, stack(t, c.insecure), c.typ)
		if got != NonCompliant || detail == "" {
			t.Errorf("%s on its insecure fixture: %v (%q)", c.rule.Name, got, detail)
		}
	}
	for _, r := range Rules {
		if !covered[r.Name] {
			t.Errorf("rule %s has no fixture", r.Name)
		}
		if r.Control == "" || r.Fix == "" {
			t.Errorf("rule %s lacks its control or fix", r.Name)
		}
	}
}

func fmtDoc(statements string) string {
	return strings.Replace(policyDoc, "%s", statements, 1)
}

func TestRulesDoNotApplyToOtherTypes(t *testing.T) {
	s := stack(t, `{"resource": {"aws_ssm_parameter": {"p": {"name": "x"}}}}`)
	for _, r := range Rules {
		if got, _ := r.Check(s.Resources[0], s); got != NotApplicable {
			t.Errorf("%s applies to aws_ssm_parameter: %v", r.Name, got)
		}
	}
}

func TestEvaluateReportsFindingsAndSuppressions(t *testing.T) {
	s := stack(t, `{"resource": {"aws_dynamodb_table": {
		"bad": {"//": {"metadata": {"path": "env/datastore/bad/table"}}, "point_in_time_recovery": {"enabled": false}},
		"waived": {"//": {"metadata": {"path": "env/datastore/waived/table"}, "policy_suppressions": {"DynamoDBPointInTimeRecovery": "a scratch table, rebuilt from source on demand"}}, "point_in_time_recovery": {"enabled": false}},
		"empty_reason": {"//": {"metadata": {"path": "env/datastore/empty/table"}, "policy_suppressions": {"DynamoDBPointInTimeRecovery": " "}}, "point_in_time_recovery": {"enabled": false}}
	}}}`)
	rep := Evaluate([]Rule{DynamoDBPointInTimeRecovery}, s)
	if len(rep.Suppressed) != 1 || rep.Suppressed[0].Path != "env/datastore/waived/table" {
		t.Errorf("suppressed %v", rep.Suppressed)
	}
	// The bad table, the empty-reason one (twice: its suppression and its finding).
	if len(rep.Findings) != 3 {
		t.Fatalf("findings %v", rep.Findings)
	}
	err := rep.Err()
	if err == nil {
		t.Fatal("no error with findings")
	}
	for _, want := range []string{"env/datastore/bad/table", "DynamoDBPointInTimeRecovery", "FSBP DynamoDB.2", "fix: set point_in_time_recovery", "nothing was written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestUnknownSuppressionIsAFinding(t *testing.T) {
	s := stack(t, `{"resource": {"aws_kms_key": {"k": {"enable_key_rotation": true, "//": {"policy_suppressions": {"NoSuchRule": "because"}}}}}}`)
	if rep := Evaluate(Rules, s); len(rep.Findings) != 1 {
		t.Errorf("findings %v", rep.Findings)
	}
}
