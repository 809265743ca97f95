// Package function is a Lambda function's identity: its execution role's
// inline policy (the role itself, with its trust and boundary, is made by the
// bootstrap), its log group and its timeout, in one construct. A function's grants are made
// to the identity (it is an iamdoc.Grantee), so its facts travel together
// instead of as parallel lists.
package function

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/logs"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Props configure a function's identity.
type Props struct {
	// Names names the role (LambdaRole(Short)) and places it. Required.
	Names names.Env
	// Short is the function's short name ("fp-ingestion"). Required.
	Short string
	// FunctionName is the deployed function's name. Required.
	FunctionName string
	// GranteeName names the role in statement ids ("FpIngestion"). Required.
	GranteeName string
	// TimeoutSeconds is the function's timeout. Required.
	TimeoutSeconds int
	// RetentionDays is how long its logs are kept. Required.
	RetentionDays int
	// Key encrypts its logs. Required.
	Key *cmk.Key
}

// Identity is a function's role, log group and timeout.
type Identity struct {
	constructs.Construct
	props Props
	// Role is the execution role's inline policy; LogGroup is /aws/lambda/<function name>.
	Role     *access.RolePolicy
	LogGroup *logs.LogGroup
}

// New creates the role's inline policy and the log group, and lets the role
// write its own logs.
func New(scope constructs.Construct, id string, props Props) (*Identity, error) {
	switch {
	case props.Short == "":
		return nil, errors.New("function.Props.Short is required")
	case props.FunctionName == "":
		return nil, errors.New("function.Props.FunctionName is required")
	case props.TimeoutSeconds <= 0:
		return nil, errors.New("function.Props.TimeoutSeconds is required")
	}
	f := &Identity{props: props}
	constructs.NewConstruct_Override(f, scope, jsii.String(id))
	var err error
	if f.LogGroup, err = logs.NewLogGroup(f, "logs", logs.LogGroupProps{
		FunctionName: props.FunctionName, RetentionDays: props.RetentionDays, Key: props.Key, Names: props.Names,
	}); err != nil {
		return nil, err
	}
	role := props.Names.LambdaRole(props.Short)
	if f.Role, err = access.NewRolePolicy(f, "role", access.RolePolicyProps{
		RoleName: role, RoleArn: props.Names.RoleARN(role), GranteeName: props.GranteeName,
	}); err != nil {
		return nil, err
	}
	f.LogGroup.GrantWriteLogs(f.Role)
	return f, nil
}

// Short is the function's short name.
func (f *Identity) Short() string { return f.props.Short }

// Name is the deployed function's name.
func (f *Identity) Name() string { return f.props.FunctionName }

// TimeoutSeconds is the function's timeout.
func (f *Identity) TimeoutSeconds() int { return f.props.TimeoutSeconds }

// AddToPrincipalPolicy adds a statement to the role's policy (iamdoc.Grantee).
func (f *Identity) AddToPrincipalPolicy(st iamdoc.Statement) { f.Role.AddToPrincipalPolicy(st) }

// PrincipalArn is the role's ARN (iamdoc.Grantee).
func (f *Identity) PrincipalArn() string { return f.Role.PrincipalArn() }

// GranteeName names the role in statement ids (iamdoc.Grantee).
func (f *Identity) GranteeName() string { return f.Role.GranteeName() }

// RoleName is the execution role's name.
func (f *Identity) RoleName() string { return f.Role.RoleName() }

// Arn is the role's ARN.
func (f *Identity) Arn() *string { return jsii.String(f.Role.PrincipalArn()) }

// PolicyDependable is what the function must depend on: its permissions.
func (f *Identity) PolicyDependable() cdktf.ITerraformDependable { return f.Role.PolicyDependable() }

// LogsDependable is what the function must depend on: its log group.
func (f *Identity) LogsDependable() cdktf.ITerraformDependable { return f.LogGroup.Dependable() }

// MovedFrom adds moved blocks from where the role's inline policy and the
// log group were before this construct held them: created at the stack's root
// as roleID and logsID.
func (f *Identity) MovedFrom(roleID, logsID string) {
	f.Role.MovedFrom(roleID)
	f.LogGroup.MovedFrom(logsID)
}
