package ci

import (
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Scope names what one environment's deploy and plan roles may touch: the
// service's names (names.Env) with "*" where a name varies; a test checks
// that every resource of the service stack falls inside them.
type Scope struct {
	Names names.Env
	// StateBucket and StateKeyPrefix locate the environment's state objects.
	StateBucket, StateKeyPrefix string
	// StateKeyArn is the state bucket's KMS key.
	StateKeyArn string
	// LambdaRoles are the Lambda execution roles' names (made by the
	// bootstrap): the deploy role writes their inline policies only.
	LambdaRoles []string
	// Functions are the environment's Lambda function names (their log groups).
	Functions []string
	// RotatorFunction is the one function the stacks create (the salt
	// rotator) and RotatorRole its execution role, the only role the deploy
	// role may pass.
	RotatorFunction, RotatorRole string
	// LockTable is the DynamoDB lock table of the state, if the state uses one.
	LockTable string
}

// resources by service, all of this environment only.
func (s Scope) tables() []string {
	n := s.Names
	return []string{n.TableARN(n.Named("*")), n.TableIndexesARN(n.Named("*")), n.TableARN(n.BlockCounterTable())}
}

// tableData are the tables with everything their data can be read through:
// indexes, streams, backups and exports.
func (s Scope) tableData() []string {
	out := []string{}
	for _, t := range []string{s.Names.TableARN(s.Names.Named("*")), s.Names.TableARN(s.Names.BlockCounterTable())} {
		out = append(out, t, t+"/index/*", t+"/stream/*", t+"/backup/*", t+"/export/*")
	}
	return out
}
func (s Scope) secrets() []string { return []string{s.Names.SecretARN(s.Names.SaltSecret())} }
func (s Scope) parameters() []string {
	return []string{s.Names.ParameterARN(s.Names.NonceParameter())}
}
func (s Scope) roles() []string {
	out := []string{}
	for _, r := range s.LambdaRoles {
		out = append(out, s.Names.RoleARN(r))
	}
	return out
}
func (s Scope) rotator() []string { return []string{s.Names.FunctionARN(s.RotatorFunction)} }
func (s Scope) logGroups() []string {
	out := []string{}
	for _, f := range s.Functions {
		out = append(out, s.Names.LogGroupARNs(names.LogGroup(f))...)
	}
	return out
}
func (s Scope) topics() []string {
	topic := s.Names.TopicARN(s.Names.Topic("*"))
	return []string{topic, topic + ":*"}
}
func (s Scope) alarms() []string     { return []string{s.Names.AlarmARN(s.Names.Alarm("*"))} }
func (s Scope) dashboards() []string { return []string{s.Names.DashboardARN(s.Names.Dashboard())} }
func (s Scope) rules() []string      { return []string{s.Names.RuleARN(s.Names.Named("*"))} }
func (s Scope) aliases() []string    { return []string{s.Names.AliasARN(s.Names.KeyAlias())} }
func (s Scope) stateObjects() string {
	return names.BucketARN(s.StateBucket) + "/" + s.Names.StatePrefix(s.StateKeyPrefix) + "*"
}

func (s Scope) stateStatements(write bool) []iamdoc.Statement {
	objectActions := []string{"s3:GetObject"}
	keyActions := []string{"kms:Decrypt"}
	if write {
		// PutObject and DeleteObject also create and release the lock file.
		objectActions = append(objectActions, "s3:PutObject", "s3:DeleteObject")
		keyActions = append(keyActions, "kms:Encrypt", "kms:GenerateDataKey")
	}
	out := []iamdoc.Statement{
		{Sid: "StateObjectsOfThisEnvironment", Actions: objectActions, Resources: []string{s.stateObjects()}},
		// The S3 backend also lists the workspaces ("env:/", its default
		// workspace_key_prefix) at every init and plan (seen by the drill's
		// recorder): key names only, in a bucket of this environment's account.
		{Sid: "ListOnlyThisEnvironmentsStatePrefix", Actions: []string{"s3:ListBucket"}, Resources: []string{names.BucketARN(s.StateBucket)},
			Conditions: []iamdoc.Condition{{Test: "StringLike", Variable: "s3:prefix", Values: []string{s.Names.StatePrefix(s.StateKeyPrefix) + "*", "env:/*"}}}},
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
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "kms:ViaService", Values: []string{s.Names.ServiceEndpoint("dynamodb")}}}})
}

// readStatements are what refreshing the environment's resources needs
// (plan). What the roles may read of the environment's key is in its key
// policy (KeyPolicyStatements), not here.
func (s Scope) readStatements() []iamdoc.Statement {
	return []iamdoc.Statement{
		{Sid: "ReadTables", Actions: []string{"dynamodb:Describe*", "dynamodb:List*"}, Resources: s.tables()},
		{Sid: "ReadSecretMetadata", Actions: []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"}, Resources: s.secrets()},
		{Sid: "ReadParameters", Actions: []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:ListTagsForResource"}, Resources: s.parameters()},
		{Sid: "ReadTheLambdaRoles", Actions: []string{"iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies"},
			Resources: s.roles()},
		{Sid: "ReadTheRotator", Actions: []string{"lambda:Get*", "lambda:List*"}, Resources: s.rotator()},
		{Sid: "ReadLogGroups", Actions: []string{"logs:ListTagsForResource", "logs:ListTagsLogGroup"}, Resources: s.logGroups()},
		{Sid: "ReadTopics", Actions: []string{"sns:Get*", "sns:List*"}, Resources: s.topics()},
		{Sid: "ReadAlarmsAndDashboard", Actions: []string{"cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*"}, Resources: append(s.alarms(), s.dashboards()...)},
		{Sid: "ReadRules", Actions: []string{"events:Describe*", "events:List*"}, Resources: s.rules()},
		// Refreshing a table encrypted with a customer managed key, the
		// provider describes the AWS managed key alias/aws/dynamodb to compare
		// (seen by the drill's recorder): metadata of that one key, by alias.
		{Sid: "DescribeTheDynamoDBManagedKey", Actions: []string{"kms:DescribeKey"}, Resources: []string{s.Names.KeysARN()},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "kms:RequestAlias", Values: []string{names.DynamoDBManagedKeyAlias}}}},
		// These List/Describe calls have no resource-level permissions in IAM.
		{Sid: "ListCallsWithoutResourceTypes", Resources: []string{"*"}, Actions: []string{
			"ssm:DescribeParameters", "logs:DescribeLogGroups", "logs:DescribeQueryDefinitions", "kms:ListAliases",
		}},
	}
}

// neverStatements are explicit denials in both roles' policies, which the
// bootstrap owns: whatever either role later makes of a key policy, a
// resource policy or a role it may write, it never reads a secret value or
// the service's data itself, and never assumes a role.
func (s Scope) neverStatements() []iamdoc.Statement {
	return []iamdoc.Statement{
		{Sid: "NeverReadSecretValues", Deny: true, Resources: []string{"*"}, Actions: []string{
			"secretsmanager:GetSecretValue", "secretsmanager:BatchGetSecretValue"}},
		// Whatever the deploy role writes into the key policy (it administers
		// the key), it never uses a key itself, only through a service.
		{Sid: "NeverUseKeysDirectly", Deny: true, Resources: []string{"*"}, Actions: []string{"kms:Decrypt", "kms:ReEncryptFrom", "kms:CreateGrant"},
			Conditions: []iamdoc.Condition{{Test: "Null", Variable: "kms:ViaService", Values: []string{"true"}}}},
		{Sid: "NeverReadOrWriteTheData", Deny: true, Resources: s.tableData(), Actions: []string{
			"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:UpdateItem",
			"dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate",
			"dynamodb:PartiQLDelete", "dynamodb:ExportTableToPointInTime", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
			"dynamodb:CreateBackup", "dynamodb:RestoreTableFromBackup", "dynamodb:RestoreTableToPointInTime", "dynamodb:ImportTable",
			"dynamodb:PutResourcePolicy", "dynamodb:EnableKinesisStreamingDestination"}},
		// What no reviewed plan of the stacks asks for, denied whatever else allows it.
		{Sid: "NeverKeysOutsideTheProjectsKind", Deny: true, Resources: []string{"*"}, Actions: []string{"kms:CreateKey", "kms:PutKeyPolicy"},
			Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "kms:BypassPolicyLockoutSafetyCheck", Values: []string{"true"}}}},
		{Sid: "NeverMultiRegionKeys", Deny: true, Resources: []string{"*"}, Actions: []string{"kms:CreateKey"},
			Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "kms:MultiRegion", Values: []string{"true"}}}},
		{Sid: "NeverKeysFromOutsideKMS", Deny: true, Resources: []string{"*"}, Actions: []string{"kms:CreateKey"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "kms:KeyOrigin", Values: []string{"EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE"}}}},
		{Sid: "NeverDeleteTheSaltWithoutRecovery", Deny: true, Resources: s.secrets(), Actions: []string{"secretsmanager:DeleteSecret"},
			Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "secretsmanager:ForceDeleteWithoutRecovery", Values: []string{"true"}}}},
		{Sid: "NeverAssumeRoles", Deny: true, Resources: []string{"*"}, Actions: []string{
			"sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"}},
	}
}

// PlanStatements are the plan role's permissions: read the state and refresh
// the environment's resources; no writes (plans run with -lock=false), no
// secret value.
func PlanStatements(s Scope) []iamdoc.Statement {
	out := append(s.stateStatements(false), s.readStatements()...)
	return append(out, s.neverStatements()...)
}

// DeployStatements are the deploy role's permissions: the plan role's, plus
// creating, changing and deleting what the service stack creates, each scoped
// by name, and nothing that bounds the roles (their trust, their boundary, the
// CI roles themselves: the bootstrap's).
func DeployStatements(s Scope) []iamdoc.Statement {
	out := append(s.stateStatements(true), s.readStatements()...)
	out = append(out, s.neverStatements()...)
	return append(out, s.manageStatements()...)
}
