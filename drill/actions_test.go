package drill

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/iamsim"
)

func TestOperationsAreNamedFromTheRequest(t *testing.T) {
	json := httptest.NewRequest(http.MethodPost, "/", nil)
	json.Header.Set("X-Amz-Target", "DynamoDB_20120810.CreateTable")
	get := httptest.NewRequest(http.MethodGet, "/2015-03-31/functions/phase-mirror-salt-rotator-staging", nil)
	unknown := httptest.NewRequest(http.MethodPatch, "/2099-01-01/whatever", nil)
	none := func() string { return "" }
	cases := []struct {
		service string
		req     *http.Request
		form    func() string
		want    string
	}{
		{"dynamodb", json, none, "CreateTable"},
		{"iam", httptest.NewRequest(http.MethodPost, "/", nil), func() string { return "CreateRole" }, "CreateRole"},
		{"lambda", get, none, "GetFunction"},
		{"s3", httptest.NewRequest(http.MethodHead, "/bucket/phase-mirror/staging/terraform.tfstate", nil), none, "HeadObject"},
		{"lambda", unknown, none, "PATCH /2099-01-01/whatever"},
	}
	for _, c := range cases {
		if got := operationOf(c.service, c.req, c.form); got != c.want {
			t.Errorf("%s %s %s: %q, want %q", c.service, c.req.Method, c.req.URL.Path, got, c.want)
		}
	}
}

func TestCallsNeedTheirAuthorizations(t *testing.T) {
	at := Place{Region: "us-east-1", AccountID: "111111111111"}
	look := fakeLookup{}
	cases := []struct {
		call Call
		want []string // "action resource [context key=value]"
	}{
		{Call{Service: "dynamodb", Operation: "CreateTable", Params: `{"TableName":"t","SSESpecification":{"KMSMasterKeyId":"alias/k"}}`},
			[]string{"dynamodb:CreateTable arn:aws:dynamodb:us-east-1:111111111111:table/t", "kms:CreateGrant arn:aws:kms:us-east-1:111111111111:key/k kms:ViaService=dynamodb.us-east-1.amazonaws.com"}},
		{Call{Service: "lambda", Operation: "CreateFunction", Params: `{"FunctionName":"f","Role":"arn:aws:iam::111111111111:role/r"}`},
			[]string{"lambda:CreateFunction arn:aws:lambda:us-east-1:111111111111:function:f", "iam:PassRole arn:aws:iam::111111111111:role/r iam:PassedToService=lambda.amazonaws.com"}},
		{Call{Service: "ssm", Operation: "GetParameter", Params: `{"Name":"/p","WithDecryption":true}`},
			[]string{"ssm:GetParameter arn:aws:ssm:us-east-1:111111111111:parameter/p", "kms:Decrypt arn:aws:kms:us-east-1:111111111111:key/nonce kms:EncryptionContext:PARAMETER_ARN=arn:aws:ssm:us-east-1:111111111111:parameter/p"}},
		{Call{Service: "kms", Operation: "CreateKey", Params: `{"Tags":[{"TagKey":"Project","TagValue":"p"}]}`},
			[]string{"kms:CreateKey * aws:RequestTag/Project=p", "kms:TagResource * aws:RequestTag/Project=p"}},
		{Call{Service: "iam", Operation: "PutRolePolicy", Params: `{"RoleName":"r"}`},
			[]string{"iam:PutRolePolicy arn:aws:iam::111111111111:role/r iam:PermissionsBoundary=arn:aws:iam::111111111111:policy/b"}},
		{Call{Service: "dynamodb", Operation: "UpdateContributorInsights", Params: `{"TableName":"t","ContributorInsightsAction":"ENABLE"}`},
			[]string{"iam:CreateServiceLinkedRole arn:aws:iam::111111111111:role/aws-service-role/contributorinsights.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBCloudWatchContributorInsights iam:AWSServiceName=contributorinsights.dynamodb.amazonaws.com"}},
		{Call{Service: "monitoring", Operation: "DeleteAlarms", Params: `{"AlarmNames.member.1":"a"}`},
			[]string{"cloudwatch:DeleteAlarms arn:aws:cloudwatch:us-east-1:111111111111:alarm:a"}},
		{Call{Service: "s3", Operation: "PutObject", Path: "/bucket/env/terraform.tfstate"},
			[]string{"s3:PutObject arn:aws:s3:::bucket/env/terraform.tfstate", "kms:GenerateDataKey arn:aws:kms:us-east-1:111111111111:key/state kms:ViaService=s3.us-east-1.amazonaws.com"}},
	}
	for _, c := range cases {
		checks, err := c.call.Checks(at, look)
		if err != nil {
			t.Errorf("%s: %v", c.call, err)
			continue
		}
		for _, w := range c.want {
			if !slices.ContainsFunc(checks, func(ch Check) bool { return matches(ch, w) }) {
				t.Errorf("%s: checks %v, want one %q", c.call, checks, w)
			}
		}
	}
	for _, c := range []Call{{Service: "iam", Operation: "CreateAccessKey"}, {Service: "glue", Operation: "CreateDevEndpoint"}} {
		if _, err := c.Checks(at, look); err == nil {
			t.Errorf("%s: an operation the mapping does not know was accepted", c)
		}
	}
	if (Call{Service: "sts", Operation: "GetCallerIdentity"}).Mutating() || !(Call{Service: "kms", Operation: "PutKeyPolicy"}).Mutating() {
		t.Error("Mutating misjudges reads and writes")
	}
}

// matches: a check is "action resource" with, optionally, one context key=value.
func matches(ch Check, want string) bool {
	parts := strings.Fields(want)
	if ch.Action != parts[0] || ch.Resource != parts[1] {
		return false
	}
	if len(parts) < 3 {
		return true
	}
	k, v, _ := strings.Cut(parts[2], "=")
	return fmt.Sprint(ch.Context[k]) == v
}

type fakeLookup struct{}

func (fakeLookup) KeyARN(id string) string {
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return "arn:aws:kms:us-east-1:111111111111:key/" + strings.TrimPrefix(id, "alias/")
}
func (fakeLookup) RoleBoundary(string) string { return "arn:aws:iam::111111111111:policy/b" }
func (fakeLookup) StateKeyARN() string        { return "arn:aws:kms:us-east-1:111111111111:key/state" }
func (fakeLookup) NonceKey(string) string     { return "arn:aws:kms:us-east-1:111111111111:key/nonce" }

// TestTheRoleCheckCatchesADroppedPermission: what the drill's role step
// relies on to be able to fail. A policy that allows a call's every
// authorization passes it in the simulator; the same policy without one
// (the key use through DynamoDB) does not.
func TestTheRoleCheckCatchesADroppedPermission(t *testing.T) {
	at := Place{Region: "us-east-1", AccountID: "111111111111"}
	call := Call{Service: "dynamodb", Operation: "CreateTable", Params: `{"TableName":"t","SSESpecification":{"KMSMasterKeyId":"alias/k"}}`}
	checks, err := call.Checks(at, fakeLookup{})
	if err != nil {
		t.Fatal(err)
	}
	policy := func(actions ...string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}}}
	}
	full := policy("dynamodb:CreateTable", "kms:DescribeKey", "kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
	dropped := policy("dynamodb:CreateTable", "kms:DescribeKey", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")
	var sims []iamsim.Simulation
	for _, p := range []map[string]any{full, dropped} {
		for _, ch := range checks {
			// A key's policy always applies: here AWS's default, which defers to IAM.
			var keyPolicy map[string]any
			if strings.HasPrefix(ch.Action, "kms:") {
				keyPolicy = map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
					"Principal": map[string]any{"AWS": "arn:aws:iam::111111111111:root"}, "Action": "kms:*", "Resource": "*"}}}
			}
			sims = append(sims, iamsim.New("arn:aws:sts::111111111111:assumed-role/deploy/s", ch.Action, ch.Resource, at.AccountID, ch.Context, p, keyPolicy))
		}
	}
	results, err := iamsim.Run(sims)
	if err != nil {
		t.Fatal(err)
	}
	denied := []int{}
	for i, r := range results {
		if r.Result != "Allowed" {
			denied = append(denied, i)
		}
	}
	if len(denied) != 1 || sims[denied[0]].Request.Action != "kms:CreateGrant" || denied[0] < len(checks) {
		t.Errorf("denied %v, want only the dropped kms:CreateGrant of the second policy", denied)
	}
}
