package config

import (
	"fmt"
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// FieldDoc documents one setting; the settings table of docs/settings.md is generated
// from these (a test keeps the two equal).
type FieldDoc struct {
	Name     string
	Type     string
	Required bool
	Default  string
	Rule     string
}

// placeholder names the documented resources with "<project>" and "<env>".
var placeholder = names.Env{Project: "<project>", Environment: "<env>"}

var fieldDocs = []FieldDoc{
	{"environment", "string", true, "", "`staging` or `production`; must match the file name"},
	{"aws_region", "string", true, "", "a commercial AWS region code known to AWS provider 5.100 (typos get a suggestion)"},
	{"project_name", "string", true, "", "3-24 chars, `a-z0-9-`, starts with a letter; prefixes table, role, topic, alarm and alias names (the application expects `phase-mirror`)"},
	{"aws_account_id", "string", true, "", "exactly 12 digits, quoted; the provider refuses any other account (`allowed_account_ids`) and ARNs are built with it"},
	{"alert_emails.critical", "list of string", true, "", "plain e-mail addresses; may be `[]` in staging only (a warning is printed)"},
	{"alert_emails.warning", "list of string", true, "", "as `alert_emails.critical`"},
	{"deletion_protection", "bool", true, "", "DynamoDB deletion protection; must be `true` in production"},
	{"github_repository", "string", true, "", "`owner/name`: the only repository whose workflows may assume this environment's deploy and plan roles"},
	{"github_oidc_provider", "string", false, "`\"create\"`", "`\"create\"`: the bootstrap creates the account's GitHub Actions OIDC provider; `\"existing\"`: it reads the one the account has (IAM allows one per URL: `aws iam list-open-id-connect-providers` lists `.../oidc-provider/token.actions.githubusercontent.com` when there is one)"},
	{"fp_ingestion_function_name", "string", false, "`<project>-fp-ingestion-<env>`", "Lambda function name (1-64 of `A-Za-z0-9-_`)"},
	{"calibration_query_function_name", "string", false, "`<project>-calibration-query-<env>`", "as above"},
	{"salt_rotator_function_name", "string", false, "`<project>-salt-rotator-<env>`", "as above; the three names must differ"},
	{"fp_ingestion_timeout_seconds", "number", false, fmt.Sprint(DefaultFunctionTimeoutSeconds), "1 to 900: the function's deployed timeout; its duration alarm fires at 80%"},
	{"calibration_query_timeout_seconds", "number", false, fmt.Sprint(DefaultFunctionTimeoutSeconds), "as above"},
	{"log_retention_days", "number", false, fmt.Sprint(DefaultLogRetentionDays), "one of the values CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)"},
	{"secret_recovery_window_days", "number", false, fmt.Sprint(DefaultSecretRecoveryWindowDays), "7 to 30: days a deleted salt secret can still be restored"},
	{"state.backend", "string", false, "`local`", "`local` or `s3`"},
	{"state.bucket", "string", false, "", "with `s3`: the state bucket (from the `state-bootstrap` stack)"},
	{"state.region", "string", false, "", "with `s3`: the bucket's region"},
	{"state.key_prefix", "string", false, "`" + DefaultStateKeyPrefix + "`", "with `s3`: state key is `" + placeholder.StateObject("<key_prefix>") + "`"},
	{"state.kms_key_arn", "string", false, "-", "with `s3` (required): the state key, output `state_kms_key_arn` of `" + placeholder.BootstrapStack() + "`; must be in the environment's account"},
	{"state.lock", "string", false, "`lockfile`", "`lockfile` (S3 native lock object) or `dynamodb` (lock table `" + placeholder.StateLockTable() + "`, made by `" + placeholder.BootstrapStack() + "`; set it before applying the bootstrap, also while `backend` is still `local`)"},
	{"adopt.enabled", "bool", false, "`false`", "`true` only for the first plan over the HCL version's resources: the stack imports them (docs/operations.md, Adopting the HCL deployment); required when `adopt` is set"},
	{"adopt.alarms", "list of string", false, "`[]`", "with `enabled`: names of this stack's alarms that already exist, imported too; each must be an alarm of the stack"},
	{"adopt.log_groups", "list of string", false, "`[]`", "with `enabled`: names of this stack's log groups that already exist (`" + names.LogGroup("<function>") + "`, made by the Lambda runtime when a function first ran), imported too; each must be a log group of the stack"},
	{"adopt.lambda_roles", "bool", false, "`false`", "`true` for the one bootstrap apply that takes over Lambda roles that already exist (made by the HCL version, or by this project before the bootstrap owned them): the bootstrap imports them"},
	{"adopt.lambda_boundary", "bool", false, "`false`", "`true` for the one bootstrap apply that takes over the Lambda roles' boundary made by this project before the bootstrap owned it: the bootstrap imports it"},
}

// Fields returns the documentation of every setting.
func Fields() []FieldDoc { return append([]FieldDoc(nil), fieldDocs...) }

// SettingsTable renders the settings documentation as a Markdown table.
func SettingsTable() string {
	var b strings.Builder
	b.WriteString("| field | type | required | default | validation |\n|---|---|---|---|---|\n")
	for _, f := range fieldDocs {
		req := "no"
		if f.Required {
			req = "yes"
		}
		def := f.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", f.Name, f.Type, req, def, f.Rule)
	}
	return b.String()
}
