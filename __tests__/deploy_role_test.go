package tests

import (
	"fmt"
	"testing"
)

// TestDeployAndPlanRolesInTheIAMSimulator evaluates the GitHub deploy and plan
// roles' identity policies (state-bootstrap stack) together with the
// environment key's policy (service stack) with @cloud-copilot/iam-simulate:
// what a deploy needs is allowed, and the paths a review found are closed.
func TestDeployAndPlanRolesInTheIAMSimulator(t *testing.T) {
	for _, env := range StackNames() {
		e := envByName(t, env)
		boot := stacks[bootstrapOf(env)]
		svc := stacks[env]
		arn := func(service, resource string) string {
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.Region, e.AccountID, resource)
		}
		key := arn("kms", "key/"+fakeKeyID)
		foreignKey := arn("kms", "key/11111111-2222-3333-4444-555555555555")
		alias := "alias/phase-mirror-secrets-" + env
		tags := map[string]any{"aws:ResourceTag/Project": "phase-mirror", "aws:ResourceTag/Environment": env}
		with := func(base map[string]any, more map[string]any) map[string]any {
			out := map[string]any{"kms:CallerAccount": e.AccountID}
			for k, v := range base {
				out[k] = v
			}
			for k, v := range more {
				out[k] = v
			}
			return out
		}
		aliased := with(tags, map[string]any{"kms:ResourceAliases": []any{alias}})
		via := func(service string, base map[string]any) map[string]any {
			return with(base, map[string]any{"kms:ViaService": service + "." + e.Region + ".amazonaws.com"})
		}
		// A key of someone else in the account that the deploy role tagged
		// with this environment's tags (it may tag any key: creation with tags needs it).
		foreignTagged := with(tags, map[string]any{"kms:ResourceAliases": []any{"alias/someone-else"}})
		rotator := arn("lambda", "function:"+e.Functions.SaltRotator)
		secret := arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+env+secretSuffix)

		requests := []request{
			// What a deploy needs.
			{"deploy starts rotation: invokes the rotator (RotateSecret needs it)", "deploy", "lambda:InvokeFunction", rotator, nil, true, nil},
			{"deploy creates the CMK secret: GenerateDataKey through Secrets Manager", "deploy", "kms:GenerateDataKey", key, via("secretsmanager", tags), true, nil},
			{"deploy creates the CMK secret: Decrypt through Secrets Manager", "deploy", "kms:Decrypt", key, via("secretsmanager", tags), true, nil},
			{"deploy creates an encrypted table: CreateGrant through DynamoDB", "deploy", "kms:CreateGrant", key, via("dynamodb", tags), true, nil},
			{"deploy writes the SecureString nonce through SSM", "deploy", "kms:GenerateDataKey", key, via("ssm", tags), true, nil},
			{"deploy creates the key with its tags", "deploy", "kms:CreateKey", "*", with(nil, map[string]any{"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env}), true, nil},
			{"deploy enables rotation of the new key before its alias exists", "deploy", "kms:EnableKeyRotation", key, tags, true, nil},
			{"deploy points the alias at the new key", "deploy", "kms:CreateAlias", key, tags, true, nil},
			{"deploy updates the policy of its aliased key", "deploy", "kms:PutKeyPolicy", key, aliased, true, nil},
			// What a review found open.
			{"deploy cannot invoke another function", "deploy", "lambda:InvokeFunction", arn("lambda", "function:"+e.Functions.FPIngestion), nil, false, nil},
			{"deploy cannot use the key through Secrets Manager without the key's tags", "deploy", "kms:Decrypt", foreignKey, via("secretsmanager", nil), false, nil},
			{"deploy cannot decrypt directly", "deploy", "kms:Decrypt", key, aliased, false, nil},
			{"deploy cannot read the salt", "deploy", "secretsmanager:GetSecretValue", secret, nil, false, nil},
			{"tagging a foreign key does not let deploy rewrite its policy", "deploy", "kms:PutKeyPolicy", foreignKey, foreignTagged, false, nil},
			{"tagging a foreign key does not let deploy schedule its deletion", "deploy", "kms:ScheduleKeyDeletion", foreignKey, foreignTagged, false, nil},
			{"tagging a foreign key does not let deploy disable its rotation", "deploy", "kms:DisableKeyRotation", foreignKey, foreignTagged, false, nil},
			{"a new unaliased key cannot have its policy rewritten", "deploy", "kms:PutKeyPolicy", key, tags, false, nil},
			// Key administration never includes use (named actions, no kms:Create*).
			{"an administrator cannot grant itself use of the key", "admin", "kms:CreateGrant", key, aliased, false, nil},
			{"an administrator cannot decrypt", "admin", "kms:Decrypt", key, aliased, false, nil},
			{"an administrator can still update the key policy (no lock-out)", "admin", "kms:PutKeyPolicy", key, aliased, true, nil},
			// The plan role only reads.
			{"plan reads the key policy", "plan", "kms:GetKeyPolicy", key, aliased, true, nil},
			{"plan refreshes the nonce: Decrypt through SSM", "plan", "kms:Decrypt", key, via("ssm", tags), true, nil},
			{"plan cannot create keys", "plan", "kms:CreateKey", "*", with(nil, map[string]any{"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env}), false, nil},
			{"plan cannot rewrite the key policy", "plan", "kms:PutKeyPolicy", key, aliased, false, nil},
			{"plan cannot start a rotation", "plan", "lambda:InvokeFunction", rotator, nil, false, nil},
			{"plan cannot create tables", "plan", "dynamodb:CreateTable", arn("dynamodb", "table/phase-mirror-consent-store-"+env), nil, false, nil},
		}

		roles := map[string]string{"deploy": "phase-mirror-deploy-" + env, "plan": "phase-mirror-plan-" + env, "admin": "account-administrator"}
		policies := map[string]map[string]any{
			// An account administrator whose IAM policy allows every KMS action:
			// only the key policy limits what administration may do.
			"admin": {"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": []any{"kms:*"}, "Resource": []any{"*"}}}},
		}
		for short, name := range roles {
			if short == "admin" {
				continue
			}
			role := boot.One(t, "aws_iam_role", "name", name)
			for _, rp := range boot.All("aws_iam_role_policy") {
				if rp.Body.Str("role") == role.Ref("name") {
					policies[short] = renderPolicy(t, boot, rp.Body.Str("policy"))
				}
			}
			if policies[short] == nil {
				t.Fatalf("%s: role %s has no policy", env, name)
			}
		}
		keyPolicy := renderPolicy(t, svc, svc.All("aws_kms_key")[0].Body.Str("policy"))
		judge(t, env, e.AccountID, requests, func(r request) judged {
			j := judged{principal: "arn:aws:sts::" + e.AccountID + ":assumed-role/" + roles[r.role] + "/github-actions", identity: policies[r.role]}
			if r.resource == key {
				j.resource = keyPolicy
			}
			return j
		})
	}
}
