package tests

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
	"github.com/phase-mirror/fp-calibration-infra/internal/iamsim"
)

// roleNames returns the three role names of an environment.
func roleNames(env string) (ingestion, query, rotator string) {
	return "phase-mirror-fp-ingestion-lambda-" + env, "phase-mirror-calibration-query-lambda-" + env, "phase-mirror-salt-rotator-lambda-" + env
}

// TestRolesHaveExactlyTheirPermissions pins each role's policy: every action
// and resource, per statement. Any change to a policy fails here (and in the
// golden snapshots), so it is reviewed.
func TestRolesHaveExactlyTheirPermissions(t *testing.T) {
	for _, env := range StackNames() {
		e := envByName(t, env)
		arn := func(service, resource string) string {
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.Region, e.AccountID, resource)
		}
		key := arn("kms", "key/"+fakeKeyID)
		secret := arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+env+secretSuffix)
		logGroup := func(fn string) []string {
			g := arn("logs", "log-group:/aws/lambda/"+fn)
			return []string{g, g + ":*"}
		}
		ingestion, query, rotator := roleNames(env)
		want := map[string]map[string][2][]string{ // role -> sid -> [actions, resources]
			ingestion: {
				"FpIngestionReadsConsent":                      {{"dynamodb:GetItem", "dynamodb:Query"}, {arn("dynamodb", "table/phase-mirror-consent-store-"+env)}},
				"FpIngestionWritesCalibration":                 {{"dynamodb:PutItem"}, {arn("dynamodb", "table/phase-mirror-calibration-store-"+env)}},
				"FpIngestionUsesKeyViaDynamodb":                {{"kms:Decrypt"}, {key}},
				"FpIngestionReadsTheSalt":                      {{"secretsmanager:GetSecretValue"}, {secret}},
				"FpIngestionUsesKeyViaSecretsmanager":          {{"kms:Decrypt"}, {key}},
				"FpIngestionReadsTheSaltThroughParameterStore": {{"ssm:GetParameter"}, {arn("ssm", "parameter/aws/reference/secretsmanager//phase-mirror/fp-calibration/hmac-salt-"+env)}},
				"FpIngestionPutMetricsInItsNamespace":          {{"cloudwatch:PutMetricData"}, {"*"}},
				"FpIngestionWritesItsOwnLogs":                  {{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroup(e.Functions.FPIngestion)},
			},
			query: {
				"CalibrationQueryQueriesCalibrationRuleIndex": {{"dynamodb:Query", "dynamodb:Scan"}, {arn("dynamodb", "table/phase-mirror-calibration-store-"+env), arn("dynamodb", "table/phase-mirror-calibration-store-"+env+"/index/rule-index")}},
				"CalibrationQueryUsesKeyViaDynamodb":          {{"kms:Decrypt"}, {key}},
				"CalibrationQueryWritesItsOwnLogs":            {{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroup(e.Functions.CalibrationQuery)},
			},
			rotator: {
				"SaltRotatorRotatesTheSalt":           {{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"}, {secret}},
				"SaltRotatorUsesKeyViaSecretsmanager": {{"kms:Decrypt", "kms:GenerateDataKey"}, {key}},
				"SaltRotatorWritesItsOwnLogs":         {{"logs:CreateLogStream", "logs:PutLogEvents"}, logGroup(e.Functions.SaltRotator)},
			},
		}
		for role, statements := range want {
			identity, _ := rolePolicies(t, env, role)
			got := map[string][2][]string{}
			for _, st := range identity["Statement"].([]any) {
				m := st.(map[string]any)
				got[m["Sid"].(string)] = [2][]string{strs(m["Action"]), strs(m["Resource"])}
			}
			for sid, w := range statements {
				g, ok := got[sid]
				if !ok {
					t.Errorf("%s: %s lacks statement %s", env, role, sid)
					continue
				}
				if !slices.Equal(sortedCopy(g[0]), sortedCopy(w[0])) || !slices.Equal(sortedCopy(g[1]), sortedCopy(w[1])) {
					t.Errorf("%s: %s.%s = %v on %v, want %v on %v", env, role, sid, g[0], g[1], w[0], w[1])
				}
			}
			for sid := range got {
				if _, ok := statements[sid]; !ok {
					t.Errorf("%s: %s has an unexpected statement %s: %v", env, role, sid, got[sid])
				}
			}
		}
	}
}

func strs(v any) []string {
	out := []string{}
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestRolesTrustOnlyLambdaOfTheirAccountAndHaveABoundary(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[bootstrapOf(env)]
		account := envByName(t, env).AccountID
		if n := stacks[env].Count("aws_iam_role"); n != 0 {
			t.Errorf("%s: the service stack creates %d roles; the bootstrap owns them", env, n)
		}
		roles := []Named{}
		for _, r := range s.All("aws_iam_role") {
			if strings.HasSuffix(r.Body.Str("name"), "-lambda-"+env) {
				roles = append(roles, r)
			}
		}
		if len(roles) != 3 {
			t.Fatalf("%s: %d Lambda roles in the bootstrap, want 3", env, len(roles))
		}
		for _, r := range roles {
			trust := renderPolicy(t, s, r.Body.Str("assume_role_policy"))
			want := `{"Statement":[{"Action":["sts:AssumeRole"],"Condition":{"StringEquals":{"aws:SourceAccount":["` + account + `"]}},"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com"]},"Sid":"LambdaOfThisAccountOnly"}],"Version":"2012-10-17"}`
			if got, _ := json.Marshal(trust); string(got) != want {
				t.Errorf("%s: trust of %s = %s", env, r.Body.Str("name"), got)
			}
			if r.Body.Str("permissions_boundary") == "" {
				t.Errorf("%s: %s has no permissions boundary", env, r.Body.Str("name"))
			}
		}
		if n := s.Count("aws_iam_role_policy_attachment"); n != 0 {
			t.Errorf("%s: %d managed policy attachments (AWSLambdaBasicExecutionRole is not used)", env, n)
		}
	}
}

// request is one simulated API call by a role.
type request struct {
	name     string
	role     string // "ingestion", "query" or "rotator"
	action   string
	resource string
	context  map[string]any
	allowed  bool
	// extraIdentity, when set, is an over-broad statement added to the role's
	// policy, to prove the boundary still denies.
	extraIdentity map[string]any
}

type simulation = iamsim.Simulation

// TestIAMSimulator evaluates the synthesized identity policies, permissions
// boundary and KMS key policy together with @cloud-copilot/iam-simulate: the
// calls the application makes are allowed, and calls a careless policy would
// allow are denied.
func TestIAMSimulator(t *testing.T) {
	light(t)
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatal("node is not on PATH")
	}
	for _, env := range StackNames() {
		s := stacks[env]
		e := envByName(t, env)
		other := "production"
		if env == "production" {
			other = "staging"
		}
		arn := func(service, resource string) string {
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.Region, e.AccountID, resource)
		}
		table := func(name string) string { return arn("dynamodb", "table/"+name+"-"+env) }
		key := arn("kms", "key/"+fakeKeyID)
		secret := arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+env+secretSuffix)
		stream := func(fn string) string {
			return arn("logs", "log-group:/aws/lambda/"+fn+":log-stream:2026/11/26/[$LATEST]abc")
		}
		via := func(service string) map[string]any {
			return map[string]any{"kms:ViaService": service + "." + e.Region + ".amazonaws.com", "kms:CallerAccount": e.AccountID}
		}
		direct := map[string]any{"kms:CallerAccount": e.AccountID}
		namespace := func(ns string) map[string]any { return map[string]any{"cloudwatch:namespace": ns} }
		anything := map[string]any{"Sid": "Careless", "Effect": "Allow", "Action": []any{"dynamodb:*", "secretsmanager:*"}, "Resource": []any{"*"}}

		requests := []request{
			// What the application does.
			{"ingestion reads consent", "ingestion", "dynamodb:GetItem", table("phase-mirror-consent-store"), nil, true, nil},
			{"ingestion queries consent", "ingestion", "dynamodb:Query", table("phase-mirror-consent-store"), nil, true, nil},
			{"ingestion writes a calibration event", "ingestion", "dynamodb:PutItem", table("phase-mirror-calibration-store"), nil, true, nil},
			{"ingestion reads the salt", "ingestion", "secretsmanager:GetSecretValue", secret, nil, true, nil},
			{"ingestion reads the salt through Parameter Store", "ingestion", "ssm:GetParameter", arn("ssm", "parameter/aws/reference/secretsmanager//phase-mirror/fp-calibration/hmac-salt-"+env), nil, true, nil},
			{"ingestion decrypts the salt via Secrets Manager", "ingestion", "kms:Decrypt", key, via("secretsmanager"), true, nil},
			{"ingestion decrypts table data via DynamoDB", "ingestion", "kms:Decrypt", key, via("dynamodb"), true, nil},
			{"ingestion publishes its metrics", "ingestion", "cloudwatch:PutMetricData", "*", namespace("PhaseMirror/FPCalibration"), true, nil},
			{"ingestion writes its logs", "ingestion", "logs:PutLogEvents", stream(e.Functions.FPIngestion), nil, true, nil},
			{"query queries the rule index", "query", "dynamodb:Query", table("phase-mirror-calibration-store") + "/index/rule-index", nil, true, nil},
			{"query scans calibration", "query", "dynamodb:Scan", table("phase-mirror-calibration-store"), nil, true, nil},
			{"query creates its log stream", "query", "logs:CreateLogStream", stream(e.Functions.CalibrationQuery), nil, true, nil},
			{"rotator stores a pending salt", "rotator", "secretsmanager:PutSecretValue", secret, nil, true, nil},
			{"rotator promotes the salt", "rotator", "secretsmanager:UpdateSecretVersionStage", secret, nil, true, nil},
			{"rotator generates a data key via Secrets Manager", "rotator", "kms:GenerateDataKey", key, via("secretsmanager"), true, nil},
			{"rotator writes its logs", "rotator", "logs:PutLogEvents", stream(e.Functions.SaltRotator), nil, true, nil},
			// What a careless policy would allow.
			{"query cannot write calibration", "query", "dynamodb:PutItem", table("phase-mirror-calibration-store"), nil, false, nil},
			{"query cannot read the FP events", "query", "dynamodb:Query", table("phase-mirror-fp-events"), nil, false, nil},
			{"ingestion cannot delete a table", "ingestion", "dynamodb:DeleteTable", table("phase-mirror-consent-store"), nil, false, nil},
			{"ingestion cannot write consent", "ingestion", "dynamodb:PutItem", table("phase-mirror-consent-store"), nil, false, nil},
			{"ingestion cannot scan consent", "ingestion", "dynamodb:Scan", table("phase-mirror-consent-store"), nil, false, nil},
			{"ingestion cannot read the block counter", "ingestion", "dynamodb:GetItem", "arn:aws:dynamodb:" + e.Region + ":" + e.AccountID + ":table/mirror-dissonance-block-counter-" + env, nil, false, nil},
			{"ingestion cannot change the salt", "ingestion", "secretsmanager:PutSecretValue", secret, nil, false, nil},
			{"ingestion cannot read the redaction nonce", "ingestion", "ssm:GetParameter", arn("ssm", "parameter/guardian/redaction_nonce-"+env), nil, false, nil},
			{"ingestion cannot decrypt directly", "ingestion", "kms:Decrypt", key, direct, false, nil},
			// Least use of the key through DynamoDB: callers only decrypt the table key;
			// DynamoDB itself generates data keys under its grant.
			{"ingestion cannot encrypt through DynamoDB", "ingestion", "kms:Encrypt", key, via("dynamodb"), false, nil},
			{"ingestion cannot generate data keys through DynamoDB", "ingestion", "kms:GenerateDataKey", key, via("dynamodb"), false, nil},
			{"ingestion does not describe the salt (the reference path needs GetSecretValue only)", "ingestion", "secretsmanager:DescribeSecret", secret, nil, false, nil},
			{"ingestion cannot decrypt via SSM", "ingestion", "kms:Decrypt", key, via("ssm"), false, nil},
			{"ingestion cannot publish to another namespace", "ingestion", "cloudwatch:PutMetricData", "*", namespace("AWS/Lambda"), false, nil},
			{"ingestion cannot write into another function's logs", "ingestion", "logs:PutLogEvents", stream(e.Functions.CalibrationQuery), nil, false, nil},
			{"query cannot decrypt the salt", "query", "kms:Decrypt", key, via("secretsmanager"), false, nil},
			{"query cannot read the salt", "query", "secretsmanager:GetSecretValue", secret, nil, false, nil},
			{"rotator cannot read another environment's secret", "rotator", "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+other+secretSuffix), nil, false, nil},
			{"rotator cannot delete the salt", "rotator", "secretsmanager:DeleteSecret", secret, nil, false, nil},
			{"rotator cannot decrypt via DynamoDB", "rotator", "kms:Decrypt", key, via("dynamodb"), false, nil},
			{"rotator cannot decrypt directly", "rotator", "kms:Decrypt", key, direct, false, nil},
			// The boundary holds even against an over-broad grant.
			{"boundary: no table deletion", "ingestion", "dynamodb:DeleteTable", table("phase-mirror-consent-store"), nil, false, anything},
			{"boundary: no other environment's table", "query", "dynamodb:Scan", "arn:aws:dynamodb:" + e.Region + ":" + e.AccountID + ":table/phase-mirror-calibration-store-" + other, nil, false, anything},
			{"boundary: no other environment's secret", "ingestion", "secretsmanager:GetSecretValue", arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+other+secretSuffix), nil, false, anything},
		}

		ingestion, query, rotator := roleNames(env)
		roles := map[string]string{"ingestion": ingestion, "query": query, "rotator": rotator}
		keyPolicy := renderPolicy(t, s, s.All("aws_kms_key")[0].Body.Str("policy"))
		judge(t, env, e.AccountID, requests, func(r request) judged {
			identity, boundary := rolePolicies(t, env, roles[r.role])
			if r.extraIdentity != nil {
				identity = withStatement(identity, r.extraIdentity)
			}
			j := judged{principal: "arn:aws:sts::" + e.AccountID + ":assumed-role/" + roles[r.role] + "/lambda-session", identity: identity, boundary: boundary}
			if strings.HasPrefix(r.action, "kms:") {
				j.resource = keyPolicy
			}
			return j
		})
	}
}

// judged are the principal and policies one simulated request is judged by.
type judged struct {
	principal                    string
	identity, boundary, resource map[string]any
}

// judge runs every request through the IAM simulator with the policies
// policiesFor gives it, and reports each result that differs from the
// request's expectation.
func judge(t *testing.T, env, account string, requests []request, policiesFor func(request) judged) {
	t.Helper()
	sims := make([]simulation, 0, len(requests))
	for _, r := range requests {
		sims = append(sims, newSimulation(account, r, policiesFor(r)))
	}
	results := simulate(t, sims)
	for i, r := range requests {
		got := results[i]
		if got.Result == "Error" {
			t.Errorf("%s: %s: simulator refused the input: %s", env, r.name, got.Errors)
			continue
		}
		t.Logf("%s: %-75s %s", env, r.name, got.Result)
		if (got.Result == "Allowed") != r.allowed {
			t.Errorf("%s: %s (%s on %s): %s", env, r.name, r.action, r.resource, got.Result)
		}
	}
}

// newSimulation is the simulator's input for request r judged by p.
func newSimulation(account string, r request, p judged) simulation {
	var sim simulation
	sim.Request.Principal = p.principal
	sim.Request.Action = r.action
	sim.Request.Resource.Resource = r.resource
	sim.Request.Resource.AccountID = account
	sim.Request.ContextVariables = map[string]any{}
	for k, v := range r.context {
		sim.Request.ContextVariables[k] = v
	}
	sim.IdentityPolicies = []map[string]any{{"name": "inline", "policy": p.identity}}
	if p.boundary != nil {
		sim.PermissionBoundaryPolicies = []map[string]any{{"name": "boundary", "policy": p.boundary}}
	}
	sim.ServiceControlPolicies, sim.ResourceControlPolicies = []any{}, []any{}
	sim.ResourcePolicy = p.resource
	return sim
}

func withStatement(policy map[string]any, st map[string]any) map[string]any {
	statements := append(append([]any{}, policy["Statement"].([]any)...), st)
	return map[string]any{"Version": policy["Version"], "Statement": statements}
}

type simResult = iamsim.Result

func simulate(t *testing.T, sims []simulation) []simResult {
	t.Helper()
	results, err := iamsim.Run(sims)
	if err != nil {
		t.Fatal(err)
	}
	return results
}

// trustSimulation asks whether principal may call action on the role whose
// trust policy is trust, with the given request context.
func trustSimulation(principal, action, roleArn, account string, trust map[string]any, context map[string]any) simulation {
	var sim simulation
	sim.Request.Principal, sim.Request.Action = principal, action
	sim.Request.Resource.Resource, sim.Request.Resource.AccountID = roleArn, account
	sim.Request.ContextVariables = context
	sim.IdentityPolicies, sim.PermissionBoundaryPolicies = []map[string]any{}, []map[string]any{}
	sim.ServiceControlPolicies, sim.ResourceControlPolicies = []any{}, []any{}
	sim.ResourcePolicy = trust
	return sim
}

// TestLambdaTrustPoliciesInTheIAMSimulator: the simulator, not the tests,
// judges who may assume the Lambda roles: Lambda on behalf of this account
// only.
func TestLambdaTrustPoliciesInTheIAMSimulator(t *testing.T) {
	light(t)
	for _, env := range StackNames() {
		s, account := stacks[bootstrapOf(env)], envByName(t, env).AccountID
		other := "999999999999"
		for _, r := range s.All("aws_iam_role") {
			if !strings.HasSuffix(r.Body.Str("name"), "-lambda-"+env) {
				continue
			}
			trust := renderPolicy(t, s, r.Body.Str("assume_role_policy"))
			arn := "arn:aws:iam::" + account + ":role/" + r.Body.Str("name")
			cases := []struct {
				name     string
				sim      simulation
				expected string
			}{
				{"Lambda for this account", trustSimulation("lambda.amazonaws.com", "sts:AssumeRole", arn, account, trust, map[string]any{"aws:SourceAccount": account}), "Allowed"},
				{"Lambda for another account", trustSimulation("lambda.amazonaws.com", "sts:AssumeRole", arn, account, trust, map[string]any{"aws:SourceAccount": other}), "ImplicitlyDenied"},
				{"Lambda without a source account", trustSimulation("lambda.amazonaws.com", "sts:AssumeRole", arn, account, trust, map[string]any{}), "ImplicitlyDenied"},
				{"EC2 for this account", trustSimulation("ec2.amazonaws.com", "sts:AssumeRole", arn, account, trust, map[string]any{"aws:SourceAccount": account}), "ImplicitlyDenied"},
				{"a user of the account", trustSimulation("arn:aws:iam::"+account+":user/someone", "sts:AssumeRole", arn, account, trust, map[string]any{}), "ImplicitlyDenied"},
			}
			sims := make([]simulation, len(cases))
			for i, c := range cases {
				sims[i] = c.sim
			}
			for i, got := range simulate(t, sims) {
				if got.Result != cases[i].expected {
					t.Errorf("%s: %s assuming %s: %s %s, want %s", env, cases[i].name, r.Body.Str("name"), got.Result, got.Errors, cases[i].expected)
				}
			}
		}
	}
}

// TestSimulatorCannotJudgeGitHubTrust is why the GitHub roles' trust is judged
// by trustAllows, not the simulator: @cloud-copilot/iam-simulate ignores the
// token.actions.githubusercontent.com:sub and :aud keys (its action data
// lists other GitHub keys only), so every web-identity request is denied
// whatever the subject. When this test fails, the simulator has learnt the
// keys: move the GitHub trust cases to it and drop trustAllows.
func TestSimulatorCannotJudgeGitHubTrust(t *testing.T) {
	light(t)
	env := StackNames()[0]
	s, account := stacks[bootstrapOf(env)], envByName(t, env).AccountID
	role := s.One(t, "aws_iam_role", "name", service.Names(envByName(t, env)).DeployRole())
	trust := renderPolicy(t, s, role.Body.Str("assume_role_policy"))
	provider := "arn:aws:iam::" + account + ":oidc-provider/token.actions.githubusercontent.com"
	subject := "repo:" + envByName(t, env).GitHubRepository + ":environment:" + env
	token := githubToken(envByName(t, env).GitHubRepository, "push", "refs/heads/main", env)
	if token["token.actions.githubusercontent.com:sub"] != subject || !trustAllows(trust, token) {
		t.Fatal("trustAllows refuses the deploy role's own job on main")
	}
	context := map[string]any{}
	for k, v := range token {
		context[k] = v
	}
	got := simulate(t, []simulation{trustSimulation(provider, "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::"+account+":role/"+role.Body.Str("name"), account, trust, context)})
	if got[0].Result == "Allowed" {
		t.Error("the simulator now judges GitHub OIDC trust: use it instead of trustAllows")
	}
}
