package tests

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/mermaid"
)

// probe is one group of calls on a resource: the diagram draws the group
// when the simulator allows at least one of them.
type probe struct {
	group    string
	actions  []string
	context  map[string]any
	resource string // when set, the ARN the calls name instead of the target's
}

// target is a resource the access diagram asks about, with its probes.
type target struct {
	service, label, arn string
	probes              []probe
	keyPolicy           map[string]any // the resource policy, for keys
}

func p(group string, ctx map[string]any, actions ...string) probe {
	return probe{group, actions, ctx, ""}
}

// accessTargets are the resources of env the roles act on, each with the
// calls that stand for reading, writing, describing and managing it.
func accessTargets(t *testing.T, env string) []target {
	e := envByName(t, env)
	svc, boot := stacks[env], stacks[bootstrapOf(env)]
	arn := func(service, r string) string {
		return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.Region, e.AccountID, r)
	}
	iam := func(r string) string { return "arn:aws:iam::" + e.AccountID + ":" + r }
	via := func(service string, more map[string]any) map[string]any {
		ctx := map[string]any{"kms:CallerAccount": e.AccountID}
		if service != "" {
			ctx["kms:ViaService"] = service + "." + e.Region + ".amazonaws.com"
		}
		for k, v := range more {
			ctx[k] = v
		}
		return ctx
	}
	nonce := arn("ssm", "parameter"+svc.All("aws_ssm_parameter")[0].Body.Str("name"))
	keyUse := func(services ...string) []probe {
		out := []probe{}
		for _, s := range services {
			more := map[string]any{}
			if s == "ssm" {
				more["kms:EncryptionContext:PARAMETER_ARN"] = nonce
			}
			out = append(out, p("use via "+s, via(s, more), "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:CreateGrant"))
		}
		return append(out, p("use directly", via("", nil), "kms:Decrypt", "kms:Encrypt"),
			p("describe", via("", nil), "kms:DescribeKey", "kms:GetKeyPolicy"), p("manage", via("", nil), "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"))
	}
	var out []target
	for _, r := range svc.All("aws_dynamodb_table") {
		out = append(out, target{"DynamoDB", "table " + r.Body.Str("name"), arn("dynamodb", "table/"+r.Body.Str("name")), []probe{
			p("read", nil, "dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan"), p("write", nil, "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"),
			p("describe", nil, "dynamodb:DescribeTable"), p("manage", nil, "dynamodb:CreateTable", "dynamodb:UpdateTable", "dynamodb:DeleteTable")}, nil})
	}
	secret := svc.All("aws_secretsmanager_secret")[0].Body.Str("name")
	rotator := arn("lambda", "function:"+e.Functions.SaltRotator)
	out = append(out, target{"Secrets Manager", "secret " + secret, arn("secretsmanager", "secret:"+secret+secretSuffix), []probe{
		p("read", nil, "secretsmanager:GetSecretValue"), p("write", nil, "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"),
		p("describe", nil, "secretsmanager:DescribeSecret"),
		p("manage", map[string]any{"secretsmanager:RotationLambdaARN": rotator}, "secretsmanager:UpdateSecret", "secretsmanager:RotateSecret", "secretsmanager:DeleteSecret")}, nil},
		target{"SSM", "parameter " + strings.TrimPrefix(nonce, arn("ssm", "parameter")), nonce, []probe{
			p("read", nil, "ssm:GetParameter"), p("write", nil, "ssm:PutParameter"), p("manage", nil, "ssm:DeleteParameter", "ssm:AddTagsToResource")}, nil},
		target{"SSM", "salt reference /aws/reference/secretsmanager/" + secret, arn("ssm", "parameter/aws/reference/secretsmanager/"+secret), []probe{
			p("read", nil, "ssm:GetParameter")}, nil},
		target{"KMS", "environment key", arn("kms", "key/"+fakeKeyID), keyUse("dynamodb", "secretsmanager", "ssm"),
			renderPolicy(t, svc, svc.All("aws_kms_key")[0].Body.Str("policy"))},
		target{"CloudWatch", "custom metrics PhaseMirror/FPCalibration", "*", []probe{
			p("publish", map[string]any{"cloudwatch:namespace": "PhaseMirror/FPCalibration"}, "cloudwatch:PutMetricData")}, nil},
		target{"CloudWatch", "alarms phase-mirror-*-" + env, arn("cloudwatch", "alarm:phase-mirror-anonymization-errors-"+env), []probe{
			p("describe", nil, "cloudwatch:DescribeAlarms"), p("manage", nil, "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms")}, nil},
		target{"CloudWatch", "dashboard", "arn:aws:cloudwatch::" + e.AccountID + ":dashboard/" + svc.All("aws_cloudwatch_dashboard")[0].Body.Str("dashboard_name"), []probe{
			p("describe", nil, "cloudwatch:GetDashboard"), p("manage", nil, "cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards")}, nil},
		target{"Lambda", "function " + e.Functions.SaltRotator, rotator, []probe{
			p("invoke", nil, "lambda:InvokeFunction"), p("describe", nil, "lambda:GetFunction"),
			p("manage", nil, "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:DeleteFunction")}, nil})
	for _, r := range svc.All("aws_sns_topic") {
		out = append(out, target{"SNS", "topic " + r.Body.Str("name"), arn("sns", r.Body.Str("name")), []probe{
			p("publish", nil, "sns:Publish"), p("describe", nil, "sns:GetTopicAttributes"), p("manage", nil, "sns:SetTopicAttributes", "sns:DeleteTopic")}, nil})
	}
	for _, r := range svc.All("aws_cloudwatch_log_group") {
		group := arn("logs", "log-group:"+r.Body.Str("name"))
		out = append(out, target{"CloudWatch Logs", "log group " + r.Body.Str("name"), group, []probe{
			{"write", []string{"logs:CreateLogStream", "logs:PutLogEvents"}, nil, group + ":log-stream:2026/01/01/[$LATEST]abc"},
			p("manage", nil, "logs:DeleteLogGroup", "logs:PutRetentionPolicy")}, nil})
	}
	boundary := iam("policy/" + boot.All("aws_iam_policy")[0].Body.Str("name"))
	for _, r := range boot.All("aws_iam_role") {
		if name := r.Body.Str("name"); strings.Contains(name, "-lambda-") {
			out = append(out, target{"IAM", "role " + name, iam("role/" + name), []probe{
				p("describe", nil, "iam:GetRole", "iam:GetRolePolicy"),
				p("write its policy", map[string]any{"iam:PermissionsBoundary": boundary}, "iam:PutRolePolicy", "iam:DeleteRolePolicy"),
				p("pass to Lambda", map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}, "iam:PassRole"),
				p("manage", nil, "iam:UpdateAssumeRolePolicy", "iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePermissionsBoundary")}, nil})
		}
	}
	out = append(out, target{"IAM", "boundary policy", boundary, []probe{
		p("describe", nil, "iam:GetPolicy", "iam:GetPolicyVersion"), p("manage", nil, "iam:CreatePolicyVersion", "iam:DeletePolicy")}, nil})
	bucket, stateKey := boot.Outputs["state_bucket_name"].Str("value"), boot.Outputs["state_key"].Str("value")
	stateKeyRes := boot.ByRef(t, boot.Outputs["state_kms_key_arn"].Str("value"))
	return append(out, target{"S3 state", "state object " + stateKey, "arn:aws:s3:::" + bucket + "/" + stateKey, []probe{
		p("read", nil, "s3:GetObject"), p("write", nil, "s3:PutObject", "s3:DeleteObject")}, nil},
		target{"S3 state", "state key", arn("kms", "key/00000000-1111-2222-3333-444444444444"), []probe{
			p("use via s3", via("s3", nil), "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"), p("use directly", via("", nil), "kms:Decrypt")},
			renderPolicy(t, boot, stateKeyRes.Body.Str("policy"))})
}

// TestDiagramAccess draws, for each role of production, the resources it
// may act on and how, from the IAM simulator's verdicts on the probes of
// accessTargets: docs/security.md shows it.
func TestDiagramAccess(t *testing.T) {
	light(t)
	env := "production"
	allowed := accessVerdicts(t, env)
	want := map[string]string{ // a few verdicts the other tests prove too
		"ingestion|table phase-mirror-consent-store-" + env: "read",
		"query|table phase-mirror-calibration-store-" + env: "read",
		"deploy|table phase-mirror-consent-store-" + env:    "describe, manage",
		"plan|table phase-mirror-consent-store-" + env:      "describe",
	}
	for k, v := range want {
		if got := strings.Join(allowed[k], ", "); got != v {
			t.Errorf("access %s: %q, want %q", k, got, v)
		}
	}
	for _, role := range []string{"query", "deploy", "plan"} {
		if slices.Contains(allowed[role+"|secret /phase-mirror/fp-calibration/hmac-salt-"+env], "read") {
			t.Errorf("the diagram says the %s role may read the salt", role)
		}
	}
	chart := accessChart(t, env, allowed, []string{"ingestion", "query", "rotator"}) + "\n" + accessChart(t, env, allowed, []string{"deploy", "plan"})
	diagramSection(t, "access", chart)
}

// accessRoles are the roles of env by short name: principal and policies.
func accessRoles(t *testing.T, env string) map[string]judged {
	e := envByName(t, env)
	boot := stacks[bootstrapOf(env)]
	roles := map[string]judged{}
	ingestion, query, rotator := roleNames(env)
	for short, name := range map[string]string{"ingestion": ingestion, "query": query, "rotator": rotator} {
		identity, boundary := rolePolicies(t, env, name)
		roles[short] = judged{principal: "arn:aws:sts::" + e.AccountID + ":assumed-role/" + name + "/lambda-session", identity: identity, boundary: boundary}
	}
	for _, short := range []string{"deploy", "plan"} {
		name := "phase-mirror-" + short + "-" + env
		role := boot.One(t, "aws_iam_role", "name", name)
		rp := boot.One(t, "aws_iam_role_policy", "role", role.Ref("name"))
		roles[short] = judged{principal: "arn:aws:sts::" + e.AccountID + ":assumed-role/" + name + "/github-actions", identity: renderPolicy(t, boot, rp.Body.Str("policy"))}
	}
	return roles
}

// accessVerdicts simulates every probe for every role: "role|target label"
// -> the groups with at least one allowed call, in probe order.
func accessVerdicts(t *testing.T, env string) map[string][]string {
	e := envByName(t, env)
	roles := accessRoles(t, env)
	var sims []simulation
	var keys, groups []string
	for _, short := range sortedKeys(roles) {
		for _, tg := range accessTargets(t, env) {
			j := roles[short]
			j.resource = tg.keyPolicy
			for _, pr := range tg.probes {
				resource := tg.arn
				if pr.resource != "" {
					resource = pr.resource
				}
				for _, action := range pr.actions {
					sims = append(sims, newSimulation(e.AccountID, request{action: action, resource: resource, context: pr.context}, j))
					keys, groups = append(keys, short+"|"+tg.label), append(groups, pr.group)
				}
			}
		}
	}
	allowed := map[string][]string{}
	for i, r := range simulate(t, sims) {
		if r.Result == "Error" {
			t.Fatalf("%s %s: simulator error %v", keys[i], groups[i], r.Errors)
		}
		if r.Result == "Allowed" {
			allowed[keys[i]] = appendNew(allowed[keys[i]], groups[i])
		}
	}
	return allowed
}

// accessChart draws roles on the left, the resources they may act on
// grouped by service on the right, one edge per role and resource.
func accessChart(t *testing.T, env string, allowed map[string][]string, roles []string) string {
	c := mermaid.New("LR")
	c.Group("roles", "roles of "+env)
	for _, short := range roles {
		c.Node("roles", mermaid.ID(short), short+" role", mermaid.Box)
		for _, tg := range accessTargets(t, env) {
			if groups := allowed[short+"|"+tg.label]; len(groups) > 0 {
				c.Group(mermaid.ID(tg.service), tg.service)
				c.Node(mermaid.ID(tg.service), mermaid.ID(tg.label), tg.label, mermaid.Box)
				c.Edge(mermaid.ID(short), mermaid.ID(tg.label), strings.Join(groups, ", "), false)
			}
		}
	}
	return c.String()
}
