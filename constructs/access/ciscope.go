package access

import (
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// CIScope names what one environment's deploy and plan roles may touch: the
// service's names (names.Env) with "*" where a name varies; a test checks
// that every resource of the service stack falls inside them.
type CIScope struct {
	Names names.Env
	// StateBucket and StateKeyPrefix locate the environment's state objects.
	StateBucket, StateKeyPrefix string
	// StateKeyArn is the state bucket's KMS key.
	StateKeyArn string
	// Functions are the environment's Lambda function names.
	Functions []string
	// RotatorFunction is the salt rotation function, which RotateSecret invokes.
	RotatorFunction string
	// LockTable is the DynamoDB lock table of the state, if the state uses one.
	LockTable string
}

// resources by service, all of this environment only.
func (s CIScope) tables() []string {
	n := s.Names
	return []string{n.TableARN(n.Named("*")), n.TableIndexesARN(n.Named("*")), n.TableARN(n.BlockCounterTable())}
}
func (s CIScope) secrets() []string { return []string{s.Names.SecretARN(s.Names.SaltSecret())} }
func (s CIScope) parameters() []string {
	return []string{s.Names.ParameterARN(s.Names.NonceParameter())}
}
func (s CIScope) roles() []string  { return []string{s.Names.RoleARN(s.Names.LambdaRole("*"))} }
func (s CIScope) boundary() string { return s.Names.PolicyARN(s.Names.LambdaBoundary()) }
func (s CIScope) functions() []string {
	out := []string{}
	for _, f := range s.Functions {
		out = append(out, s.Names.FunctionARN(f))
	}
	return out
}
func (s CIScope) logGroups() []string {
	out := []string{}
	for _, f := range s.Functions {
		out = append(out, s.Names.LogGroupARNs(names.LogGroup(f))...)
	}
	return out
}
func (s CIScope) topics() []string {
	topic := s.Names.TopicARN(s.Names.Topic("*"))
	return []string{topic, topic + ":*"}
}
func (s CIScope) alarms() []string     { return []string{s.Names.AlarmARN(s.Names.Alarm("*"))} }
func (s CIScope) dashboards() []string { return []string{s.Names.DashboardARN(s.Names.Dashboard())} }
func (s CIScope) rules() []string      { return []string{s.Names.RuleARN(s.Names.Named("*"))} }
func (s CIScope) keys() []string       { return []string{s.Names.KeysARN()} }
func (s CIScope) aliases() []string    { return []string{s.Names.AliasARN(s.Names.KeyAlias())} }
func (s CIScope) stateObjects() string {
	return names.BucketARN(s.StateBucket) + "/" + s.Names.StatePrefix(s.StateKeyPrefix) + "*"
}

// theKey limits an action on existing keys to this environment's key, by its
// alias. Not by tags: creating a key with tags needs kms:TagResource on every
// key of the account (AWS KMS Developer Guide, "Controlling access to tags"),
// so a tag condition could be met by tagging someone else's key.
func (s CIScope) theKey() []iamdoc.Condition {
	return []iamdoc.Condition{{Test: "ForAnyValue:StringEquals", Variable: "kms:ResourceAliases", Values: []string{s.Names.KeyAlias()}}}
}

// tagged limits an action to keys that carry this environment's tags.
func (s CIScope) tagged() []iamdoc.Condition {
	return []iamdoc.Condition{
		{Test: "StringEquals", Variable: "aws:ResourceTag/Project", Values: []string{s.Names.Project}},
		{Test: "StringEquals", Variable: "aws:ResourceTag/Environment", Values: []string{s.Names.Environment}},
	}
}

// newKey limits an action to a key that carries this environment's tags and
// has no alias yet: the moments between CreateKey and CreateAlias.
func (s CIScope) newKey() []iamdoc.Condition {
	return append(s.tagged(), iamdoc.Condition{Test: "Null", Variable: "kms:ResourceAliases", Values: []string{"true"}})
}

// via limits key use to requests that the named services make on the caller's behalf.
func (s CIScope) via(services ...string) iamdoc.Condition {
	endpoints := make([]string, 0, len(services))
	for _, svc := range services {
		endpoints = append(endpoints, s.Names.ServiceEndpoint(svc))
	}
	return iamdoc.Condition{Test: "StringEquals", Variable: "kms:ViaService", Values: endpoints}
}

func (s CIScope) stateStatements(write bool) []iamdoc.Statement {
	objectActions := []string{"s3:GetObject"}
	keyActions := []string{"kms:Decrypt"}
	if write {
		// PutObject and DeleteObject also create and release the lock file.
		objectActions = append(objectActions, "s3:PutObject", "s3:DeleteObject")
		keyActions = append(keyActions, "kms:Encrypt", "kms:GenerateDataKey")
	}
	out := []iamdoc.Statement{
		{Sid: "StateObjectsOfThisEnvironment", Actions: objectActions, Resources: []string{s.stateObjects()}},
		{Sid: "ListOnlyThisEnvironmentsStatePrefix", Actions: []string{"s3:ListBucket"}, Resources: []string{names.BucketARN(s.StateBucket)},
			Conditions: []iamdoc.Condition{{Test: "StringLike", Variable: "s3:prefix", Values: []string{s.Names.StatePrefix(s.StateKeyPrefix) + "*"}}}},
		{Sid: "StateKeyThroughS3", Actions: keyActions, Resources: []string{s.StateKeyArn},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "kms:ViaService", Values: []string{s.Names.ServiceEndpoint("s3")}}}},
	}
	if s.LockTable == "" {
		return out
	}
	// The backend keeps the lock and the state's digest in the table: a plan
	// (-lock=false in the workflows) reads the digest; an apply writes both.
	lockActions := []string{"dynamodb:GetItem"}
	if write {
		lockActions = append(lockActions, "dynamodb:PutItem", "dynamodb:DeleteItem")
	}
	return append(out,
		iamdoc.Statement{Sid: "StateLockTable", Actions: lockActions, Resources: []string{s.Names.TableARN(s.LockTable)}},
		iamdoc.Statement{Sid: "StateLockKeyThroughDynamoDB", Actions: []string{"kms:Decrypt"}, Resources: []string{s.StateKeyArn},
			Conditions: []iamdoc.Condition{s.via("dynamodb")}})
}

// readStatements are what refreshing the environment's resources needs (plan).
func (s CIScope) readStatements() []iamdoc.Statement {
	return []iamdoc.Statement{
		{Sid: "ReadTables", Actions: []string{"dynamodb:Describe*", "dynamodb:List*"}, Resources: s.tables()},
		{Sid: "ReadTheKey", Actions: []string{"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags"}, Resources: s.keys(), Conditions: s.theKey()},
		{Sid: "ReadSecretMetadata", Actions: []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"}, Resources: s.secrets()},
		{Sid: "ReadParameters", Actions: []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"}, Resources: s.parameters()},
		{Sid: "ReadRolesAndBoundary", Actions: []string{"iam:Get*", "iam:List*"}, Resources: append(s.roles(), s.boundary())},
		{Sid: "ReadFunctions", Actions: []string{"lambda:Get*", "lambda:List*"}, Resources: s.functions()},
		{Sid: "ReadLogGroups", Actions: []string{"logs:ListTagsForResource", "logs:ListTagsLogGroup"}, Resources: s.logGroups()},
		{Sid: "ReadTopics", Actions: []string{"sns:Get*", "sns:List*"}, Resources: s.topics()},
		{Sid: "ReadAlarmsAndDashboard", Actions: []string{"cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"}, Resources: append(s.alarms(), s.dashboards()...)},
		{Sid: "ReadRules", Actions: []string{"events:Describe*", "events:List*"}, Resources: s.rules()},
		// These List/Describe calls have no resource-level permissions in IAM.
		{Sid: "ListCallsWithoutResourceTypes", Resources: []string{"*"}, Actions: []string{
			"ssm:DescribeParameters", "logs:DescribeLogGroups", "logs:DescribeQueryDefinitions", "kms:ListAliases", "iam:ListOpenIDConnectProviders",
		}},
		{Sid: "DecryptTheNonceThroughSSM", Actions: []string{"kms:Decrypt"}, Resources: s.keys(),
			Conditions: append(s.tagged(), s.via("ssm"))},
	}
}

// PlanStatements are the plan role's permissions: read the state and refresh
// the environment's resources; no writes (pull-request plans run with -lock=false).
func PlanStatements(s CIScope) []iamdoc.Statement {
	return append(s.stateStatements(false), s.readStatements()...)
}

// DeployStatements are the deploy role's permissions: the plan role's, plus
// creating, changing and deleting the environment's resources, scoped by name
// or tag wherever IAM allows.
func DeployStatements(s CIScope) []iamdoc.Statement {
	out := append(s.stateStatements(true), s.readStatements()...)
	return append(out,
		iamdoc.Statement{Sid: "ManageTables", Resources: s.tables(), Actions: []string{
			"dynamodb:CreateTable", "dynamodb:DeleteTable", "dynamodb:Update*", "dynamodb:TagResource", "dynamodb:UntagResource"}},
		// A new key has no ARN to scope by: creation requires this environment's
		// tags instead (and kms:TagResource on any key, which tagging at creation needs).
		iamdoc.Statement{Sid: "CreateKeysTaggedForThisEnvironment", Actions: []string{"kms:CreateKey", "kms:TagResource"}, Resources: []string{"*"},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: "aws:RequestTag/Project", Values: []string{s.Names.Project}},
				{Test: "StringEquals", Variable: "aws:RequestTag/Environment", Values: []string{s.Names.Environment}},
			}},
		// Between CreateKey and CreateAlias Terraform enables rotation, reads the key
		// back and points the alias at it; nothing else is allowed on an unaliased key.
		iamdoc.Statement{Sid: "FinishANewKeyUntilItHasItsAlias", Resources: s.keys(), Conditions: s.newKey(), Actions: []string{
			"kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags", "kms:EnableKeyRotation", "kms:CreateAlias"}},
		iamdoc.Statement{Sid: "ManageTheKeyOfThisEnvironment", Resources: s.keys(), Conditions: s.theKey(), Actions: []string{
			"kms:PutKeyPolicy", "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion",
			"kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"}},
		// Creating encrypted tables, the SecureString nonce and the secret makes these
		// services use the key on the deploy role's behalf: DynamoDB needs the six
		// actions of "Key policy for a customer managed key" (AWS KMS Developer Guide,
		// "How Amazon DynamoDB uses AWS KMS"); CreateSecret with a customer managed key
		// needs kms:GenerateDataKey and kms:Decrypt (Secrets Manager API Reference,
		// CreateSecret). Never directly, and only through these services, which
		// reach only this environment's tables, parameter and secret (scoped by
		// name above). By tag, not alias: Terraform creates the tables in parallel
		// with the alias.
		iamdoc.Statement{Sid: "UseTheKeyThroughDynamoDBAndSSM", Resources: s.keys(), Conditions: append(s.tagged(), s.via("dynamodb", "ssm")),
			Actions: []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"}},
		iamdoc.Statement{Sid: "UseTheKeyThroughSecretsManager", Resources: s.keys(), Conditions: append(s.tagged(), s.via("secretsmanager")),
			Actions: []string{"kms:GenerateDataKey", "kms:Decrypt"}},
		iamdoc.Statement{Sid: "ManageTheKeyAlias", Resources: s.aliases(), Actions: []string{"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"}},
		iamdoc.Statement{Sid: "ManageTheSaltSecretWithoutReadingIt", Resources: s.secrets(), Actions: []string{
			"secretsmanager:CreateSecret", "secretsmanager:DeleteSecret", "secretsmanager:UpdateSecret", "secretsmanager:RotateSecret",
			"secretsmanager:CancelRotateSecret", "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy",
			"secretsmanager:TagResource", "secretsmanager:UntagResource"}},
		iamdoc.Statement{Sid: "ManageTheNonceParameter", Resources: s.parameters(), Actions: []string{
			"ssm:PutParameter", "ssm:DeleteParameter", "ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"}},
		// Roles can only be created and changed with this environment's boundary attached.
		iamdoc.Statement{Sid: "ManageRolesOnlyWithTheBoundary", Resources: s.roles(), Actions: []string{
			"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "iam:PermissionsBoundary", Values: []string{s.boundary()}}}},
		iamdoc.Statement{Sid: "ManageRoles", Resources: s.roles(), Actions: []string{
			"iam:DeleteRole", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole"}},
		iamdoc.Statement{Sid: "PassRolesToLambdaOnly", Resources: s.roles(), Actions: []string{"iam:PassRole"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "iam:PassedToService", Values: []string{"lambda.amazonaws.com"}}}},
		iamdoc.Statement{Sid: "ManageTheBoundaryPolicy", Resources: []string{s.boundary()}, Actions: []string{
			"iam:CreatePolicy", "iam:DeletePolicy", "iam:CreatePolicyVersion", "iam:DeletePolicyVersion", "iam:TagPolicy", "iam:UntagPolicy"}},
		iamdoc.Statement{Sid: "NeverRemoveTheBoundary", Deny: true, Resources: s.roles(), Actions: []string{"iam:DeleteRolePermissionsBoundary"}},
		// RotateSecret (which aws_secretsmanager_secret_rotation calls) also needs
		// lambda:InvokeFunction on the rotation function (Secrets Manager API
		// Reference, RotateSecret): on that one function only.
		iamdoc.Statement{Sid: "InvokeTheRotatorWhenStartingRotation", Resources: []string{s.Names.FunctionARN(s.RotatorFunction)}, Actions: []string{"lambda:InvokeFunction"}},
		iamdoc.Statement{Sid: "ManageFunctions", Resources: s.functions(), Actions: []string{
			"lambda:CreateFunction", "lambda:DeleteFunction", "lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration",
			"lambda:AddPermission", "lambda:RemovePermission", "lambda:TagResource", "lambda:UntagResource"}},
		iamdoc.Statement{Sid: "ManageLogGroups", Resources: s.logGroups(), Actions: []string{
			"logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy",
			"logs:AssociateKmsKey", "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup", "logs:UntagLogGroup"}},
		iamdoc.Statement{Sid: "ManageTopics", Resources: s.topics(), Actions: []string{
			"sns:CreateTopic", "sns:DeleteTopic", "sns:SetTopicAttributes", "sns:Subscribe", "sns:Unsubscribe",
			"sns:SetSubscriptionAttributes", "sns:TagResource", "sns:UntagResource"}},
		iamdoc.Statement{Sid: "ManageAlarms", Resources: s.alarms(), Actions: []string{
			"cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:TagResource", "cloudwatch:UntagResource"}},
		iamdoc.Statement{Sid: "ManageTheDashboard", Resources: s.dashboards(), Actions: []string{"cloudwatch:PutDashboard", "cloudwatch:DeleteDashboards"}},
		iamdoc.Statement{Sid: "ManageRules", Resources: s.rules(), Actions: []string{
			"events:PutRule", "events:DeleteRule", "events:PutTargets", "events:RemoveTargets", "events:TagResource", "events:UntagResource"}},
		// Saved Logs Insights queries have no resource type in IAM.
		iamdoc.Statement{Sid: "ManageSavedQueries", Resources: []string{"*"}, Actions: []string{"logs:PutQueryDefinition", "logs:DeleteQueryDefinition"}},
	)
}
