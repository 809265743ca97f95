package tests

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// fakeKeyID stands for the key id AWS assigns at creation.
const fakeKeyID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"

// secretSuffix stands for the six characters Secrets Manager appends to a secret's ARN.
const secretSuffix = "-Ab1Cd2"

var refPattern = regexp.MustCompile(`\$\{([a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}`)

// resolveARNs replaces every "${type.name.arn}" (and .name / .id) reference in
// s with the value AWS would give that resource in the stack's account and
// region, so policies can be evaluated as AWS would see them.
func resolveARNs(t *testing.T, stack *StackJSON, s string) string {
	t.Helper()
	env := envByName(t, stackEnv(stack))
	return refPattern.ReplaceAllStringFunc(s, func(ref string) string {
		m := refPattern.FindStringSubmatch(ref)
		typ, name, attr := m[1], m[2], m[3]
		body, ok := stack.Resources[typ][name]
		if !ok {
			t.Fatalf("%s: reference to unknown resource %s", stack.Path, ref)
		}
		if attr == "name" {
			return body.Str("name")
		}
		arn := func(service, resource string) string {
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, env.Region, env.AccountID, resource)
		}
		switch typ + "." + attr {
		case "aws_dynamodb_table.arn":
			return arn("dynamodb", "table/"+body.Str("name"))
		case "aws_kms_key.arn":
			return arn("kms", "key/"+fakeKeyID)
		case "aws_iam_role.arn":
			return "arn:aws:iam::" + env.AccountID + ":role/" + body.Str("name")
		case "aws_iam_policy.arn":
			return "arn:aws:iam::" + env.AccountID + ":policy/" + body.Str("name")
		case "aws_secretsmanager_secret.arn", "aws_secretsmanager_secret.id":
			return arn("secretsmanager", "secret:"+body.Str("name")+secretSuffix)
		case "aws_cloudwatch_log_group.arn":
			return arn("logs", "log-group:"+body.Str("name"))
		case "aws_ssm_parameter.arn":
			return arn("ssm", "parameter"+body.Str("name"))
		case "aws_sns_topic.arn":
			return arn("sns", body.Str("name"))
		case "aws_s3_bucket.arn":
			return "arn:aws:s3:::" + body.Str("bucket")
		case "aws_iam_openid_connect_provider.arn":
			return "arn:aws:iam::" + env.AccountID + ":oidc-provider/" + strings.TrimPrefix(body.Str("url"), "https://")
		case "aws_lambda_function.arn":
			return arn("lambda", "function:"+body.Str("function_name"))
		}
		t.Fatalf("%s: no ARN rule for %s", stack.Path, ref)
		return ""
	})
}

// stackEnv is the environment a stack belongs to (its own, or its bootstrap's).
func stackEnv(s *StackJSON) string {
	for _, all := range []map[string]*StackJSON{stacks, remoteStacks} {
		for name, st := range all {
			if st == s {
				return strings.TrimPrefix(name, "state-bootstrap-")
			}
		}
	}
	return ""
}

// renderPolicy turns an aws_iam_policy_document data source into the IAM
// policy JSON the provider would produce, with references resolved.
func renderPolicy(t *testing.T, stack *StackJSON, docRef string) map[string]any {
	t.Helper()
	doc := stack.ByRef(t, docRef)
	statements := []any{}
	for _, st := range doc.Body.Objs("statement") {
		out := map[string]any{"Effect": st.Str("effect")}
		if st.Str("sid") != "" {
			out["Sid"] = st.Str("sid")
		}
		out["Action"] = toAny(st.Strings("actions"))
		if res := st.Strings("resources"); len(res) > 0 {
			resolved := make([]string, len(res))
			for i, r := range res {
				resolved[i] = resolveARNs(t, stack, r)
			}
			out["Resource"] = toAny(resolved)
		}
		if ps := st.Objs("principals"); len(ps) > 0 {
			principal := map[string]any{}
			for _, p := range ps {
				ids := []string{}
				for _, id := range p.Strings("identifiers") {
					ids = append(ids, resolveARNs(t, stack, id))
				}
				principal[p.Str("type")] = toAny(ids)
			}
			out["Principal"] = principal
		}
		if cs := st.Objs("condition"); len(cs) > 0 {
			condition := map[string]any{}
			for _, c := range cs {
				op, _ := condition[c.Str("test")].(map[string]any)
				if op == nil {
					op = map[string]any{}
					condition[c.Str("test")] = op
				}
				vals := []string{}
				for _, v := range c.Strings("values") {
					vals = append(vals, resolveARNs(t, stack, v))
				}
				op[c.Str("variable")] = toAny(vals)
			}
			out["Condition"] = condition
		}
		statements = append(statements, out)
	}
	return map[string]any{"Version": "2012-10-17", "Statement": statements}
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// rolePolicies returns a role's rendered identity policy and boundary, found by role name.
func rolePolicies(t *testing.T, env, roleName string) (identity, boundary map[string]any) {
	t.Helper()
	// The role, its trust and its boundary are the bootstrap's; its inline
	// policy, the sum of the grants, is the service stack's (by role name).
	svc, boot := stacks[env], stacks[bootstrapOf(env)]
	role := boot.One(t, "aws_iam_role", "name", roleName)
	inline := svc.One(t, "aws_iam_role_policy", "role", roleName)
	identity = renderPolicy(t, svc, inline.Body.Str("policy"))
	bp := boot.ByRef(t, role.Body.Str("permissions_boundary"))
	boundary = renderPolicy(t, boot, bp.Body.Str("policy"))
	return identity, boundary
}
