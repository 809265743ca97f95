package tests

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/constructs/service"
)

func TestLocalStateIsPerEnvironmentByDefault(t *testing.T) {
	seen := map[string]string{}
	for _, name := range AllStackNames() {
		p := stacks[name].Terraform.Str("backend", "local", "path")
		if p != "../../../terraform."+name+".tfstate" {
			t.Errorf("%s: local state %q", name, p)
		}
		if other, dup := seen[p]; dup {
			t.Errorf("%s and %s share state %s", name, other, p)
		}
		seen[p] = name
	}
}

func TestRemoteStateHasOneKeyPerEnvironmentWithLockingAndEncryption(t *testing.T) {
	keys := map[string]string{}
	for _, env := range StackNames() {
		e := envByName(t, env)
		s3 := Obj(remoteStacks[env].Terraform.Get("backend", "s3").(map[string]any))
		want := map[string]any{
			"bucket": service.Names(e).StateBucket(), "key": "phase-mirror/" + env + "/terraform.tfstate", "region": e.Region,
			"encrypt": true, "kms_key_id": "arn:aws:kms:" + e.Region + ":" + e.AccountID + ":key/" + fakeKeyID,
		}
		// One lock each: production the default lock file, staging (in
		// these tests) the bootstrap's DynamoDB table.
		lock, unset := "use_lockfile", "dynamodb_table"
		var value any = true
		if !e.IsProduction() {
			lock, unset, value = "dynamodb_table", "use_lockfile", "terraform-locks-phase-mirror-"+env
		}
		want[lock] = value
		for k, v := range want {
			if s3[k] != v {
				t.Errorf("%s: backend s3.%s = %v, want %v", env, k, s3[k], v)
			}
		}
		if _, ok := s3[unset]; ok {
			t.Errorf("%s: backend s3 has both %s and %s", env, lock, unset)
		}
		if other, dup := keys[s3.Str("key")]; dup {
			t.Errorf("%s and %s share the state key %s", env, other, s3.Str("key"))
		}
		keys[s3.Str("key")] = env
		if remoteStacks[env].Terraform.Get("backend", "local") != nil {
			t.Errorf("%s: local backend still present", env)
		}
	}
	// The bootstrap stacks always keep local state: they create the bucket.
	for _, env := range StackNames() {
		if remoteStacks[bootstrapOf(env)].Terraform.Get("backend", "local") == nil {
			t.Errorf("state-bootstrap-%s does not use local state", env)
		}
	}
}

func TestStateBucketControls(t *testing.T) {
	for _, env := range StackNames() {
		e := envByName(t, env)
		s := stacks[bootstrapOf(env)]
		bucket := s.One(t, "aws_s3_bucket", "bucket", service.Names(e).StateBucket())
		if !bucket.Body.Bool("lifecycle", "prevent_destroy") {
			t.Errorf("%s: state bucket can be destroyed", env)
		}
		id := bucket.Ref("id")
		key := s.All("aws_kms_key")
		if len(key) != 1 || !key[0].Body.Bool("enable_key_rotation") || !key[0].Body.Bool("lifecycle", "prevent_destroy") {
			t.Fatalf("%s: state key %v", env, key)
		}
		v := s.One(t, "aws_s3_bucket_versioning", "bucket", id).Body
		if v.Str("versioning_configuration", "status") != "Enabled" {
			t.Errorf("%s: versioning %v", env, v.Get("versioning_configuration"))
		}
		enc := s.One(t, "aws_s3_bucket_server_side_encryption_configuration", "bucket", id).Body
		rule := enc.Objs("rule")[0]
		if rule.Str("apply_server_side_encryption_by_default", "sse_algorithm") != "aws:kms" ||
			rule.Str("apply_server_side_encryption_by_default", "kms_master_key_id") != key[0].Ref("arn") || !rule.Bool("bucket_key_enabled") {
			t.Errorf("%s: encryption %v", env, rule)
		}
		pab := s.One(t, "aws_s3_bucket_public_access_block", "bucket", id).Body
		for _, f := range []string{"block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"} {
			if !pab.Bool(f) {
				t.Errorf("%s: %s is off", env, f)
			}
		}
		if own := s.One(t, "aws_s3_bucket_ownership_controls", "bucket", id).Body; own.Str("rule", "object_ownership") != "BucketOwnerEnforced" {
			t.Errorf("%s: ownership %v", env, own.Get("rule"))
		}
		lc := s.One(t, "aws_s3_bucket_lifecycle_configuration", "bucket", id).Body.Objs("rule")[0]
		if lc.Str("status") != "Enabled" || lc.Num("noncurrent_version_expiration", "noncurrent_days") != 90 {
			t.Errorf("%s: lifecycle %v", env, lc)
		}
		policy := renderPolicy(t, s, s.One(t, "aws_s3_bucket_policy", "bucket", id).Body.Str("policy"))
		st := policy["Statement"].([]any)[0].(map[string]any)
		if st["Effect"] != "Deny" || fmt.Sprint(st["Condition"]) != "map[Bool:map[aws:SecureTransport:[false]]]" {
			t.Errorf("%s: bucket policy does not deny non-TLS requests: %v", env, st)
		}
	}
}

// trustAllows evaluates a rendered trust policy for a web-identity request
// with the given claims (StringEquals/StringLike on the token's claims).
func trustAllows(policy map[string]any, claims map[string]string) bool {
	for _, raw := range policy["Statement"].([]any) {
		st := raw.(map[string]any)
		if st["Effect"] != "Allow" {
			continue
		}
		ok := true
		for op, conds := range st["Condition"].(map[string]any) {
			for key, vals := range conds.(map[string]any) {
				match := false
				for _, v := range vals.([]any) {
					switch op {
					case "StringEquals":
						match = match || claims[key] == v
					case "StringLike":
						m, _ := path.Match(v.(string), claims[key])
						match = match || m
					default:
						return false // an operator this evaluator does not know: fail closed
					}
				}
				ok = ok && match
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// githubToken is the claims of an OIDC token GitHub issues to a job, in
// GitHub's documented default subject formats ("OpenID Connect reference",
// docs.github.com/en/actions/reference/security/oidc): a job that names an
// environment gets "repo:O/R:environment:E" whatever its branch, a
// pull_request job "repo:O/R:pull_request", any other job
// "repo:O/R:ref:<ref>"; the ref claim is the git ref that triggered the run.
func githubToken(repo, event, ref, environment string) map[string]string {
	return githubWorkflowToken(repo, event, ref, environment, ".github/workflows/deploy.yml")
}

// githubWorkflowToken is githubToken of a job of the given workflow file
// (job_workflow_ref: "<repo>/<file>@<ref>"; a reusable workflow called
// from the same repository is read at the caller's ref).
func githubWorkflowToken(repo, event, ref, environment, workflow string) map[string]string {
	sub := "repo:" + repo + ":ref:" + ref
	switch {
	case environment != "":
		sub = "repo:" + repo + ":environment:" + environment
	case event == "pull_request":
		sub = "repo:" + repo + ":pull_request"
	}
	claims := map[string]string{"token.actions.githubusercontent.com:sub": sub, "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
		"token.actions.githubusercontent.com:ref": ref, "token.actions.githubusercontent.com:repository": repo,
		"token.actions.githubusercontent.com:job_workflow_ref": repo + "/" + workflow + "@" + ref}
	if environment != "" {
		claims["token.actions.githubusercontent.com:environment"] = environment
	}
	return claims
}

// TestOnlyJobsOnMainAssumeTheCIRoles: neither role trusts a pull request or a
// job of any branch but main, for either environment; only the environment's
// job on main deploys, and only a job on main without an environment plans.
func TestOnlyJobsOnMainAssumeTheCIRoles(t *testing.T) {
	for _, env := range StackNames() {
		e := envByName(t, env)
		s := stacks[bootstrapOf(env)]
		oidc := s.One(t, "aws_iam_openid_connect_provider", "url", "https://token.actions.githubusercontent.com")
		if !slices.Equal(oidc.Body.Strings("client_id_list"), []string{"sts.amazonaws.com"}) {
			t.Errorf("%s: OIDC audience %v", env, oidc.Body.Get("client_id_list"))
		}
		repo, other := e.GitHubRepository, "staging"
		if env == "staging" {
			other = "production"
		}
		cases := []struct {
			name, role, repo, event, ref, environment string
			allowed                                   bool
			workflow                                  string
		}{
			{"the environment's job on main", "deploy", repo, "push", "refs/heads/main", env, true, ""},
			{"a job of a feature branch naming the environment", "deploy", repo, "push", "refs/heads/feature", env, false, ""},
			{"a pull request job naming the environment", "deploy", repo, "pull_request", "refs/pull/7/merge", env, false, ""},
			{"a job on main naming the other environment", "deploy", repo, "push", "refs/heads/main", other, false, ""},
			{"a job on main without an environment", "deploy", repo, "push", "refs/heads/main", "", false, ""},
			{"a pull request", "deploy", repo, "pull_request", "refs/pull/7/merge", "", false, ""},
			{"another repository's job on main naming the environment", "deploy", "someone/fork", "push", "refs/heads/main", env, false, ""},
			{"a job on main without an environment", "plan", repo, "push", "refs/heads/main", "", true, ""},
			{"a scheduled run (default branch)", "plan", repo, "schedule", "refs/heads/main", "", true, ""},
			{"a pull request", "plan", repo, "pull_request", "refs/pull/7/merge", "", false, ""},
			{"a job of a feature branch", "plan", repo, "push", "refs/heads/feature", "", false, ""},
			{"a manual run from a feature branch", "plan", repo, "workflow_dispatch", "refs/heads/feature", "", false, ""},
			{"a job of a feature branch naming the environment", "plan", repo, "push", "refs/heads/feature", env, false, ""},
			{"a tag", "plan", repo, "push", "refs/tags/v1", "", false, ""},
			{"another repository's job on main", "plan", "someone/fork", "push", "refs/heads/main", "", false, ""},
			{"another workflow's job on main naming the environment", "deploy", repo, "push", "refs/heads/main", env, false, ".github/workflows/other.yml"},
			{"the drift check's job on main", "plan", repo, "schedule", "refs/heads/main", "", true, ".github/workflows/drift.yml"},
			{"another workflow's job on main", "plan", repo, "issue_comment", "refs/heads/main", "", false, ".github/workflows/other.yml"},
		}
		for _, c := range cases {
			role := s.One(t, "aws_iam_role", "name", "phase-mirror-"+c.role+"-"+env)
			trust := renderPolicy(t, s, role.Body.Str("assume_role_policy"))
			workflow := c.workflow
			if workflow == "" {
				workflow = ".github/workflows/deploy.yml"
			}
			claims := githubWorkflowToken(c.repo, c.event, c.ref, c.environment, workflow)
			if got := trustAllows(trust, claims); got != c.allowed {
				t.Errorf("%s: %s role assumable by %s (sub %q, ref %q): %v, want %v", env, c.role, c.name,
					claims["token.actions.githubusercontent.com:sub"], c.ref, got, c.allowed)
			}
			claims["token.actions.githubusercontent.com:aud"] = "https://example.com"
			if trustAllows(trust, claims) {
				t.Errorf("%s: %s role accepts another audience", env, c.role)
			}
		}
	}
}

// globMatch matches IAM resource patterns (* and ?).
func globMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if globMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && globMatch(pattern[1:], s[1:])
	default:
		return s != "" && s[0] == pattern[0] && globMatch(pattern[1:], s[1:])
	}
}

// TestDeployRoleReachesEveryResourceOfItsEnvironmentOnly: each named resource of
// the service stack lies inside the deploy role's resource patterns, and the
// other environment's do not.
func TestDeployRoleReachesEveryResourceOfItsEnvironmentOnly(t *testing.T) {
	for _, env := range StackNames() {
		boot := stacks[bootstrapOf(env)]
		role := boot.One(t, "aws_iam_role", "name", "phase-mirror-deploy-"+env)
		var policy map[string]any
		for _, rp := range boot.All("aws_iam_role_policy") {
			if rp.Body.Str("role") == role.Ref("name") {
				policy = renderPolicy(t, boot, rp.Body.Str("policy"))
			}
		}
		if policy == nil {
			t.Fatalf("%s: deploy role has no policy", env)
		}
		patterns := []string{}
		for _, raw := range policy["Statement"].([]any) {
			st := raw.(map[string]any)
			for _, a := range strs(st["Action"]) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					t.Errorf("%s: deploy role statement %v grants %s", env, st["Sid"], a)
				}
			}
			if st["Effect"] == "Allow" {
				patterns = append(patterns, strs(st["Resource"])...)
			}
		}
		covered := func(arn string) bool {
			for _, p := range patterns {
				if p != "*" && globMatch(p, arn) {
					return true
				}
			}
			return false
		}
		for _, other := range StackNames() {
			s := stacks[other]
			for _, typ := range []string{"aws_dynamodb_table", "aws_iam_role", "aws_secretsmanager_secret", "aws_cloudwatch_log_group", "aws_ssm_parameter", "aws_sns_topic", "aws_lambda_function"} {
				for _, r := range s.All(typ) {
					arn := resolveARNs(t, s, r.Ref("arn"))
					if covered(arn) != (other == env) {
						t.Errorf("deploy role of %s reaches %s: %v", env, arn, covered(arn))
					}
				}
			}
		}
	}
}

// TestGitHubRefAndEnvironmentInTheIAMSimulator: the claims that keep other
// branches out (:ref, :environment) are condition keys the IAM simulator
// knows (AWS STS accepts them), so it judges them; :sub and :aud, which it
// drops, are taken out of its copy of the trust policy and judged by
// TestOnlyJobsOnMainAssumeTheCIRoles.
func TestGitHubRefAndEnvironmentInTheIAMSimulator(t *testing.T) {
	light(t)
	for _, env := range StackNames() {
		e := envByName(t, env)
		s := stacks[bootstrapOf(env)]
		provider := "arn:aws:iam::" + e.AccountID + ":oidc-provider/token.actions.githubusercontent.com"
		cases := []struct {
			role, event, ref, environment string
			allowed                       bool
		}{
			{"deploy", "push", "refs/heads/main", env, true},
			{"deploy", "push", "refs/heads/feature", env, false},
			{"deploy", "pull_request", "refs/pull/7/merge", env, false},
			{"deploy", "push", "refs/heads/main", "", false},
			{"plan", "push", "refs/heads/main", "", true},
			{"plan", "push", "refs/heads/feature", "", false},
			{"plan", "pull_request", "refs/pull/7/merge", "", false},
		}
		sims := []simulation{}
		for _, c := range cases {
			role := s.One(t, "aws_iam_role", "name", "phase-mirror-"+c.role+"-"+env)
			trust := renderPolicy(t, s, role.Body.Str("assume_role_policy"))
			for _, raw := range trust["Statement"].([]any) {
				conds := raw.(map[string]any)["Condition"].(map[string]any)
				for _, keys := range conds {
					delete(keys.(map[string]any), "token.actions.githubusercontent.com:sub")
					delete(keys.(map[string]any), "token.actions.githubusercontent.com:aud")
				}
			}
			context := map[string]any{}
			for k, v := range githubToken(e.GitHubRepository, c.event, c.ref, c.environment) {
				if !strings.HasSuffix(k, ":sub") && !strings.HasSuffix(k, ":aud") {
					context[k] = v
				}
			}
			sims = append(sims, trustSimulation(provider, "sts:AssumeRoleWithWebIdentity", "arn:aws:iam::"+e.AccountID+":role/"+role.Body.Str("name"), e.AccountID, trust, context))
		}
		for i, got := range simulate(t, sims) {
			c := cases[i]
			if (got.Result == "Allowed") != c.allowed {
				t.Errorf("%s: %s role, %s on %s (environment %q): %s %v, want allowed %v", env, c.role, c.event, c.ref, c.environment, got.Result, got.Errors, c.allowed)
			}
		}
	}
}

// TestAnExistingOIDCProviderIsReadNotCreated: with github_oidc_provider
// "existing" (the remote-state staging variant), the bootstrap reads the
// account's provider by its URL and the roles trust it; it creates none
// (IAM refuses a second provider for the same URL).
func TestAnExistingOIDCProviderIsReadNotCreated(t *testing.T) {
	boot := remoteStacks[bootstrapOf("staging")]
	if n := boot.Count("aws_iam_openid_connect_provider"); n != 0 {
		t.Errorf("the bootstrap creates %d OIDC providers, want none", n)
	}
	var found string
	for name, body := range boot.Data["aws_iam_openid_connect_provider"] {
		if body.Str("url") == "https://token.actions.githubusercontent.com" {
			found = name
		}
	}
	if found == "" {
		t.Fatal("the bootstrap does not read the GitHub OIDC provider")
	}
	for _, role := range []string{"deploy", "plan"} {
		r := boot.One(t, "aws_iam_role", "name", "phase-mirror-"+role+"-staging")
		trust := renderPolicy(t, boot, r.Body.Str("assume_role_policy"))
		principal := fmt.Sprint(trust["Statement"].([]any)[0].(map[string]any)["Principal"])
		if !strings.Contains(principal, "data.aws_iam_openid_connect_provider."+found+".arn") {
			t.Errorf("the %s role trusts %s, not the provider read", role, principal)
		}
	}
	if stacks[bootstrapOf("staging")].Count("aws_iam_openid_connect_provider") != 1 {
		t.Error("with the shipped settings (create) the bootstrap has no OIDC provider")
	}
}
