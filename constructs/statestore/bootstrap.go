package statestore

import (
	"errors"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamopenidconnectprovider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketlifecycleconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketownershipcontrols"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpublicaccessblock"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketserversideencryptionconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketversioning"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/pins"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// GitHubOIDCHost is the issuer of GitHub Actions' OIDC tokens.
const GitHubOIDCHost = "token.actions.githubusercontent.com"

// BootstrapStackName is the bootstrap stack of an environment's account.
func BootstrapStackName(env string) string { return "state-bootstrap-" + env }

// StateBucketName is the state bucket of an environment's account.
func StateBucketName(env config.Environment) string {
	return env.ProjectName + "-tfstate-" + env.AccountID + "-" + env.Region
}

// Bootstrap is the state-bootstrap stack of one environment's account.
type Bootstrap struct {
	Stack  cdktf.TerraformStack
	Key    *cmk.Key
	Bucket s3bucket.S3Bucket
	// LockTable is the DynamoDB lock table (settings: state.lock "dynamodb"), else nil.
	LockTable  *datastore.Table
	DeployRole iamrole.IamRole
	PlanRole   iamrole.IamRole
}

// NewBootstrap composes the state-bootstrap stack of env's account. It is
// applied once, with local state, by an administrator of that account.
func NewBootstrap(scope constructs.Construct, env config.Environment) (*Bootstrap, error) {
	if env.GitHubRepository == "" {
		return nil, errors.New("statestore: the environment's github_repository is required")
	}
	name := BootstrapStackName(env.Name)
	stack := cdktf.NewTerraformStack(scope, jsii.String(name))
	pins.Apply(stack)
	stackbase.Provider(stack, stackbase.ProviderProps{Region: env.Region, AccountID: env.AccountID, Project: env.ProjectName, Environment: env.Name,
		ExtraTags: map[string]string{"Stack": name}})
	cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{Path: jsii.String(LocalStatePath(name))})
	b := &Bootstrap{Stack: stack}

	bucketName := StateBucketName(env)
	lockTable := env.State.Lock == config.LockDynamoDB
	keyProps := cmk.Props{
		AliasName:      "alias/" + env.ProjectName + "-terraform-state-" + env.Name,
		Description:    "Encrypts the Terraform state of " + env.ProjectName + " " + env.Name,
		AccountID:      env.AccountID,
		Region:         env.Region,
		PreventDestroy: true,
	}
	if lockTable {
		// DynamoDB encrypts the lock table with the state key on behalf of
		// whoever creates and uses it.
		keyProps.AccountUseViaServices = []string{"dynamodb"}
	}
	var err error
	if b.Key, err = cmk.New(stack, "state_encryption_key", keyProps); err != nil {
		return nil, err
	}
	b.bucket(bucketName)
	if lockTable {
		// On demand, PITR and the CMK come with every datastore table.
		if b.LockTable, err = datastore.NewTable(stack, "state_lock_table", datastore.TableProps{
			Name:               env.LockTableName(),
			PartitionKey:       datastore.Attribute{Name: "LockID", Type: "S"},
			Key:                b.Key,
			DeletionProtection: true,
			PreventDestroy:     true,
		}); err != nil {
			return nil, err
		}
	}
	b.oidcRoles(env, bucketName)
	b.outputs(env, bucketName)
	return b, nil
}

func (b *Bootstrap) bucket(name string) {
	b.Bucket = s3bucket.NewS3Bucket(b.Stack, jsii.String("state_bucket"), &s3bucket.S3BucketConfig{
		Bucket:    jsii.String(name),
		Lifecycle: &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)},
	})
	id := b.Bucket.Id()
	s3bucketversioning.NewS3BucketVersioningA(b.Stack, jsii.String("state_bucket_versioning"), &s3bucketversioning.S3BucketVersioningAConfig{
		Bucket: id, VersioningConfiguration: &s3bucketversioning.S3BucketVersioningVersioningConfiguration{Status: jsii.String("Enabled")},
	})
	s3bucketserversideencryptionconfiguration.NewS3BucketServerSideEncryptionConfigurationA(b.Stack, jsii.String("state_bucket_encryption"),
		&s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationAConfig{
			Bucket: id,
			Rule: &[]*s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleA{{
				ApplyServerSideEncryptionByDefault: &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
					SseAlgorithm: jsii.String("aws:kms"), KmsMasterKeyId: b.Key.Arn(),
				},
				BucketKeyEnabled: jsii.Bool(true),
			}},
		})
	s3bucketpublicaccessblock.NewS3BucketPublicAccessBlock(b.Stack, jsii.String("state_bucket_public_access_block"), &s3bucketpublicaccessblock.S3BucketPublicAccessBlockConfig{
		Bucket: id, BlockPublicAcls: jsii.Bool(true), BlockPublicPolicy: jsii.Bool(true), IgnorePublicAcls: jsii.Bool(true), RestrictPublicBuckets: jsii.Bool(true),
	})
	s3bucketownershipcontrols.NewS3BucketOwnershipControls(b.Stack, jsii.String("state_bucket_ownership"), &s3bucketownershipcontrols.S3BucketOwnershipControlsConfig{
		Bucket: id, Rule: &s3bucketownershipcontrols.S3BucketOwnershipControlsRule{ObjectOwnership: jsii.String("BucketOwnerEnforced")},
	})
	s3bucketlifecycleconfiguration.NewS3BucketLifecycleConfiguration(b.Stack, jsii.String("state_bucket_lifecycle"), &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationConfig{
		Bucket: id,
		Rule: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{{
			Id:                             jsii.String("expire-old-state-versions"),
			Status:                         jsii.String("Enabled"),
			Filter:                         &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleFilter{Prefix: jsii.String("")},
			NoncurrentVersionExpiration:    &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration{NoncurrentDays: jsii.Number(90)},
			AbortIncompleteMultipartUpload: &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload{DaysAfterInitiation: jsii.Number(7)},
		}},
	})
	policy := iamdoc.NewDocument(b.Stack, "state_bucket_policy_document")
	policy.Add(iamdoc.Statement{
		Sid: "DenyRequestsWithoutTLS", Deny: true,
		Principals: []iamdoc.Principal{{Type: "*", Identifiers: []string{"*"}}},
		Actions:    []string{"s3:*"},
		Resources:  []string{*b.Bucket.Arn(), *b.Bucket.Arn() + "/*"},
		Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"false"}}},
	})
	s3bucketpolicy.NewS3BucketPolicy(b.Stack, jsii.String("state_bucket_policy"), &s3bucketpolicy.S3BucketPolicyConfig{Bucket: id, Policy: policy.JSON()})
}

func (b *Bootstrap) oidcRoles(env config.Environment, bucket string) {
	oidc := iamopenidconnectprovider.NewIamOpenidConnectProvider(b.Stack, jsii.String("github_oidc"), &iamopenidconnectprovider.IamOpenidConnectProviderConfig{
		Url:          jsii.String("https://" + GitHubOIDCHost),
		ClientIdList: jsii.Strings("sts.amazonaws.com"),
	})
	scope := Scope{Project: env.ProjectName, Environment: env.Name, Region: env.Region, AccountID: env.AccountID,
		StateBucket: bucket, StateKeyPrefix: stateKeyPrefix(env), StateKeyArn: *b.Key.Arn(),
		Functions:       []string{env.Functions.FPIngestion, env.Functions.CalibrationQuery, env.Functions.SaltRotator},
		RotatorFunction: env.Functions.SaltRotator}
	if b.LockTable != nil {
		scope.LockTable = b.LockTable.Name()
	}
	role := func(id, name string, subjects []string, statements []iamdoc.Statement, maxSession int, wildcardReason string) iamrole.IamRole {
		trust := iamdoc.NewDocument(b.Stack, id+"_trust")
		trust.Add(iamdoc.Statement{
			Sid:        "GitHubActionsOfThisRepository",
			Actions:    []string{"sts:AssumeRoleWithWebIdentity"},
			Principals: []iamdoc.Principal{{Type: "Federated", Identifiers: []string{*oidc.Arn()}}},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: GitHubOIDCHost + ":aud", Values: []string{"sts.amazonaws.com"}},
				{Test: "StringEquals", Variable: GitHubOIDCHost + ":sub", Values: subjects},
			},
		})
		r := iamrole.NewIamRole(b.Stack, jsii.String(id), &iamrole.IamRoleConfig{
			Name: jsii.String(name), AssumeRolePolicy: trust.JSON(), MaxSessionDuration: jsii.Number(float64(maxSession)),
			Description: jsii.String("GitHub Actions: " + strings.Join(subjects, ", ")),
		})
		doc := iamdoc.NewDocument(b.Stack, id+"_policy_document")
		doc.Add(statements...)
		inline := iamrolepolicy.NewIamRolePolicy(b.Stack, jsii.String(id+"_policy"), &iamrolepolicy.IamRolePolicyConfig{
			Name: jsii.String("scoped-to-" + env.Name), Role: r.Name(), Policy: doc.JSON(),
		})
		policy.Suppress(inline, policy.IAMNoUnconditionedWildcardResource.Name, wildcardReason)
		return r
	}
	// Only a job running in the GitHub environment of the same name (where
	// production has required reviewers) can deploy; no branch or pull request can.
	b.DeployRole = role("deploy_role", env.ProjectName+"-deploy-"+env.Name,
		[]string{DeploySubject(env)}, DeployStatements(scope), 3600,
		"ListCallsWithoutResourceTypes (ssm:DescribeParameters, logs:DescribeLogGroups, logs:DescribeQueryDefinitions, kms:ListAliases, iam:ListOpenIDConnectProviders) and ManageSavedQueries (logs:PutQueryDefinition, logs:DeleteQueryDefinition) have no resource type in IAM; everything else is scoped")
	// Pull requests, and main before an apply, may plan: read-only.
	b.PlanRole = role("plan_role", env.ProjectName+"-plan-"+env.Name, PlanSubjects(env), PlanStatements(scope), 3600,
		"ListCallsWithoutResourceTypes (read-only List/Describe calls) have no resource type in IAM; everything else is scoped")
	// The state key lets the two roles use it through S3 only.
	// A key policy that names a role grants by itself: the plan role, which
	// only reads the state, gets Decrypt alone.
	b.Key.AllowRoles("DeployRoleWritesStateThroughS3", []string{*b.DeployRole.Arn()}, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, "s3")
	b.Key.AllowRoles("PlanRoleReadsStateThroughS3", []string{*b.PlanRole.Arn()}, []string{"kms:Decrypt"}, "s3")
	if b.LockTable != nil {
		b.Key.AllowRoles("StateRolesThroughDynamoDB", []string{*b.DeployRole.Arn(), *b.PlanRole.Arn()}, []string{"kms:Decrypt"}, "dynamodb")
	}
}

// DeploySubject is the only OIDC subject that may assume the deploy role: a
// job of this repository running in the GitHub environment of the same name.
func DeploySubject(env config.Environment) string {
	return "repo:" + env.GitHubRepository + ":environment:" + env.Name
}

// PlanSubjects may assume the read-only plan role.
func PlanSubjects(env config.Environment) []string {
	return []string{"repo:" + env.GitHubRepository + ":pull_request", "repo:" + env.GitHubRepository + ":ref:refs/heads/main"}
}

func stateKeyPrefix(env config.Environment) string {
	if env.State.KeyPrefix != "" {
		return env.State.KeyPrefix
	}
	return config.DefaultStateKeyPrefix
}

func (b *Bootstrap) outputs(env config.Environment, bucket string) {
	type output struct {
		name, description string
		value             *string
	}
	outputs := []output{
		{"state_bucket_name", "Bucket holding the Terraform state (settings: state.bucket)", jsii.String(bucket)},
		{"state_bucket_region", "Region of the state bucket (settings: state.region)", jsii.String(env.Region)},
		{"state_kms_key_arn", "Key encrypting the state (settings: state.kms_key_arn)", b.Key.Arn()},
		{"state_key", "State object of the environment", jsii.String(stateKeyPrefix(env) + "/" + env.Name + "/terraform.tfstate")},
		{"deploy_role_arn", "Role the deployment workflow assumes in the GitHub environment " + env.Name, b.DeployRole.Arn()},
		{"plan_role_arn", "Read-only role pull-request plans assume", b.PlanRole.Arn()},
	}
	if b.LockTable != nil {
		outputs = append(outputs, output{"state_lock_table_name", "DynamoDB lock table of the state (settings: state.lock dynamodb)", jsii.String(b.LockTable.Name())})
	}
	for _, o := range outputs {
		stackbase.Output(b.Stack, o.name, o.value, o.description)
	}
}
