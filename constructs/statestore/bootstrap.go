package statestore

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketlifecycleconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketownershipcontrols"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpublicaccessblock"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketserversideencryptionconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketversioning"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/pins"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// BootstrapProps configure the state-bootstrap stack of one environment's account.
type BootstrapProps struct {
	// Names names the bucket, keys, lock table and roles (all fields required).
	Names names.Env
	// KeyPrefix is the state objects' key prefix. Required.
	KeyPrefix string
	// LockTable makes the DynamoDB lock table (settings: state.lock "dynamodb").
	LockTable bool
	// GitHubRepository is the repository whose workflows may assume the CI roles. Required.
	GitHubRepository string
	// Functions are the environment's Lambda function names; RotatorFunction is the salt rotator.
	Functions       []string
	RotatorFunction string
}

// Bootstrap is the state-bootstrap stack of one environment's account.
type Bootstrap struct {
	// TerraformStack is the bootstrap's stack: a Bootstrap is a construct.
	cdktf.TerraformStack
	Key         *cmk.Key
	stateBucket s3bucket.S3Bucket
	// LockTable is the DynamoDB lock table (BootstrapProps.LockTable), else nil.
	LockTable *datastore.Table
	CI        *access.CIRoles
	props     BootstrapProps
}

// NewBootstrap composes the state-bootstrap stack named id. It is applied
// once, with local state, by an administrator of the environment's account.
func NewBootstrap(scope constructs.Construct, id string, props BootstrapProps) (*Bootstrap, error) {
	n := props.Names
	switch {
	case id == "":
		return nil, errors.New("statestore.NewBootstrap: id is required (the stack's name)")
	case n.Project == "" || n.Environment == "" || n.Region == "" || n.AccountID == "":
		return nil, errors.New("statestore.BootstrapProps.Names needs Project, Environment, Region and AccountID")
	case props.KeyPrefix == "":
		return nil, errors.New("statestore.BootstrapProps.KeyPrefix is required")
	}
	stack := cdktf.NewTerraformStack(scope, jsii.String(id))
	pins.Apply(stack)
	stackbase.Provider(stack, stackbase.ProviderProps{Region: n.Region, AccountID: n.AccountID, Project: n.Project, Environment: n.Environment,
		ExtraTags: map[string]string{"Stack": id}})
	if err := Configure(stack, BackendProps{LocalPath: LocalStatePath(id)}); err != nil {
		return nil, err
	}
	b := &Bootstrap{TerraformStack: stack, props: props}

	keyProps := cmk.Props{
		AliasName:   n.StateKeyAlias(),
		Description: "Encrypts the Terraform state of " + n.Project + " " + n.Environment,
		Names:       n,
	}
	if props.LockTable {
		// DynamoDB encrypts the lock table with the state key on behalf of
		// whoever creates and uses it.
		keyProps.AccountUseViaServices = []string{"dynamodb"}
	}
	var err error
	if b.Key, err = cmk.New(stack, "state_encryption_key", keyProps); err != nil {
		return nil, err
	}
	b.bucket(n.StateBucket())
	ciScope := access.CIScope{Names: n, StateBucket: n.StateBucket(), StateKeyPrefix: props.KeyPrefix, StateKeyArn: *b.Key.Arn(),
		Functions: props.Functions, RotatorFunction: props.RotatorFunction}
	if props.LockTable {
		// On demand, PITR, the CMK, deletion protection and prevent_destroy
		// come with every datastore table.
		if b.LockTable, err = datastore.NewTable(stack, "state_lock_table", datastore.TableProps{
			Name:         n.StateLockTable(),
			PartitionKey: datastore.Attribute{Name: "LockID", Type: "S"},
			Key:          b.Key,
		}); err != nil {
			return nil, err
		}
		ciScope.LockTable = b.LockTable.Name()
	}
	if b.CI, err = access.NewCIRoles(stack, "ci", access.CIRolesProps{Scope: ciScope, GitHubRepository: props.GitHubRepository}); err != nil {
		return nil, err
	}
	// The roles were created at the stack's root before they moved to access.
	b.CI.MoveFromStackRoot()
	b.allowStateRoles()
	b.outputs()
	return b, nil
}

// allowStateRoles lets the CI roles use the state key through S3 (and
// DynamoDB, with a lock table) only. A key policy that names a role grants by
// itself: the plan role, which only reads the state, gets Decrypt alone.
func (b *Bootstrap) allowStateRoles() {
	deploy, plan := *b.CI.DeployRoleArn(), *b.CI.PlanRoleArn()
	b.Key.AllowRoles("DeployRoleWritesStateThroughS3", []string{deploy}, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, "s3")
	b.Key.AllowRoles("PlanRoleReadsStateThroughS3", []string{plan}, []string{"kms:Decrypt"}, "s3")
	if b.LockTable != nil {
		b.Key.AllowRoles("StateRolesThroughDynamoDB", []string{deploy, plan}, []string{"kms:Decrypt"}, "dynamodb")
	}
}

func (b *Bootstrap) bucket(name string) {
	b.stateBucket = s3bucket.NewS3Bucket(b.TerraformStack, jsii.String("state_bucket"), &s3bucket.S3BucketConfig{
		Bucket:    jsii.String(name),
		Lifecycle: &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)},
	})
	id := b.stateBucket.Id()
	s3bucketversioning.NewS3BucketVersioningA(b.TerraformStack, jsii.String("state_bucket_versioning"), &s3bucketversioning.S3BucketVersioningAConfig{
		Bucket: id, VersioningConfiguration: &s3bucketversioning.S3BucketVersioningVersioningConfiguration{Status: jsii.String("Enabled")},
	})
	s3bucketserversideencryptionconfiguration.NewS3BucketServerSideEncryptionConfigurationA(b.TerraformStack, jsii.String("state_bucket_encryption"),
		&s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationAConfig{
			Bucket: id,
			Rule: &[]*s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleA{{
				ApplyServerSideEncryptionByDefault: &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
					SseAlgorithm: jsii.String("aws:kms"), KmsMasterKeyId: b.Key.Arn(),
				},
				BucketKeyEnabled: jsii.Bool(true),
			}},
		})
	s3bucketpublicaccessblock.NewS3BucketPublicAccessBlock(b.TerraformStack, jsii.String("state_bucket_public_access_block"), &s3bucketpublicaccessblock.S3BucketPublicAccessBlockConfig{
		Bucket: id, BlockPublicAcls: jsii.Bool(true), BlockPublicPolicy: jsii.Bool(true), IgnorePublicAcls: jsii.Bool(true), RestrictPublicBuckets: jsii.Bool(true),
	})
	s3bucketownershipcontrols.NewS3BucketOwnershipControls(b.TerraformStack, jsii.String("state_bucket_ownership"), &s3bucketownershipcontrols.S3BucketOwnershipControlsConfig{
		Bucket: id, Rule: &s3bucketownershipcontrols.S3BucketOwnershipControlsRule{ObjectOwnership: jsii.String("BucketOwnerEnforced")},
	})
	s3bucketlifecycleconfiguration.NewS3BucketLifecycleConfiguration(b.TerraformStack, jsii.String("state_bucket_lifecycle"), &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationConfig{
		Bucket: id,
		Rule: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{{
			Id:                             jsii.String("expire-old-state-versions"),
			Status:                         jsii.String("Enabled"),
			Filter:                         &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleFilter{Prefix: jsii.String("")},
			NoncurrentVersionExpiration:    &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration{NoncurrentDays: jsii.Number(90)},
			AbortIncompleteMultipartUpload: &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload{DaysAfterInitiation: jsii.Number(7)},
		}},
	})
	policy := iamdoc.NewDocument(b.TerraformStack, "state_bucket_policy_document", iamdoc.DocumentProps{})
	policy.Add(iamdoc.Statement{
		Sid: "DenyRequestsWithoutTLS", Deny: true,
		Principals: []iamdoc.Principal{{Type: "*", Identifiers: []string{"*"}}},
		Actions:    []string{"s3:*"},
		Resources:  []string{*b.stateBucket.Arn(), *b.stateBucket.Arn() + "/*"},
		Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"false"}}},
	})
	s3bucketpolicy.NewS3BucketPolicy(b.TerraformStack, jsii.String("state_bucket_policy"), &s3bucketpolicy.S3BucketPolicyConfig{Bucket: id, Policy: policy.JSON()})
}

func (b *Bootstrap) outputs() {
	n := b.props.Names
	type output struct {
		name, description string
		value             *string
	}
	outputs := []output{
		{"state_bucket_name", "Bucket holding the Terraform state (settings: state.bucket)", jsii.String(n.StateBucket())},
		{"state_bucket_region", "Region of the state bucket (settings: state.region)", jsii.String(n.Region)},
		{"state_kms_key_arn", "Key encrypting the state (settings: state.kms_key_arn)", b.Key.Arn()},
		{"state_key", "State object of the environment", jsii.String(n.StateObject(b.props.KeyPrefix))},
		{"deploy_role_arn", "Role the deployment workflow assumes in the GitHub environment " + n.Environment, b.CI.DeployRoleArn()},
		{"plan_role_arn", "Read-only role pull-request plans assume", b.CI.PlanRoleArn()},
	}
	if b.LockTable != nil {
		outputs = append(outputs, output{"state_lock_table_name", "DynamoDB lock table of the state (settings: state.lock dynamodb)", jsii.String(b.LockTable.Name())})
	}
	for _, o := range outputs {
		stackbase.Output(b.TerraformStack, o.name, o.value, o.description)
	}
}
