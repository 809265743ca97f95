package drill

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator/rotator"
)

// awsConfig points the SDK at the emulator (AWS_ENDPOINT_URL, AWS_CA_BUNDLE
// and the drill's credentials, set by stagingEmulator).
func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type item = map[string]ddbtypes.AttributeValue

func s(v string) ddbtypes.AttributeValue { return &ddbtypes.AttributeValueMemberS{Value: v} }
func n(v int64) ddbtypes.AttributeValue {
	return &ddbtypes.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}

// applicationCalls makes the application's calls (the access patterns of the
// service's specification) against the deployed stack.
func applicationCalls(t *testing.T, out map[string]string, expectedAlarms int) {
	ctx := context.Background()
	cfg := awsConfig(t)
	db := dynamodb.NewFromConfig(cfg)
	put := func(table string, it item) {
		t.Helper()
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
			t.Fatalf("PutItem %s: %v", table, err)
		}
	}
	query := func(table, index, key, value string) int {
		t.Helper()
		res, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), IndexName: aws.String(index),
			KeyConditionExpression: aws.String("#k = :v"), ExpressionAttributeNames: map[string]string{"#k": key},
			ExpressionAttributeValues: item{":v": s(value)}})
		if err != nil {
			t.Fatalf("Query %s on %s: %v", table, index, err)
		}
		return len(res.Items)
	}
	consent, calibration, events, counter := out["consent_table_name"], out["calibration_table_name"], out["fp_events_table_name"], out["block_counter_table_name"]

	// Consent: GetItem by orgId.
	put(consent, item{"orgId": s("org-1"), "consented": &ddbtypes.AttributeValueMemberBOOL{Value: true}, "expiresAt": s("2027-12-01T00:00:00Z")})
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(consent), Key: item{"orgId": s("org-1")}})
	if err != nil || got.Item == nil {
		t.Errorf("consent GetItem by orgId: %v, item %v", err, got)
	}
	// Calibration: a write, a Query on rule-index and a Scan.
	put(calibration, item{"id": s("cal-1"), "ruleId": s("rule-42"), "falsePositive": &ddbtypes.AttributeValueMemberBOOL{Value: true}})
	if c := query(calibration, "rule-index", "ruleId", "rule-42"); c != 1 {
		t.Errorf("calibration Query on rule-index found %d items, want 1", c)
	}
	// The Scan finds the new item beside what the table held before (the
	// adopted rows).
	res, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(calibration)})
	scanned := false
	for _, it := range scanItems(res) {
		if v, ok := it["id"].(*ddbtypes.AttributeValueMemberS); ok && v.Value == "cal-1" {
			scanned = true
		}
	}
	if err != nil || !scanned {
		t.Errorf("calibration Scan did not return the new item: %v", err)
	}
	// FP events by finding-index (and rule-index).
	put(events, item{"id": s("evt-1"), "findingId": s("finding-7"), "ruleId": s("rule-42")})
	if c := query(events, "finding-index", "findingId", "finding-7"); c != 1 {
		t.Errorf("FP events Query on finding-index found %d items, want 1", c)
	}
	if c := query(events, "rule-index", "ruleId", "rule-42"); c != 1 {
		t.Errorf("FP events Query on rule-index found %d items, want 1", c)
	}
	// Block counter: the numeric ttl the application updates, and TTL on it.
	expires := time.Now().Add(time.Hour).Unix()
	put(counter, item{"bucketKey": s("bucket-1"), "ruleId": s("rule-42"), "count": n(1)})
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(counter),
		Key:              item{"bucketKey": s("bucket-1"), "ruleId": s("rule-42")},
		UpdateExpression: aws.String("SET #c = #c + :one, #ttl = :ttl"), ExpressionAttributeNames: map[string]string{"#c": "count", "#ttl": "ttl"},
		ExpressionAttributeValues: item{":one": n(1), ":ttl": n(expires)}}); err != nil {
		t.Errorf("block counter UpdateItem with a numeric ttl: %v", err)
	}
	for table, attr := range map[string]string{counter: "ttl", consent: "expiresAt"} {
		ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(table)})
		if err != nil || ttl.TimeToLiveDescription == nil || ttl.TimeToLiveDescription.TimeToLiveStatus != ddbtypes.TimeToLiveStatusEnabled ||
			aws.ToString(ttl.TimeToLiveDescription.AttributeName) != attr {
			t.Errorf("%s: TTL on %s not enabled: %v %s", table, attr, err, jsonOf(ttl))
		}
	}
	// Point-in-time recovery on every table.
	for _, table := range []string{consent, calibration, events, counter} {
		backups, err := db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(table)})
		if err != nil || backups.ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != ddbtypes.PointInTimeRecoveryStatusEnabled {
			t.Errorf("%s: point-in-time recovery not enabled: %v", table, err)
		}
	}
	// Both topics accept a publish.
	topics := sns.NewFromConfig(cfg)
	for _, key := range []string{"critical_alerts_topic_arn", "warning_alerts_topic_arn"} {
		res, err := topics.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(out[key]), Message: aws.String("deploy drill")})
		if err != nil || aws.ToString(res.MessageId) == "" {
			t.Errorf("publish to %s: %v", out[key], err)
		}
	}
	// Every alarm exists with its alarm and OK actions on one of the topics.
	// (The aws CLI: aws-sdk-go-v2's CloudWatch client speaks the RPC v2 CBOR
	// protocol, which the emulator does not serve.)
	raw, err := exec.Command("aws", "cloudwatch", "describe-alarms", "--alarm-name-prefix", "phase-mirror-", "--output", "json").CombinedOutput()
	if err != nil {
		t.Fatalf("describe-alarms: %v\n%s", err, raw)
	}
	var alarms struct {
		MetricAlarms []struct {
			AlarmName               string
			AlarmActions, OKActions []string
		}
	}
	if err := json.Unmarshal(raw, &alarms); err != nil {
		t.Fatal(err)
	}
	topicArns := map[string]bool{out["critical_alerts_topic_arn"]: true, out["warning_alerts_topic_arn"]: true}
	count := 0
	for _, a := range alarms.MetricAlarms {
		if !strings.HasSuffix(a.AlarmName, "-"+staging.Name) {
			continue
		}
		count++
		if len(a.AlarmActions) != 1 || !topicArns[a.AlarmActions[0]] || len(a.OKActions) != 1 || a.OKActions[0] != a.AlarmActions[0] {
			t.Errorf("alarm %s: actions %v, OK actions %v", a.AlarmName, a.AlarmActions, a.OKActions)
		}
	}
	if count != expectedAlarms {
		t.Errorf("%d alarms of %s on the emulator, want %d", count, staging.Name, expectedAlarms)
	}
}

// pendingMarker stands in for the bookkeeping Secrets Manager does when a
// rotation starts (RotateSecret stages AWSPENDING on the new version before it
// invokes the function), which the emulator cannot do without invoking the
// Lambda. Everything else goes to the emulator's Secrets Manager API as is.
type pendingMarker struct {
	rotator.SecretsManager
	token string
}

func (p pendingMarker) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	out, err := p.SecretsManager.DescribeSecret(ctx, in, opts...)
	if err == nil {
		if out.VersionIdsToStages == nil {
			out.VersionIdsToStages = map[string][]string{}
		}
		if _, ok := out.VersionIdsToStages[p.token]; !ok {
			out.VersionIdsToStages[p.token] = []string{rotator.StagePending}
		}
	}
	return out, err
}

// scanItems are the items of a Scan's output (none when the call failed).
func scanItems(res *dynamodb.ScanOutput) []item {
	if res == nil {
		return nil
	}
	return res.Items
}

func uuid(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return formatUUID(b)
}

// formatUUID writes 16 bytes the way UUIDs are written (8-4-4-4-12 hex).
func formatUUID(b []byte) string {
	h := hex.EncodeToString(b)
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}

// rotateByHand checks the rotation the adoption's apply made (the adopted
// JSON salt is AWSPREVIOUS, a bare 64-hex salt AWSCURRENT), then rotates as
// an operator would (aws secretsmanager rotate-secret: the proxy runs the
// rotator's steps, as Secrets Manager invokes the function), and reads the
// new salt the way the anonymizer does. It returns the new salt.
func rotateByHand(t *testing.T, sh *shell, out map[string]string, adopted string) string {
	ctx := context.Background()
	cfg := awsConfig(t)
	sm := secretsmanager.NewFromConfig(cfg)
	secret := out["salt_secret_arn"]
	current := func(stage string) (string, string) {
		t.Helper()
		v, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret), VersionStage: aws.String(stage)})
		if err != nil {
			t.Fatalf("GetSecretValue %s: %v", stage, err)
		}
		return aws.ToString(v.VersionId), aws.ToString(v.SecretString)
	}
	_, first := current(rotator.StageCurrent)
	if _, previous := current("AWSPREVIOUS"); !rotator.SaltPattern.MatchString(first) || previous != adopted {
		t.Fatalf("after the adoption's apply AWSCURRENT is a 64-hex salt: %v, AWSPREVIOUS the adopted JSON salt: %v", rotator.SaltPattern.MatchString(first), previous == adopted)
	}
	token := strings.TrimSpace(sh.must("aws", "secretsmanager", "rotate-secret", "--secret-id", secret, "--query", "VersionId", "--output", "text"))
	version, value := current(rotator.StageCurrent)
	if version != token || !rotator.SaltPattern.MatchString(value) || value == first {
		t.Fatalf("after rotate-secret AWSCURRENT is version %s (want %s), a bare 64-hex salt: %v, a new one: %v", version, token, rotator.SaltPattern.MatchString(value), value != first)
	}
	if _, previous := current("AWSPREVIOUS"); previous != first {
		t.Error("AWSPREVIOUS does not hold the salt before the rotation")
	}
	// The anonymizer's read: SSM GetParameter, with decryption, of the
	// anonymizer_salt_parameter_name output.
	p, err := ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(out["anonymizer_salt_parameter_name"]), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != value {
		t.Errorf("GetParameter %s: %v (value matches: %v)", out["anonymizer_salt_parameter_name"], err, err == nil && aws.ToString(p.Parameter.Value) == value)
	}
	return value
}
