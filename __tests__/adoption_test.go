package tests

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
)

// adoptedAlarm is the alarm the tests' staging settings list in adopt.alarms.
func adoptedAlarm(env string) string { return "phase-mirror-anonymization-errors-" + env }

// adoptedLogGroups are the log groups the tests' settings list in
// adopt.log_groups: both application functions ran.
func adoptedLogGroups(e config.Environment) []string {
	return []string{"/aws/lambda/" + e.Functions.FPIngestion, "/aws/lambda/" + e.Functions.CalibrationQuery}
}

// TestShippedSettingsImportNothing: adoption is off by default.
func TestShippedSettingsImportNothing(t *testing.T) {
	for _, name := range AllStackNames() {
		if len(stacks[name].Imports) > 0 {
			t.Errorf("%s has import blocks with the shipped settings", name)
		}
		if name != "staging" && name != bootstrapOf("staging") && len(remoteStacks[name].Imports) > 0 {
			t.Errorf("%s has import blocks without adopt.enabled", name)
		}
	}
}

// TestAdoptionImportsWhatTheHCLVersionCreated: with adopt.enabled, the stack
// imports exactly the resources the facts file names (and the listed Lambda
// log groups and alarm), each by the id its
// resource type is imported with, into a resource of the stack.
func TestAdoptionImportsWhatTheHCLVersionCreated(t *testing.T) {
	env := "staging"
	e := envByName(t, env)
	s := remoteStacks[env]
	imports := map[string]string{}
	for _, b := range s.Imports {
		to, id := b.Str("to"), b.Str("id")
		typ, name, _ := strings.Cut(to, ".")
		if _, ok := s.Resources[typ][name]; !ok {
			t.Errorf("import into %s: no such resource in the stack", to)
		}
		imports[typ+" "+id] = to
	}
	topic := func(name string) string { return fmt.Sprintf("arn:aws:sns:%s:%s:%s", e.Region, e.AccountID, name) }
	want := []string{
		"aws_dynamodb_table phase-mirror-consent-store-" + env,
		"aws_dynamodb_table phase-mirror-calibration-store-" + env,
		"aws_dynamodb_table phase-mirror-fp-events-" + env,
		"aws_dynamodb_table mirror-dissonance-block-counter-" + env,
		"aws_ssm_parameter /guardian/redaction_nonce-" + env,
		"aws_kms_alias alias/phase-mirror-secrets-" + env,
		"aws_kms_key ${data.aws_kms_alias.adopted_key_alias.target_key_id}",
		"aws_secretsmanager_secret ${data.aws_secretsmanager_secret.adopted_secret.arn}",
		"aws_sns_topic " + topic("phase-mirror-critical-alerts-"+env),
		"aws_sns_topic " + topic("phase-mirror-warning-alerts-"+env),
		"aws_cloudwatch_dashboard PhaseMirror-FPCalibration-" + env,
		"aws_cloudwatch_log_group /aws/lambda/" + e.Functions.FPIngestion,
		"aws_cloudwatch_log_group /aws/lambda/" + e.Functions.CalibrationQuery,
		"aws_cloudwatch_metric_alarm " + adoptedAlarm(env),
	}
	for _, w := range want {
		if _, ok := imports[w]; !ok {
			t.Errorf("no import of %s", w)
		}
		delete(imports, w)
	}
	for extra := range imports {
		t.Errorf("imports %s, which the HCL version did not create", extra)
	}
	// The data sources the key and the secret are found with.
	if got := s.Data["aws_kms_alias"]["adopted_key_alias"]; got.Str("name") != "alias/phase-mirror-secrets-"+env {
		t.Errorf("data.aws_kms_alias.adopted_key_alias = %v", got)
	}
	if got := s.Data["aws_secretsmanager_secret"]["adopted_secret"]; got.Str("name") != "/phase-mirror/fp-calibration/hmac-salt-"+env {
		t.Errorf("data.aws_secretsmanager_secret.adopted_secret = %v", got)
	}
	// Adoption changes nothing but the import blocks and their data sources.
	for typ, byName := range stacks[env].Resources {
		if len(byName) != len(s.Resources[typ]) {
			t.Errorf("%s: %d resources without adoption, %d with", typ, len(byName), len(s.Resources[typ]))
		}
	}
}

// TestNonceIsNeverWrittenAfterCreate: value_wo_version is ignored, so an
// imported parameter (no version in its state) is not overwritten with the
// placeholder, and no later change of it can write one.
func TestNonceIsNeverWrittenAfterCreate(t *testing.T) {
	for _, env := range StackNames() {
		p := stacks[env].One(t, "aws_ssm_parameter", "name", "/guardian/redaction_nonce-"+env).Body
		if got := p.Strings("lifecycle", "ignore_changes"); !slices.Equal(got, []string{"value_wo_version"}) {
			t.Errorf("%s: nonce lifecycle.ignore_changes = %v, want [value_wo_version]", env, got)
		}
	}
}

// TestLockTableOfTheBootstrap: with state.lock "dynamodb" the bootstrap makes
// the lock table the backend names: LockID string key, on demand, PITR, the
// state key, deletion protection and prevent_destroy; with the default there
// is none.
func TestLockTableOfTheBootstrap(t *testing.T) {
	boot := remoteStacks[bootstrapOf("staging")]
	table := boot.One(t, "aws_dynamodb_table", "name", "terraform-locks-phase-mirror-staging").Body
	key := boot.All("aws_kms_key")[0]
	checks := map[string]bool{
		"hash_key LockID":           table.Str("hash_key") == "LockID",
		"LockID is a string":        len(table.Objs("attribute")) == 1 && table.Objs("attribute")[0].Str("type") == "S",
		"on demand":                 table.Str("billing_mode") == "PAY_PER_REQUEST",
		"PITR":                      table.Get("point_in_time_recovery", "enabled") == true,
		"the state key":             table.Get("server_side_encryption", "enabled") == true && table.Str("server_side_encryption", "kms_key_arn") == key.Ref("arn"),
		"deletion protection":       table.Get("deletion_protection_enabled") == true,
		"lifecycle.prevent_destroy": table.Get("lifecycle", "prevent_destroy") == true,
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("lock table: %s is not set: %v", what, table)
		}
	}
	if got := boot.Outputs["state_lock_table_name"]; got == nil {
		t.Error("no state_lock_table_name output")
	}
	for _, name := range []string{bootstrapOf("production")} {
		if n := remoteStacks[name].Count("aws_dynamodb_table") + stacks[name].Count("aws_dynamodb_table"); n != 0 {
			t.Errorf("%s has %d tables with the default lock file", name, n)
		}
	}
}

// TestStateRolesInTheIAMSimulator: both roles reach the state key they use
// (through S3 for the state object, through DynamoDB for the lock table),
// with the key's policy and their own; the deploy role takes and releases the
// lock; the plan role only reads the state and its digest; neither can drop,
// change or scan the lock table, or touch another table's items.
func TestStateRolesInTheIAMSimulator(t *testing.T) {
	light(t)
	env := "staging"
	e := envByName(t, env)
	boot := remoteStacks[bootstrapOf(env)]
	lockTable := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/terraform-locks-phase-mirror-%s", e.Region, e.AccountID, env)
	otherTable := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/terraform-locks-someone-else", e.Region, e.AccountID)
	roles := map[string]string{"deploy": "phase-mirror-deploy-" + env, "plan": "phase-mirror-plan-" + env}
	policies := map[string]map[string]any{}
	for short, name := range roles {
		role := boot.One(t, "aws_iam_role", "name", name)
		for _, rp := range boot.All("aws_iam_role_policy") {
			if rp.Body.Str("role") == role.Ref("name") {
				policies[short] = renderPolicy(t, boot, rp.Body.Str("policy"))
			}
		}
	}
	stateKey := "arn:aws:kms:" + e.Region + ":" + e.AccountID + ":key/" + fakeKeyID
	viaDynamoDB := map[string]any{"kms:ViaService": "dynamodb." + e.Region + ".amazonaws.com", "kms:CallerAccount": e.AccountID}
	viaS3 := map[string]any{"kms:ViaService": "s3." + e.Region + ".amazonaws.com", "kms:CallerAccount": e.AccountID}
	stateObject := "arn:aws:s3:::" + service.Names(e).StateBucket() + "/phase-mirror/" + env + "/terraform.tfstate"
	requests := []request{
		{"deploy takes the lock", "deploy", "dynamodb:PutItem", lockTable, nil, true, nil},
		{"deploy reads the lock and the digest", "deploy", "dynamodb:GetItem", lockTable, nil, true, nil},
		{"deploy releases the lock", "deploy", "dynamodb:DeleteItem", lockTable, nil, true, nil},
		{"plan reads the digest", "plan", "dynamodb:GetItem", lockTable, nil, true, nil},
		{"plan cannot take the lock", "plan", "dynamodb:PutItem", lockTable, nil, false, nil},
		{"plan cannot release a lock", "plan", "dynamodb:DeleteItem", lockTable, nil, false, nil},
		{"deploy cannot drop the lock table", "deploy", "dynamodb:DeleteTable", lockTable, nil, false, nil},
		{"deploy cannot change the lock table", "deploy", "dynamodb:UpdateTable", lockTable, nil, false, nil},
		{"deploy cannot scan the lock table", "deploy", "dynamodb:Scan", lockTable, nil, false, nil},
		{"deploy cannot write another lock table", "deploy", "dynamodb:PutItem", otherTable, nil, false, nil},
		{"deploy decrypts lock items through DynamoDB", "deploy", "kms:Decrypt", stateKey, viaDynamoDB, true, nil},
		{"plan decrypts lock items through DynamoDB", "plan", "kms:Decrypt", stateKey, viaDynamoDB, true, nil},
		{"deploy cannot decrypt with the state key directly", "deploy", "kms:Decrypt", stateKey, map[string]any{"kms:CallerAccount": e.AccountID}, false, nil},
		{"deploy writes the state object: GenerateDataKey through S3", "deploy", "kms:GenerateDataKey", stateKey, viaS3, true, nil},
		{"deploy reads the state object: Decrypt through S3", "deploy", "kms:Decrypt", stateKey, viaS3, true, nil},
		{"plan reads the state object: Decrypt through S3", "plan", "kms:Decrypt", stateKey, viaS3, true, nil},
		{"plan cannot write the state object: no GenerateDataKey", "plan", "kms:GenerateDataKey", stateKey, viaS3, false, nil},
		{"deploy reads its state object", "deploy", "s3:GetObject", stateObject, nil, true, nil},
		{"deploy writes its state object", "deploy", "s3:PutObject", stateObject, nil, true, nil},
		{"plan reads its state object", "plan", "s3:GetObject", stateObject, nil, true, nil},
		{"plan cannot write the state object", "plan", "s3:PutObject", stateObject, nil, false, nil},
		{"deploy cannot read production's state", "deploy", "s3:GetObject", "arn:aws:s3:::" + service.Names(e).StateBucket() + "/phase-mirror/production/terraform.tfstate", nil, false, nil},
	}
	// KMS needs the key policy to allow too: the state key's.
	keyPolicy := renderPolicy(t, boot, boot.All("aws_kms_key")[0].Body.Str("policy"))
	judge(t, env, e.AccountID, requests, func(r request) judged {
		j := judged{principal: "arn:aws:sts::" + e.AccountID + ":assumed-role/" + roles[r.role] + "/github-actions", identity: policies[r.role]}
		if strings.HasPrefix(r.action, "kms:") {
			j.resource = keyPolicy
		}
		return j
	})
}

// TestAdoptingAnUnknownAlarmIsRefused: a name in adopt.alarms that is not an
// alarm of the stack is refused with the field, the stack's alarm names as
// the fix, and nothing written.
func TestAdoptingAnUnknownAlarmIsRefused(t *testing.T) {
	if unknownAlarmErr == nil {
		t.Fatal("adopting an alarm the stack does not have was accepted")
	}
	msg := unknownAlarmErr.Error()
	for _, want := range []string{`field "adopt.alarms[0]": "phase-mirror-no-such-alarm-staging" is not an alarm of the staging stack`,
		"fix: list only alarms of the stack that already exist; its alarms: ", adoptedAlarm("staging")} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("message is not one line: %q", msg)
	}
	if _, err := os.Stat(unknownAlarmOutdir); !os.IsNotExist(err) {
		t.Errorf("%s was written", unknownAlarmOutdir)
	}
}

// TestBootstrapImportsTheLambdaRolesAndBoundaryWhenTold: with
// adopt.lambda_roles and adopt.lambda_boundary, the bootstrap (which owns
// them) imports the three Lambda roles by name and the boundary by ARN, and
// nothing else.
func TestBootstrapImportsTheLambdaRolesAndBoundaryWhenTold(t *testing.T) {
	env := "staging"
	e := envByName(t, env)
	s := remoteStacks[bootstrapOf(env)]
	got := []string{}
	for _, b := range s.Imports {
		typ, name, _ := strings.Cut(b.Str("to"), ".")
		if _, ok := s.Resources[typ][name]; !ok {
			t.Errorf("import into %s: no such resource in the stack", b.Str("to"))
		}
		got = append(got, typ+" "+b.Str("id"))
	}
	slices.Sort(got)
	want := []string{
		"aws_iam_policy arn:aws:iam::" + e.AccountID + ":policy/phase-mirror-lambda-boundary-" + env,
		"aws_iam_role phase-mirror-calibration-query-lambda-" + env,
		"aws_iam_role phase-mirror-fp-ingestion-lambda-" + env,
		"aws_iam_role phase-mirror-salt-rotator-lambda-" + env,
	}
	if !slices.Equal(got, want) {
		t.Errorf("the bootstrap imports %v, want %v", got, want)
	}
}

// TestTheRunbookGivesThePlanOfThePublishedHCLVersion: the runbook's adoption
// plan line is the stack's, with adopt.alarms and adopt.log_groups empty (the
// published HCL version made no log group and none of this project's alarm
// names): its imports are those of the stack less the listed log groups and
// alarms, every other resource is added.
func TestTheRunbookGivesThePlanOfThePublishedHCLVersion(t *testing.T) {
	s := remoteStacks["staging"]
	imports := 0
	for _, b := range s.Imports {
		if typ, _, _ := strings.Cut(b.Str("to"), "."); typ != "aws_cloudwatch_log_group" && typ != "aws_cloudwatch_metric_alarm" {
			imports++
		}
	}
	resources := 0
	for _, rs := range s.Resources {
		resources += len(rs)
	}
	want := fmt.Sprintf("`Plan: %d to import, %d to add, N to change, 0 to destroy.`", imports, resources-imports)
	if !strings.Contains(docText(t, "docs/operations.md"), want) {
		t.Errorf("docs/operations.md, Adopting the HCL deployment, does not give the plan %s", want)
	}
}
