package drill

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// hclDeployment is what the hand-written HCL version left running in an
// account: the resources its README and the facts file
// (../shared/spec/original-infra-facts.md) describe, with their names and
// shapes, and the data the service wrote.
type hclDeployment struct {
	Env         string
	Nonce       string // the operators' redaction nonce, set out of band
	JSONSalt    string // the salt value the HCL version generated (JSON: defect 3)
	Alarm       string // an alarm whose name this project's stack also has
	LegacyAlarm string // an alarm of the HCL version under a name this project does not use
	// LogGroups the Lambda runtime made when the application's functions ran
	// (the HCL version made none; the settings list them in adopt.log_groups).
	LogGroups []string
	Rows      map[string]item
}

// createHCLDeployment makes the fixture with the SDK (CloudWatch alarms and
// the dashboard with the aws CLI: the SDK's CloudWatch client speaks CBOR,
// which the emulator does not).
func createHCLDeployment(t *testing.T, sh *shell, env string) hclDeployment {
	t.Helper()
	ctx := context.Background()
	cfg := awsConfig(t)
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %s: %v", what, err)
		}
	}
	d := hclDeployment{Env: env, Nonce: uuid(t) + uuid(t), JSONSalt: fmt.Sprintf(`{"hmac_salt":"%s"}`, uuid(t)),
		Alarm: "phase-mirror-anonymization-errors-" + env, LegacyAlarm: "phase-mirror-dynamodb-throttling-" + env}

	// KMS: a customer-managed key with rotation and the facts' alias, and the
	// default key policy (defect 8). Terraform sends KeyUsage on create.
	k := kms.NewFromConfig(cfg)
	key, err := k.CreateKey(ctx, &kms.CreateKeyInput{KeyUsage: kmstypes.KeyUsageTypeEncryptDecrypt, Description: aws.String("phase-mirror secrets " + env)})
	must("CreateKey", err)
	_, err = k.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: key.KeyMetadata.KeyId})
	must("EnableKeyRotation", err)
	alias := "alias/phase-mirror-secrets-" + env
	_, err = k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: key.KeyMetadata.KeyId})
	must("CreateAlias", err)

	// The four tables: the facts' keys and indexes, on demand, PITR on all
	// but the block counter (defect 9), TTL attributes.
	db := dynamodb.NewFromConfig(cfg)
	attr := func(name string) ddbtypes.AttributeDefinition {
		return ddbtypes.AttributeDefinition{AttributeName: aws.String(name), AttributeType: ddbtypes.ScalarAttributeTypeS}
	}
	hash := func(name string) ddbtypes.KeySchemaElement {
		return ddbtypes.KeySchemaElement{AttributeName: aws.String(name), KeyType: ddbtypes.KeyTypeHash}
	}
	gsi := func(name, key string) ddbtypes.GlobalSecondaryIndex {
		return ddbtypes.GlobalSecondaryIndex{IndexName: aws.String(name), KeySchema: []ddbtypes.KeySchemaElement{hash(key)},
			Projection: &ddbtypes.Projection{ProjectionType: ddbtypes.ProjectionTypeAll}}
	}
	tables := []struct {
		name, ttl string
		pitr      bool
		attrs     []ddbtypes.AttributeDefinition
		keys      []ddbtypes.KeySchemaElement
		indexes   []ddbtypes.GlobalSecondaryIndex
		row       item
	}{
		{"phase-mirror-consent-store-" + env, "expiresAt", true, []ddbtypes.AttributeDefinition{attr("orgId")}, []ddbtypes.KeySchemaElement{hash("orgId")}, nil,
			item{"orgId": s("org-legacy"), "consented": &ddbtypes.AttributeValueMemberBOOL{Value: true}, "expiresAt": s("2027-06-01T00:00:00Z")}},
		{"phase-mirror-calibration-store-" + env, "", true, []ddbtypes.AttributeDefinition{attr("id"), attr("ruleId")}, []ddbtypes.KeySchemaElement{hash("id")},
			[]ddbtypes.GlobalSecondaryIndex{gsi("rule-index", "ruleId")}, item{"id": s("cal-legacy"), "ruleId": s("rule-7")}},
		{"phase-mirror-fp-events-" + env, "", true, []ddbtypes.AttributeDefinition{attr("id"), attr("findingId"), attr("ruleId")}, []ddbtypes.KeySchemaElement{hash("id")},
			[]ddbtypes.GlobalSecondaryIndex{gsi("finding-index", "findingId"), gsi("rule-index", "ruleId")}, item{"id": s("fp-legacy"), "findingId": s("f-1"), "ruleId": s("rule-7")}},
		{"mirror-dissonance-block-counter-" + env, "ttl", false, []ddbtypes.AttributeDefinition{attr("bucketKey"), attr("ruleId")},
			[]ddbtypes.KeySchemaElement{hash("bucketKey"), {AttributeName: aws.String("ruleId"), KeyType: ddbtypes.KeyTypeRange}}, nil,
			item{"bucketKey": s("bucket-legacy"), "ruleId": s("rule-7"), "ttl": n(1900000000)}},
	}
	// With the AWS-owned key, as the HCL version made them: the adoption
	// switches them to the environment's key.
	d.Rows = map[string]item{}
	for _, tb := range tables {
		_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(tb.name), BillingMode: ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: tb.attrs, KeySchema: tb.keys, GlobalSecondaryIndexes: tb.indexes})
		must("CreateTable "+tb.name, err)
		if tb.ttl != "" {
			_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(tb.name),
				TimeToLiveSpecification: &ddbtypes.TimeToLiveSpecification{AttributeName: aws.String(tb.ttl), Enabled: aws.Bool(true)}})
			must("UpdateTimeToLive "+tb.name, err)
		}
		if tb.pitr {
			_, err = db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(tb.name),
				PointInTimeRecoverySpecification: &ddbtypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
			must("UpdateContinuousBackups "+tb.name, err)
		}
		_, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tb.name), Item: tb.row})
		must("PutItem "+tb.name, err)
		d.Rows[tb.name] = tb.row
	}

	// The nonce (SecureString with the account's default SSM key, value set
	// out of band) and the salt secret, whose value is the JSON the HCL
	// version generated, encrypted with the key.
	_, err = ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/guardian/redaction_nonce-" + env),
		Type: ssmtypes.ParameterTypeSecureString, Value: aws.String(d.Nonce)})
	must("PutParameter", err)
	_, err = secretsmanager.NewFromConfig(cfg).CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("/phase-mirror/fp-calibration/hmac-salt-" + env),
		KmsKeyId: aws.String(alias), SecretString: aws.String(d.JSONSalt)})
	must("CreateSecret", err)

	// The three Lambda roles, with the HCL version's log permission on "*" (defect 10).
	im := iam.NewFromConfig(cfg)
	trust, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}})
	logsEverywhere, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Action": []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"}, "Resource": "*"}}})
	for _, role := range []string{"fp-ingestion", "calibration-query", "salt-rotator"} {
		name := "phase-mirror-" + role + "-lambda-" + env
		_, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(string(trust))})
		must("CreateRole "+name, err)
		_, err = im.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("hcl-logs"), PolicyDocument: aws.String(string(logsEverywhere))})
		must("PutRolePolicy "+name, err)
	}

	// SNS topics without encryption or subscriptions (defect 7).
	topics := sns.NewFromConfig(cfg)
	for _, sev := range []string{"critical", "warning"} {
		_, err := topics.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("phase-mirror-" + sev + "-alerts-" + env)})
		must("CreateTopic "+sev, err)
	}

	// The log groups the Lambda runtime created on the functions' first
	// invocations (no retention: defect 10), not encrypted: the adoption
	// associates the environment's key with them.
	lg := cloudwatchlogs.NewFromConfig(cfg)
	for _, fn := range []string{"fp-ingestion", "calibration-query"} {
		name := "/aws/lambda/phase-mirror-" + fn + "-" + env
		_, err := lg.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)})
		must("CreateLogGroup "+fn, err)
		d.LogGroups = append(d.LogGroups, name)
	}

	// Alarms and the dashboard (aws CLI). The HCL version's alarm names are
	// not recorded: one shares a name with an alarm of this project (the
	// settings list it in adopt.alarms), one does not (the runbook deletes it).
	for _, name := range []string{d.Alarm, d.LegacyAlarm} {
		sh.must("aws", "cloudwatch", "put-metric-alarm", "--alarm-name", name, "--namespace", "PhaseMirror/FPCalibration",
			"--metric-name", "AnonymizationErrors", "--statistic", "Sum", "--period", "300", "--evaluation-periods", "1",
			"--threshold", "5", "--comparison-operator", "GreaterThanThreshold")
	}
	body := `{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":2,"properties":{"markdown":"HCL"}}]}`
	sh.must("aws", "cloudwatch", "put-dashboard", "--dashboard-name", "PhaseMirror-FPCalibration-"+env, "--dashboard-body", body)
	return d
}

// keyOf is the primary key of the fixture's row in table.
func (d hclDeployment) keyOf(table string) item {
	key := item{}
	for _, k := range []string{"orgId", "id", "bucketKey"} {
		if v, ok := d.Rows[table][k]; ok {
			key[k] = v
		}
	}
	if table == "mirror-dissonance-block-counter-"+d.Env {
		key["ruleId"] = d.Rows[table]["ruleId"]
	}
	return key
}

// hasRow reports whether table holds the item with key (a consistent read).
func hasRow(t *testing.T, table string, key item) bool {
	t.Helper()
	got, err := dynamodb.NewFromConfig(awsConfig(t)).GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(table), Key: key, ConsistentRead: aws.Bool(true)})
	return err == nil && got.Item != nil
}

// rowsAreThere fails the test for every fixture row a table no longer holds.
func (d hclDeployment) rowsAreThere(t *testing.T) {
	t.Helper()
	for table := range d.Rows {
		if !hasRow(t, table, d.keyOf(table)) {
			t.Errorf("%s lost the row %v the HCL version's service wrote", table, d.keyOf(table))
		}
	}
}
