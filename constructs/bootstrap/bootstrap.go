// Package bootstrap composes the state-bootstrap stack of one environment's
// account, applied once, with local state, by an administrator: the state
// bucket, its key and lock table, the GitHub Actions identities, and
// everything that bounds what those identities can do (the Lambda roles with
// their trust and their permissions boundary). The deploy role can change
// none of it.
package bootstrap

import (
	"errors"
	"maps"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/ci"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/pins"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
)

// Props configure the state-bootstrap stack of one environment's account.
type Props struct {
	// Names names the bucket, keys, lock table and roles (all fields required).
	Names names.Env
	// KeyPrefix is the state objects' key prefix. Required.
	KeyPrefix string
	// LockTable makes the DynamoDB lock table (settings: state.lock "dynamodb").
	LockTable bool
	// GitHubRepository is the repository whose workflows may assume the CI roles. Required.
	GitHubRepository string
	// ExistingOIDCProvider reads the account's GitHub OIDC provider instead of creating it.
	ExistingOIDCProvider bool
	// Functions are the environment's Lambda function names by short name
	// (access.FPIngestion, access.CalibrationQuery, access.SaltRotator). Required.
	Functions map[string]string
	// Ceiling is the Lambda roles' permissions boundary (access.EnvironmentCeiling). Required.
	Ceiling []iamdoc.Statement
	// ImportLambdaRoles and ImportLambdaBoundary import them where they
	// already exist (settings: adopt.lambda_roles, adopt.lambda_boundary).
	ImportLambdaRoles, ImportLambdaBoundary bool
}

// Bootstrap is the state-bootstrap stack of one environment's account.
type Bootstrap struct {
	// TerraformStack is the bootstrap's stack: a Bootstrap is a construct.
	cdktf.TerraformStack
	Key         *cmk.Key
	stateBucket s3bucket.S3Bucket
	// LockTable is the DynamoDB lock table (BootstrapProps.LockTable), else nil.
	LockTable *datastore.Table
	CI        *ci.Roles
	// Boundary caps the Lambda roles; LambdaRoles are the roles by short name.
	Boundary    *access.Boundary
	LambdaRoles map[string]*access.Role
	props       Props
}

// NewBootstrap composes the state-bootstrap stack named id. It is applied
// once, with local state, by an administrator of the environment's account.
func New(scope constructs.Construct, id string, props Props) (*Bootstrap, error) {
	n := props.Names
	switch {
	case id == "":
		return nil, errors.New("bootstrap.New: id is required (the stack's name)")
	case n.Project == "" || n.Environment == "" || n.Region == "" || n.AccountID == "":
		return nil, errors.New("bootstrap.Props.Names needs Project, Environment, Region and AccountID")
	case props.KeyPrefix == "":
		return nil, errors.New("bootstrap.Props.KeyPrefix is required")
	case props.Functions[access.SaltRotator] == "" || len(props.Functions) != len(access.RoleDescriptions):
		return nil, errors.New("bootstrap.Props.Functions needs the name of each function (access.RoleDescriptions' short names)")
	case len(props.Ceiling) == 0:
		return nil, errors.New("bootstrap.Props.Ceiling is required: the Lambda roles' boundary")
	}
	stack := cdktf.NewTerraformStack(scope, jsii.String(id))
	pins.Apply(stack)
	stackbase.Provider(stack, stackbase.ProviderProps{Region: n.Region, AccountID: n.AccountID, Project: n.Project, Environment: n.Environment,
		ExtraTags: map[string]string{"Stack": id}})
	if err := statestore.Configure(stack, statestore.BackendProps{LocalPath: statestore.LocalStatePath(id)}); err != nil {
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
	if err = b.lambdaRoles(); err != nil {
		return nil, err
	}
	ciScope := ci.Scope{Names: n, StateBucket: n.StateBucket(), StateKeyPrefix: props.KeyPrefix, StateKeyArn: *b.Key.Arn(),
		RotatorFunction: props.Functions[access.SaltRotator], RotatorRole: n.LambdaRole(access.SaltRotator)}
	for _, short := range slices.Sorted(maps.Keys(props.Functions)) {
		ciScope.Functions = append(ciScope.Functions, props.Functions[short])
		ciScope.LambdaRoles = append(ciScope.LambdaRoles, n.LambdaRole(short))
	}
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
	if b.CI, err = ci.NewRoles(stack, "ci", ci.RolesProps{Scope: ciScope, GitHubRepository: props.GitHubRepository,
		ExistingOIDCProvider: props.ExistingOIDCProvider}); err != nil {
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
	allow := func(sid string, roles, actions []string, service string) {
		b.Key.AddToResourcePolicy(iamdoc.Statement{
			Sid: sid, Principals: []iamdoc.Principal{{Type: "AWS", Identifiers: roles}}, Actions: actions, Resources: []string{"*"},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: "kms:ViaService", Values: []string{b.props.Names.ServiceEndpoint(service)}},
				{Test: "StringEquals", Variable: "kms:CallerAccount", Values: []string{b.props.Names.AccountID}},
			},
		})
	}
	allow("DeployRoleWritesStateThroughS3", []string{deploy}, []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, "s3")
	allow("PlanRoleReadsStateThroughS3", []string{plan}, []string{"kms:Decrypt"}, "s3")
	if b.LockTable != nil {
		allow("StateRolesThroughDynamoDB", []string{deploy, plan}, []string{"kms:Decrypt"}, "dynamodb")
	}
}

// lambdaRoles creates the permissions boundary and, under it, each
// function's execution role with its trust: both out of the deploy role's
// reach, which writes only the roles' inline policies.
func (b *Bootstrap) lambdaRoles() error {
	n := b.props.Names
	var err error
	if b.Boundary, err = access.NewBoundary(b.TerraformStack, "lambda_boundary", access.BoundaryProps{Name: n.LambdaBoundary(), Statements: b.props.Ceiling}); err != nil {
		return err
	}
	if b.props.ImportLambdaBoundary {
		b.Boundary.Resource().ImportFrom(jsii.String(n.PolicyARN(n.LambdaBoundary())), nil)
	}
	b.LambdaRoles = map[string]*access.Role{}
	for _, short := range slices.Sorted(maps.Keys(access.RoleDescriptions)) {
		role, err := access.NewRole(b.TerraformStack, "lambda_role_"+short, access.RoleProps{
			Name: n.LambdaRole(short), Description: access.RoleDescriptions[short], AccountID: n.AccountID, Boundary: b.Boundary,
		})
		if err != nil {
			return err
		}
		if b.props.ImportLambdaRoles {
			role.Resource().ImportFrom(jsii.String(n.LambdaRole(short)), nil)
		}
		b.LambdaRoles[short] = role
	}
	return nil
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
		{"plan_role_arn", "Read-only role that plans on main assume", b.CI.PlanRoleArn()},
		{"lambda_boundary_arn", "Permissions boundary of the Lambda roles", b.Boundary.Arn()},
	}
	if b.LockTable != nil {
		outputs = append(outputs, output{"state_lock_table_name", "DynamoDB lock table of the state (settings: state.lock dynamodb)", jsii.String(b.LockTable.Name())})
	}
	for _, o := range outputs {
		stackbase.Output(b.TerraformStack, o.name, o.value, o.description)
	}
}
