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
	light(t)
	for _, env := range StackNames() {
		e := envByName(t, env)
		boot := stacks[bootstrapOf(env)]
		svc := stacks[env]
		arn := func(service, resource string) string {
			return fmt.Sprintf("arn:aws:%s:%s:%s:%s", service, e.Region, e.AccountID, resource)
		}
		key := arn("kms", "key/"+fakeKeyID)
		foreignKey := arn("kms", "key/11111111-2222-3333-4444-555555555555")
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
		via := func(service string, base map[string]any) map[string]any {
			return with(base, map[string]any{"kms:ViaService": service + "." + e.Region + ".amazonaws.com"})
		}
		nonce := map[string]any{"kms:EncryptionContext:PARAMETER_ARN": arn("ssm", "parameter/guardian/redaction_nonce-"+env)}
		otherParameter := map[string]any{"kms:EncryptionContext:PARAMETER_ARN": arn("ssm", "parameter/someone-elses")}
		rotator := arn("lambda", "function:"+e.Functions.SaltRotator)
		secret := arn("secretsmanager", "secret:/phase-mirror/fp-calibration/hmac-salt-"+env+secretSuffix)
		createTags := with(nil, map[string]any{"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env,
			"aws:TagKeys": []any{"Project", "Environment", "ManagedBy"}})
		extraTag := with(nil, map[string]any{"aws:RequestTag/Project": "phase-mirror", "aws:RequestTag/Environment": env,
			"aws:TagKeys": []any{"Project", "Environment", "Owner"}})

		requests := []request{
			// What a deploy needs: from the key policy, which names the role, with no tag or alias.
			{"deploy starts rotation: invokes the rotator (RotateSecret needs it)", "deploy", "lambda:InvokeFunction", rotator, nil, true, nil},
			{"deploy creates the CMK secret: GenerateDataKey through Secrets Manager", "deploy", "kms:GenerateDataKey", key, via("secretsmanager", nil), true, nil},
			{"deploy creates the CMK secret: Decrypt through Secrets Manager", "deploy", "kms:Decrypt", key, via("secretsmanager", nil), true, nil},
			{"deploy creates an encrypted table: CreateGrant through DynamoDB", "deploy", "kms:CreateGrant", key, via("dynamodb", nil), true, nil},
			{"deploy writes the SecureString nonce through SSM", "deploy", "kms:GenerateDataKey", key, via("ssm", nonce), true, nil},
			{"deploy creates the key with the project's tags", "deploy", "kms:CreateKey", "*", createTags, true, nil},
			{"deploy enables rotation of the new key (key policy, no tag)", "deploy", "kms:EnableKeyRotation", key, with(nil, nil), true, nil},
			{"deploy points the alias at the new key (key policy, no tag)", "deploy", "kms:CreateAlias", key, with(nil, nil), true, nil},
			{"deploy updates the policy of its key", "deploy", "kms:PutKeyPolicy", key, with(nil, nil), true, nil},
			// What a review found open.
			{"deploy cannot create a key with another tag key", "deploy", "kms:CreateKey", "*", extraTag, false, nil},
			{"deploy cannot invoke another function", "deploy", "lambda:InvokeFunction", arn("lambda", "function:"+e.Functions.FPIngestion), nil, false, nil},
			{"deploy cannot replace the application's code", "deploy", "lambda:UpdateFunctionCode", arn("lambda", "function:"+e.Functions.FPIngestion), nil, false, nil},
			{"deploy cannot use a foreign key through Secrets Manager", "deploy", "kms:Decrypt", foreignKey, via("secretsmanager", nil), false, nil},
			{"deploy cannot decrypt directly", "deploy", "kms:Decrypt", key, with(nil, nil), false, nil},
			{"deploy cannot read the salt", "deploy", "secretsmanager:GetSecretValue", secret, nil, false, nil},
			{"deploy cannot give the secret a resource policy", "deploy", "secretsmanager:PutResourcePolicy", secret, nil, false, nil},
			{"deploy cannot decrypt another parameter through SSM", "deploy", "kms:Decrypt", key, via("ssm", otherParameter), false, nil},
			{"deploy cannot rewrite a foreign key's policy", "deploy", "kms:PutKeyPolicy", foreignKey, with(nil, nil), false, nil},
			{"deploy cannot schedule a foreign key's deletion", "deploy", "kms:ScheduleKeyDeletion", foreignKey, with(nil, nil), false, nil},
			// Key administration never includes use (named actions, no kms:Create*).
			{"an administrator cannot grant itself use of the key", "admin", "kms:CreateGrant", key, with(nil, nil), false, nil},
			{"an administrator cannot decrypt", "admin", "kms:Decrypt", key, with(nil, nil), false, nil},
			{"an administrator can still update the key policy (no lock-out)", "admin", "kms:PutKeyPolicy", key, with(nil, nil), true, nil},
			// The plan role only reads.
			{"plan reads the key policy", "plan", "kms:GetKeyPolicy", key, with(nil, nil), true, nil},
			{"plan refreshes the nonce: Decrypt through SSM (the provider decrypts on read)", "plan", "kms:Decrypt", key, via("ssm", nonce), true, nil},
			{"plan cannot decrypt another parameter", "plan", "kms:Decrypt", key, via("ssm", otherParameter), false, nil},
			{"plan cannot decrypt through Secrets Manager", "plan", "kms:Decrypt", key, via("secretsmanager", nil), false, nil},
			{"plan cannot create keys", "plan", "kms:CreateKey", "*", createTags, false, nil},
			{"plan cannot rewrite the key policy", "plan", "kms:PutKeyPolicy", key, with(nil, nil), false, nil},
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
			switch r.resource {
			case foreignKey:
				j.resource = defaultKeyPolicy(e.AccountID)
			case key:
				j.resource = keyPolicy
			}
			return j
		})
	}
}

// defaultKeyPolicy is the policy AWS gives a key created without one: the
// account's IAM policies decide (a foreign key of someone else in the account).
func defaultKeyPolicy(account string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "EnableIAMUserPermissions", "Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"},
		"Action": "kms:*", "Resource": "*"}}}
}
