package ci

import (
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// TagKeys are the tag keys the provider's default tags put on every resource
// (stackbase.Provider): the only tags the deploy role may set on a new key.
var TagKeys = []string{"Environment", "ManagedBy", "Project"}

// manageStatements create, change and delete what the service stack creates.
func (s Scope) manageStatements() []iamdoc.Statement {
	lambdaPrincipal := iamdoc.Condition{Test: "StringEquals", Variable: "iam:PassedToService", Values: []string{names.ServicePrincipal("lambda")}}
	return []iamdoc.Statement{
		{Sid: "ManageTables", Resources: s.tables(), Actions: []string{
			"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "dynamodb:UpdateTimeToLive",
			"dynamodb:UpdateContinuousBackups", "dynamodb:UpdateContributorInsights", "dynamodb:TagResource", "dynamodb:UntagResource"}},
		// A new key has no ARN to scope by. CreateKey (and the kms:TagResource
		// that tagging at creation needs, on any key) is limited to the
		// project's own tag keys and this environment's values. No permission
		// of either role depends on a key's tags or aliases: what they may do to
		// and with the environment's key is in its key policy, which names them
		// in the CreateKey call itself (KeyPolicyStatements).
		{Sid: "CreateKeysTaggedForThisEnvironment", Actions: []string{"kms:CreateKey", "kms:TagResource"}, Resources: []string{"*"},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: "aws:RequestTag/Project", Values: []string{s.Names.Project}},
				{Test: "StringEquals", Variable: "aws:RequestTag/Environment", Values: []string{s.Names.Environment}},
				{Test: "ForAllValues:StringEquals", Variable: "aws:TagKeys", Values: TagKeys},
			}},
		// The first UpdateContributorInsights of an account makes DynamoDB create
		// its service-linked role, with the caller's permission ("Using IAM with
		// CloudWatch contributor insights for DynamoDB"): that role only.
		{Sid: "CreateTheContributorInsightsServiceLinkedRole", Resources: []string{s.Names.ContributorInsightsRoleARN()},
			Actions:    []string{"iam:CreateServiceLinkedRole"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "iam:AWSServiceName", Values: []string{names.ContributorInsightsService}}}},
		// An alias is authorized on the alias (here) and on the key (its key policy).
		{Sid: "ManageTheKeyAlias", Resources: s.aliases(), Actions: []string{"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"}},
		{Sid: "ManageTheSaltSecretWithoutReadingIt", Resources: s.secrets(), Actions: []string{
			"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret",
			"secretsmanager:CancelRotateSecret", "secretsmanager:TagResource", "secretsmanager:UntagResource"}},
		// Rotation only by the rotator (when the request names a function).
		{Sid: "RotateTheSaltOnlyWithTheRotator", Resources: s.secrets(), Actions: []string{"secretsmanager:RotateSecret"},
			Conditions: []iamdoc.Condition{{Test: "ArnEqualsIfExists", Variable: "secretsmanager:RotationLambdaARN", Values: s.rotator()}}},
		{Sid: "ManageTheNonceParameter", Resources: s.parameters(), Actions: []string{
			"ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"}},
		// The Lambda roles, their trust and their boundary are the bootstrap's:
		// the deploy role writes their inline policies, which the boundary caps.
		{Sid: "WriteTheLambdaRolesInlinePolicies", Resources: s.roles(), Actions: []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "iam:PermissionsBoundary", Values: []string{s.Names.PolicyARN(s.Names.LambdaBoundary())}}}},
		{Sid: "PassTheRotatorRoleToLambdaOnly", Resources: []string{s.Names.RoleARN(s.RotatorRole)}, Actions: []string{"iam:PassRole"},
			Conditions: []iamdoc.Condition{lambdaPrincipal}},
		// RotateSecret (which aws_secretsmanager_secret_rotation calls) also needs
		// lambda:InvokeFunction on the rotation function (Secrets Manager API
		// Reference, RotateSecret).
		{Sid: "ManageTheRotator", Resources: s.rotator(), Actions: []string{
			"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:TagResource", "lambda:UntagResource", "lambda:InvokeFunction"}},
		// Only Secrets Manager and EventBridge may be allowed to invoke it.
		{Sid: "LetOnlySecretsManagerAndEventBridgeInvokeTheRotator", Resources: s.rotator(),
			Actions: []string{"lambda:AddPermission", "lambda:RemovePermission"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "lambda:Principal",
				Values: []string{names.ServicePrincipal("secretsmanager"), names.ServicePrincipal("events")}}}},
		{Sid: "ManageLogGroups", Resources: s.logGroups(), Actions: []string{
			"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"}},
		{Sid: "ManageTopics", Resources: s.topics(), Actions: []string{
			"sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Unsubscribe",
			"sns:SetSubscriptionAttributes", "sns:TagResource", "sns:UntagResource"}},
		// Alerts go to e-mail: no HTTPS, Lambda or SQS endpoint of anyone's.
		{Sid: "SubscribeOnlyEmail", Resources: s.topics(), Actions: []string{"sns:Subscribe"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "sns:Protocol", Values: []string{"email"}}}},
		// An alarm's actions can only publish to this environment's topics
		// (no EC2 stop or terminate, no Auto Scaling, no other account's topic).
		{Sid: "ManageAlarms", Resources: s.alarms(), Actions: []string{
			"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"},
			Conditions: []iamdoc.Condition{{Test: "ForAllValues:ArnLike", Variable: "cloudwatch:AlarmActions", Values: []string{s.topics()[0]}}}},
		{Sid: "ManageTheDashboard", Resources: s.dashboards(), Actions: []string{"cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"}},
		{Sid: "ManageRules", Resources: s.rules(), Actions: []string{
			"events:PutRule", "events:DeleteRule", "events:RemoveTargets", "events:TagResource", "events:UntagResource"}},
		// The age-check rule targets the rotator and nothing else.
		{Sid: "TargetOnlyTheRotator", Resources: s.rules(), Actions: []string{"events:PutTargets"},
			// events:TargetArn is multivalued (one per target): every target, and at least one.
			Conditions: []iamdoc.Condition{
				{Test: "ForAllValues:ArnEquals", Variable: "events:TargetArn", Values: s.rotator()},
				{Test: "Null", Variable: "events:TargetArn", Values: []string{"false"}},
			}},
		// Saved Logs Insights queries have no resource type in IAM.
		{Sid: "ManageSavedQueries", Resources: []string{"*"}, Actions: []string{"logs:PutQueryDefinition", "logs:DeleteQueryDefinition"}},
	}
}

// KeyPolicyStatements are what the environment key's policy grants the
// deploy and plan roles, by name: the deploy role administers the key and
// lets DynamoDB, SSM and Secrets Manager use it on its behalf (creating
// encrypted tables, the SecureString nonce and the salt secret); the plan
// role reads the key's metadata. Set in CreateKey, so in force from the
// key's first moment; no tag or alias is involved.
func KeyPolicyStatements(n names.Env) []iamdoc.Statement {
	deploy := []iamdoc.Principal{{Type: "AWS", Identifiers: []string{n.RoleARN(n.DeployRole())}}}
	plan := []iamdoc.Principal{{Type: "AWS", Identifiers: []string{n.RoleARN(n.PlanRole())}}}
	via := func(services ...string) []iamdoc.Condition {
		endpoints := []string{}
		for _, s := range services {
			endpoints = append(endpoints, n.ServiceEndpoint(s))
		}
		return []iamdoc.Condition{
			{Test: "StringEquals", Variable: "kms:ViaService", Values: endpoints},
			{Test: "StringEquals", Variable: "kms:CallerAccount", Values: []string{n.AccountID}},
		}
	}
	nonce := iamdoc.Condition{Test: "StringEquals", Variable: "kms:EncryptionContext:PARAMETER_ARN", Values: []string{n.ParameterARN(n.NonceParameter())}}
	return []iamdoc.Statement{
		{Sid: "DeployRoleAdministersTheKey", Principals: deploy, Resources: []string{"*"}, Actions: []string{
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
			"kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
			"kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"}},
		// Creating a table encrypted with a customer managed key: the six actions
		// of "Key policy for a customer managed key" (AWS KMS Developer Guide,
		// "How Amazon DynamoDB uses AWS KMS").
		{Sid: "DeployRoleCreatesEncryptedTablesThroughDynamoDB", Principals: deploy, Resources: []string{"*"}, Conditions: via("dynamodb"),
			Actions: []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"}},
		// PutParameter of a SecureString: SSM encrypts for the caller, for this
		// parameter only (SSM's encryption context names it).
		{Sid: "DeployRoleWritesTheNonceThroughSSM", Principals: deploy, Resources: []string{"*"}, Conditions: append(via("ssm"), nonce),
			Actions: []string{"kms:Encrypt", "kms:GenerateDataKey"}},
		// The AWS provider refreshes aws_ssm_parameter with GetParameter
		// WithDecryption=true, whatever value_wo says: every plan of the stack
		// decrypts the nonce. Only the nonce (encryption context), only through SSM.
		{Sid: "CIRolesRefreshTheNonceThroughSSM", Principals: []iamdoc.Principal{{Type: "AWS", Identifiers: []string{n.RoleARN(n.DeployRole()), n.RoleARN(n.PlanRole())}}}, Resources: []string{"*"}, Conditions: append(via("ssm"), nonce),
			Actions: []string{"kms:Decrypt"}},
		// CreateSecret with a customer managed key needs kms:GenerateDataKey and
		// kms:Decrypt (Secrets Manager API Reference, CreateSecret).
		{Sid: "DeployRoleCreatesTheSecretThroughSecretsManager", Principals: deploy, Resources: []string{"*"}, Conditions: via("secretsmanager"),
			Actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}},
		{Sid: "PlanRoleReadsTheKey", Principals: plan, Resources: []string{"*"}, Actions: []string{
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"}},
	}
}
