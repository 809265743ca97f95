package tests

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
)

// primitive is one entry of the escalation catalog: an IAM call a known
// privilege-escalation path is made of, the kinds of resource it acts on, and
// request contexts to try it with (nil: none).
type primitive struct {
	path     string // the path it belongs to, as the catalogs name it
	action   string
	kinds    []string // resource kinds of reach (see reach)
	contexts []map[string]any
}

// escalationCatalog: the primitives of the public catalogs of IAM privilege
// escalation (Rhino Security Labs, "AWS IAM Privilege Escalation – Methods and
// Mitigation", 21 methods; Bishop Fox iam-vulnerable, 31 paths; Datadog
// pathfinding.cloud, iam-/lambda-/sts- paths), plus the resource-policy and
// key-policy paths of this project's own review.
func escalationCatalog(t *testing.T, env string) []primitive {
	e := envByName(t, env)
	account := e.AccountID
	via := func(service string) map[string]any {
		return map[string]any{"kms:ViaService": service + "." + e.Region + ".amazonaws.com", "kms:CallerAccount": account}
	}
	direct := map[string]any{"kms:CallerAccount": account}
	passed := func(service string) map[string]any {
		return map[string]any{"iam:PassedToService": service + ".amazonaws.com"}
	}
	boundary := map[string]any{"iam:PermissionsBoundary": "arn:aws:iam::" + account + ":policy/phase-mirror-lambda-boundary-" + env}
	anyPrincipal := map[string]any{"lambda:Principal": "*"}
	nonce := via("ssm")
	nonce["kms:EncryptionContext:PARAMETER_ARN"] = fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/guardian/redaction_nonce-%s", e.Region, account, env)
	tagged := map[string]any{"aws:ResourceTag/Project": "phase-mirror", "aws:ResourceTag/Environment": env, "kms:CallerAccount": account}
	taggedVia := func(service string) map[string]any {
		ctx := via(service)
		ctx["aws:ResourceTag/Project"], ctx["aws:ResourceTag/Environment"] = "phase-mirror", env
		return ctx
	}
	otherTagKeys := map[string]any{"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env, "aws:RequestTag/Owner": "x",
		"aws:TagKeys": []any{"Project", "Environment", "Owner"}}
	foreignTags := map[string]any{"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env, "aws:TagKeys": []any{"Project", "Environment"}}
	return []primitive{
		{"new default policy version (Rhino 1)", "iam:CreatePolicyVersion", []string{"policy"}, nil},
		{"set an old policy version as default (Rhino 2)", "iam:SetDefaultPolicyVersion", []string{"policy"}, nil},
		{"delete a policy version or the policy", "iam:DeletePolicyVersion", []string{"policy"}, nil},
		{"delete a policy version or the policy", "iam:DeletePolicy", []string{"policy"}, nil},
		{"attach a managed policy to a role (Rhino 9)", "iam:AttachRolePolicy", []string{"role"}, []map[string]any{nil, boundary}},
		{"inline policy on a role (Rhino 12)", "iam:PutRolePolicy", []string{"role"}, []map[string]any{nil, boundary}},
		{"attach a managed policy to a user (Rhino 7)", "iam:AttachUserPolicy", []string{"user"}, nil},
		{"inline policy on a user (Rhino 10)", "iam:PutUserPolicy", []string{"user"}, nil},
		{"attach a managed policy to a group (Rhino 8)", "iam:AttachGroupPolicy", []string{"group"}, nil},
		{"inline policy on a group (Rhino 11)", "iam:PutGroupPolicy", []string{"group"}, nil},
		{"add a user to a group (Rhino 13)", "iam:AddUserToGroup", []string{"group"}, nil},
		{"access keys for a user (Rhino 4)", "iam:CreateAccessKey", []string{"user"}, nil},
		{"console login for a user (Rhino 5, 6)", "iam:CreateLoginProfile", []string{"user"}, nil},
		{"console login for a user (Rhino 5, 6)", "iam:UpdateLoginProfile", []string{"user"}, nil},
		{"remove a role's boundary", "iam:DeleteRolePermissionsBoundary", []string{"role"}, nil},
		{"change a role's boundary", "iam:PutRolePermissionsBoundary", []string{"role"}, []map[string]any{nil, boundary}},
		{"rewrite a role's trust (Rhino 14)", "iam:UpdateAssumeRolePolicy", []string{"role"}, nil},
		{"create a role with any trust", "iam:CreateRole", []string{"role"}, []map[string]any{nil, boundary}},
		{"assume a role (iam-vulnerable sts-assumerole)", "sts:AssumeRole", []string{"role"}, nil},
		{"pass a role to a service (Rhino 3, 15-20)", "iam:PassRole", []string{"role"},
			[]map[string]any{passed("lambda"), passed("ec2"), passed("glue"), passed("cloudformation"), passed("datapipeline"), passed("codebuild")}},
		{"run code as a role: new function (Rhino 15, 16)", "lambda:CreateFunction", []string{"function"}, nil},
		{"run code as a role: replace code (Rhino 21)", "lambda:UpdateFunctionCode", []string{"function"}, nil},
		{"run code as a role: layers, role (pathfinding lambda)", "lambda:UpdateFunctionConfiguration", []string{"function"}, nil},
		{"invoke a function", "lambda:InvokeFunction", []string{"function"}, nil},
		{"let anyone invoke a function (pathfinding lambda-004)", "lambda:AddPermission", []string{"function"}, []map[string]any{anyPrincipal}},
		{"event source to a function (Rhino 16)", "lambda:CreateEventSourceMapping", []string{"any"}, nil},
		{"compute with a passed role (Rhino 3, 17, 19, 20)", "ec2:RunInstances", []string{"any"}, nil},
		{"compute with a passed role (Rhino 3, 17, 19, 20)", "glue:CreateDevEndpoint", []string{"any"}, nil},
		{"compute with a passed role (Rhino 3, 17, 19, 20)", "cloudformation:CreateStack", []string{"any"}, nil},
		{"compute with a passed role (Rhino 3, 17, 19, 20)", "datapipeline:CreatePipeline", []string{"any"}, nil},
		{"commands on an instance (iam-vulnerable ssm)", "ssm:SendCommand", []string{"any"}, nil},
		{"rewrite a key policy", "kms:PutKeyPolicy", []string{"key"}, []map[string]any{direct}},
		{"grant a key's use", "kms:CreateGrant", []string{"key"}, []map[string]any{direct}},
		{"use a key directly", "kms:Decrypt", []string{"key"}, []map[string]any{direct}},
		{"decrypt a parameter through SSM", "kms:Decrypt", []string{"key"}, []map[string]any{via("ssm"), nonce}},
		{"decrypt through Secrets Manager", "kms:Decrypt", []string{"key"}, []map[string]any{via("secretsmanager")}},
		{"tag a key (tag-based permissions)", "kms:TagResource", []string{"key"}, []map[string]any{foreignTags, otherTagKeys}},
		// A key someone else made that carries this environment's tags (which
		// the deploy role may set on any key): no permission may follow.
		{"use a key by its tags", "kms:Decrypt", []string{"foreign key"}, []map[string]any{taggedVia("dynamodb"), taggedVia("ssm"), taggedVia("secretsmanager")}},
		{"alias or manage a key by its tags", "kms:CreateAlias", []string{"foreign key"}, []map[string]any{tagged}},
		{"alias or manage a key by its tags", "kms:EnableKeyRotation", []string{"foreign key"}, []map[string]any{tagged}},
		{"rewrite a bucket policy", "s3:PutBucketPolicy", []string{"bucket"}, nil},
		{"rewrite a secret's resource policy", "secretsmanager:PutResourcePolicy", []string{"secret"}, nil},
		{"read a secret", "secretsmanager:GetSecretValue", []string{"secret"}, nil},
		{"read the service's data", "dynamodb:Scan", []string{"table"}, nil},
		{"read the service's data", "dynamodb:UpdateItem", []string{"table"}, nil},
		{"create a service-linked role", "iam:CreateServiceLinkedRole", []string{"service-linked role"},
			[]map[string]any{{"iam:AWSServiceName": "contributorinsights.dynamodb.amazonaws.com"}, {"iam:AWSServiceName": "autoscaling.amazonaws.com"}}},
		{"tag or change a role", "iam:TagRole", []string{"role"}, nil},
		{"tag or change a role", "iam:UpdateRole", []string{"role"}, nil},
		{"session tags", "sts:TagSession", []string{"role"}, nil},
		{"replicate the salt to another region", "secretsmanager:ReplicateSecretToRegions", []string{"secret"}, nil},
		{"write the salt", "secretsmanager:PutSecretValue", []string{"secret"}, nil},
		{"rotate the salt with another function", "secretsmanager:RotateSecret", []string{"secret"},
			[]map[string]any{{"secretsmanager:RotationLambdaARN": fmt.Sprintf("arn:aws:lambda:%s:%s:function:attacker", e.Region, account)}}},
		{"delete the salt without recovery", "secretsmanager:DeleteSecret", []string{"secret"}, []map[string]any{{"secretsmanager:ForceDeleteWithoutRecovery": true}}},
		{"read the data through a stream", "dynamodb:GetRecords", []string{"stream"}, nil},
		{"copy the data out", "dynamodb:CreateBackup", []string{"table"}, nil},
		{"copy the data out", "dynamodb:RestoreTableToPointInTime", []string{"table"}, nil},
		{"copy the data out", "dynamodb:ExportTableToPointInTime", []string{"table"}, nil},
		{"a table resource policy", "dynamodb:PutResourcePolicy", []string{"table"}, nil},
		{"a function URL", "lambda:CreateFunctionUrlConfig", []string{"function"}, nil},
		{"logs out", "logs:PutSubscriptionFilter", []string{"log group"}, nil},
		{"logs out", "logs:CreateExportTask", []string{"log group"}, nil},
		{"read logs", "logs:StartQuery", []string{"log group"}, nil},
		{"a topic's permissions", "sns:AddPermission", []string{"topic"}, nil},
		{"subscribe an outside endpoint", "sns:Subscribe", []string{"topic"}, []map[string]any{{"sns:Protocol": "https", "sns:Endpoint": "https://attacker.example"}}},
		{"an alarm that acts on the account", "cloudwatch:PutMetricAlarm", []string{"alarm"},
			[]map[string]any{{"cloudwatch:AlarmActions": []any{"arn:aws:automate:" + e.Region + ":ec2:terminate"}}}},
		{"a metric stream", "cloudwatch:PutMetricStream", []string{"any"}, nil},
		{"a rule that targets another function", "events:PutTargets", []string{"rule"},
			[]map[string]any{{"events:TargetArn": []any{fmt.Sprintf("arn:aws:lambda:%s:%s:function:attacker", e.Region, account)}}}},
		{"the event bus's permissions", "events:PutPermission", []string{"any"}, nil},
		{"the nonce's history", "ssm:GetParameterHistory", []string{"parameter"}, nil},
		{"a key with the lockout check off", "kms:CreateKey", []string{"any"}, []map[string]any{{"kms:BypassPolicyLockoutSafetyCheck": true,
			"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env, "aws:TagKeys": []any{"Project", "Environment"}}}},
		{"a multi-Region key", "kms:CreateKey", []string{"any"}, []map[string]any{{"kms:MultiRegion": true,
			"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env, "aws:TagKeys": []any{"Project", "Environment"}}}},
	}
}

// reach lists, by kind, every resource the CI roles could aim at: their own
// environment's, the CI roles themselves, and an administrator's.
func reach(t *testing.T, env string) map[string][]string {
	e := envByName(t, env)
	iam := func(r string) string { return "arn:aws:iam::" + e.AccountID + ":" + r }
	arn := func(svc, r string) string { return fmt.Sprintf("arn:aws:%s:%s:%s:%s", svc, e.Region, e.AccountID, r) }
	return map[string][]string{
		"policy": {iam("policy/phase-mirror-lambda-boundary-" + env), iam("policy/AdministratorAccess-custom")},
		"role": {iam("role/phase-mirror-fp-ingestion-lambda-" + env), iam("role/phase-mirror-calibration-query-lambda-" + env),
			iam("role/phase-mirror-salt-rotator-lambda-" + env), iam("role/phase-mirror-deploy-" + env), iam("role/phase-mirror-plan-" + env),
			iam("role/OrganizationAccountAccessRole")},
		"user":     {iam("user/admin")},
		"group":    {iam("group/admins")},
		"function": {arn("lambda", "function:"+e.Functions.SaltRotator), arn("lambda", "function:"+e.Functions.FPIngestion), arn("lambda", "function:"+e.Functions.CalibrationQuery)},
		"key":      {arn("kms", "key/"+fakeKeyID), arn("kms", "key/11111111-2222-3333-4444-555555555555")},
		// Someone else's key that carries this environment's tags.
		"foreign key": {arn("kms", "key/11111111-2222-3333-4444-555555555555")},
		"bucket":      {"arn:aws:s3:::" + service.Names(e).StateBucket()},
		"service-linked role": {iam("role/aws-service-role/contributorinsights.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBCloudWatchContributorInsights"),
			iam("role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling")},
		"stream":    {arn("dynamodb", "table/phase-mirror-consent-store-"+env+"/stream/2026-01-01T00:00:00.000")},
		"topic":     {arn("sns", "phase-mirror-critical-alerts-"+env)},
		"alarm":     {arn("cloudwatch", "alarm:phase-mirror-anonymization-errors-"+env)},
		"rule":      {arn("events", "rule/phase-mirror-salt-rotation-age-check-"+env)},
		"log group": {arn("logs", "log-group:/aws/lambda/"+e.Functions.SaltRotator)},
		"parameter": {arn("ssm", "parameter/guardian/redaction_nonce-"+env)},
		"secret":    {arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+env+secretSuffix)},
		"table":     {arn("dynamodb", "table/phase-mirror-consent-store-"+env)},
		"any":       {"*"},
	}
}

// escalationAllowed is every catalog entry the simulator allows, with why its
// result stays inside the bound (the escalation table of docs/security.md says the same).
var escalationAllowed = map[string]string{
	"deploy iam:PutRolePolicy role/phase-mirror-fp-ingestion-lambda-<env> [iam:PermissionsBoundary]":                                                                                  "the role is capped by the boundary the bootstrap owns; the deploy role runs no code as it",
	"deploy iam:PutRolePolicy role/phase-mirror-calibration-query-lambda-<env> [iam:PermissionsBoundary]":                                                                             "the role is capped by the boundary the bootstrap owns; the deploy role runs no code as it",
	"deploy iam:PutRolePolicy role/phase-mirror-salt-rotator-lambda-<env> [iam:PermissionsBoundary]":                                                                                  "capped by the boundary; with the rotator's code (below) the deploy role can act as this role: at most the boundary",
	"deploy iam:PassRole role/phase-mirror-salt-rotator-lambda-<env> [iam:PassedToService=lambda]":                                                                                    "only to Lambda, only for the rotator function (the one function the stacks create)",
	"deploy lambda:CreateFunction function:phase-mirror-salt-rotator-<env>":                                                                                                           "deploying the rotator is acting as the rotator role: at most the boundary",
	"deploy lambda:UpdateFunctionCode function:phase-mirror-salt-rotator-<env>":                                                                                                       "deploying the rotator is acting as the rotator role: at most the boundary",
	"deploy lambda:UpdateFunctionConfiguration function:phase-mirror-salt-rotator-<env>":                                                                                              "its role can only be the rotator role (PassRole); layers run as the rotator: at most the boundary",
	"deploy lambda:InvokeFunction function:phase-mirror-salt-rotator-<env>":                                                                                                           "RotateSecret needs it; runs the rotator as deployed",
	"deploy kms:PutKeyPolicy key/<env key>":                                                                                                                                           "the key policy grows with the grants, so the deploy role administers the environment key; its own policy denies it direct key use, data-plane calls and GetSecretValue",
	"deploy kms:Decrypt key/<env key> [kms:EncryptionContext:PARAMETER_ARN, via ssm]":                                                                                                 "the provider refreshes the nonce with decryption; only the nonce (encryption context)",
	"plan kms:Decrypt key/<env key> [kms:EncryptionContext:PARAMETER_ARN, via ssm]":                                                                                                   "the provider refreshes the nonce with decryption; only the nonce (encryption context); only jobs on main assume the plan role",
	"deploy iam:CreateServiceLinkedRole role/aws-service-role/contributorinsights.dynamodb.amazonaws.com/AWSServiceRoleForDynamoDBCloudWatchContributorInsights [iam:AWSServiceName]": "DynamoDB's own role for Contributor Insights, created at the account's first enabling: that role only",
	"deploy kms:TagResource key/<env key> [project tags]":                                                                                                                             "its own key (key policy); no permission depends on a key's tags",
	"deploy kms:TagResource key/<env key> [another tag key, project tags]":                                                                                                            "its own key (key policy); no permission depends on a key's tags",
	"deploy kms:Decrypt key/<env key> [via secretsmanager]":                                                                                                                           "CreateSecret needs it; GetSecretValue is denied to the role",
	"deploy kms:TagResource key/<any key> [project tags]":                                                                                                                             "tagging at creation needs it on any key; no permission depends on a key's tags",
}

// TestEscalationCatalogStaysInsideTheBound simulates every catalog primitive
// for the deploy and the plan role on every resource of their reach, with the
// key policy that applies, and fails on any allowed entry not in
// escalationAllowed (and on any listed entry the policies no longer allow).
func TestEscalationCatalogStaysInsideTheBound(t *testing.T) {
	light(t)
	for _, env := range StackNames() {
		e := envByName(t, env)
		boot := stacks[bootstrapOf(env)]
		svc := stacks[env]
		keyPolicy := renderPolicy(t, svc, svc.All("aws_kms_key")[0].Body.Str("policy"))
		policies := map[string]map[string]any{}
		for _, role := range []string{"deploy", "plan"} {
			r := boot.One(t, "aws_iam_role", "name", "phase-mirror-"+role+"-"+env)
			for _, rp := range boot.All("aws_iam_role_policy") {
				if rp.Body.Str("role") == r.Ref("name") {
					policies[role] = renderPolicy(t, boot, rp.Body.Str("policy"))
				}
			}
		}
		var requests []request
		var labels []string
		for _, p := range escalationCatalog(t, env) {
			contexts := p.contexts
			if contexts == nil {
				contexts = []map[string]any{nil}
			}
			for _, kind := range p.kinds {
				for _, res := range reach(t, env)[kind] {
					for _, ctx := range contexts {
						for _, role := range []string{"deploy", "plan"} {
							requests = append(requests, request{name: p.path, role: role, action: p.action, resource: res, context: ctx})
							labels = append(labels, label(env, e.AccountID, role, p.action, res, ctx))
						}
					}
				}
			}
		}
		sims := make([]simulation, 0, len(requests))
		for _, r := range requests {
			var sim simulation
			sim.Request.Principal = "arn:aws:sts::" + e.AccountID + ":assumed-role/phase-mirror-" + r.role + "-" + env + "/github-actions"
			sim.Request.Action, sim.Request.Resource.Resource, sim.Request.Resource.AccountID = r.action, r.resource, e.AccountID
			sim.Request.ContextVariables = map[string]any{}
			for k, v := range r.context {
				sim.Request.ContextVariables[k] = v
			}
			sim.IdentityPolicies = []map[string]any{{"name": "inline", "policy": policies[r.role]}}
			sim.ServiceControlPolicies, sim.ResourceControlPolicies = []any{}, []any{}
			switch {
			case strings.HasSuffix(r.resource, fakeKeyID):
				sim.ResourcePolicy = keyPolicy
			case strings.Contains(r.resource, ":key/"):
				sim.ResourcePolicy = defaultKeyPolicy(e.AccountID)
			}
			sims = append(sims, sim)
		}
		results := simulate(t, sims)
		seen := map[string]bool{}
		for i, r := range results {
			if r.Result == "Error" {
				t.Errorf("%s: %s: simulator error %v", env, labels[i], r.Errors)
				continue
			}
			if r.Result != "Allowed" {
				continue
			}
			seen[labels[i]] = true
			if _, ok := escalationAllowed[labels[i]]; !ok {
				t.Errorf("%s: escalation primitive allowed: %s (%s)", env, labels[i], requests[i].name)
			}
		}
		for want := range escalationAllowed {
			if !seen[want] {
				t.Errorf("%s: %s is no longer allowed: correct escalationAllowed and the escalation table of docs/security.md", env, want)
			}
		}
		t.Logf("%s: %d simulations, %d allowed", env, len(sims), len(seen))
	}
	readmeSection(t, "escalation", escalationTable())
}

// label names a simulation independently of the environment and account.
func label(env, account, role, action, resource string, ctx map[string]any) string {
	r := resource
	if i := strings.LastIndex(r, account+":"); i >= 0 {
		r = r[i+len(account)+1:]
	}
	r = strings.ReplaceAll(r, "-"+env, "-<env>")
	switch {
	case strings.HasSuffix(r, fakeKeyID):
		r = "key/<env key>"
	case strings.HasPrefix(r, "key/"):
		if _, tagged := ctx["aws:RequestTag/Project"]; tagged {
			r = "key/<any key>"
		}
	}
	out := role + " " + action + " " + r
	keys := []string{}
	for k, v := range ctx {
		switch k {
		case "kms:CallerAccount", "aws:RequestTag/Environment", "aws:TagKeys":
		case "kms:ViaService":
			keys = append(keys, "via "+strings.Split(v.(string), ".")[0])
		case "iam:PassedToService":
			keys = append(keys, "iam:PassedToService="+strings.Split(v.(string), ".")[0])
		case "aws:RequestTag/Project":
			keys = append(keys, "project tags")
		case "aws:RequestTag/Owner":
			keys = append(keys, "another tag key")
		case "aws:ResourceTag/Project":
			keys = append(keys, "tagged for the environment")
		case "aws:ResourceTag/Environment":
		default:
			keys = append(keys, k)
		}
	}
	if len(keys) > 0 {
		slices.Sort(keys)
		out += " [" + strings.Join(keys, ", ") + "]"
	}
	return out
}

func escalationTable() string {
	rows := []string{"| role, call, resource [context] | why it stays inside the bound |", "|---|---|"}
	for _, k := range slices.Sorted(maps.Keys(escalationAllowed)) {
		rows = append(rows, "| `"+k+"` | "+escalationAllowed[k]+" |")
	}
	return strings.Join(rows, "\n") + "\n"
}
