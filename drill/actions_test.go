package drill

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
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

func TestCallsNeedTheirDependentActions(t *testing.T) {
	cases := map[Call][]string{
		{"dynamodb", "CreateTable"}:        {"dynamodb:CreateTable", "kms:DescribeKey", "kms:CreateGrant"},
		{"monitoring", "PutMetricAlarm"}:   {"cloudwatch:PutMetricAlarm"},
		{"s3", "HeadObject"}:               {"s3:GetObject"},
		{"secretsmanager", "RotateSecret"}: {"secretsmanager:RotateSecret", "lambda:InvokeFunction"},
	}
	for call, want := range cases {
		got := call.Actions()
		for _, a := range want {
			if !slices.Contains(got, a) {
				t.Errorf("%s needs %v, want %s among them", call, got, a)
			}
		}
	}
	if (Call{"sts", "GetCallerIdentity"}).Mutating() || !(Call{"kms", "PutKeyPolicy"}).Mutating() {
		t.Error("Mutating misjudges reads and writes")
	}
}

// TestTheRoleCheckCatchesADroppedPermission: a deploy role without a
// permission the deploy needs fails the check (what the drill's role step
// relies on to be able to fail).
func TestTheRoleCheckCatchesADroppedPermission(t *testing.T) {
	policy := []statement{
		{Effect: "Allow", Action: stringList{"dynamodb:Describe*", "dynamodb:CreateTable"}},
		{Effect: "Deny", Action: stringList{"dynamodb:DeleteTable"}},
	}
	if !allows(policy, "dynamodb:DescribeTable") || !allows(policy, "DynamoDB:CreateTable") {
		t.Error("allowed actions were not found")
	}
	dropped := policy[:0:0]
	dropped = append(dropped, statement{Effect: "Allow", Action: stringList{"dynamodb:Describe*"}})
	if allows(dropped, "dynamodb:CreateTable") {
		t.Error("a dropped permission still counts as allowed")
	}
	if allows(policy, "dynamodb:DeleteTable") {
		t.Error("a Deny statement counts as allowing")
	}
}
