// Package access holds the service's IAM roles. A role's policy is the sum of
// the grants that resources make to it (table.Grant, secret.GrantRead,
// logGroup.GrantWriteLogs, ...), so least privilege is written once, where
// each resource is; every role is also capped by a permissions boundary that
// confines it to its own environment.
package access

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// RoleProps configures a Lambda execution role.
type RoleProps struct {
	// Name is the role's name. Required.
	Name string
	// GranteeName is a short CamelCase name for statement ids ("FpIngestion"). Required.
	GranteeName string
	// Description says what the role is for.
	Description string
	// AccountID is the only account whose Lambda service may assume the role. Required.
	AccountID string
	// Boundary caps the role's permissions. Required.
	Boundary *Boundary
}

// Role is an IAM role assumed only by Lambda in its own account.
type Role struct {
	constructs.Construct
	props  RoleProps
	role   iamrole.IamRole
	policy *iamdoc.Document
	inline iamrolepolicy.IamRolePolicy
}

// NewRole creates the role, its trust policy and its (initially empty) inline policy.
func NewRole(scope constructs.Construct, id string, props RoleProps) (*Role, error) {
	switch {
	case props.Name == "":
		return nil, errors.New("access.RoleProps.Name is required")
	case props.GranteeName == "":
		return nil, errors.New("access.RoleProps.GranteeName is required")
	case props.AccountID == "":
		return nil, errors.New("access.RoleProps.AccountID is required")
	case props.Boundary == nil:
		return nil, errors.New("access.RoleProps.Boundary is required: every role is capped by a permissions boundary")
	}
	r := &Role{props: props}
	constructs.NewConstruct_Override(r, scope, jsii.String(id))

	trust := iamdoc.NewDocument(r, "trust", iamdoc.DocumentProps{})
	trust.Add(iamdoc.Statement{
		Sid:        "LambdaOfThisAccountOnly",
		Actions:    []string{"sts:AssumeRole"},
		Principals: []iamdoc.Principal{{Type: "Service", Identifiers: []string{"lambda.amazonaws.com"}}},
		Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "aws:SourceAccount", Values: []string{props.AccountID}}},
	})
	r.role = iamrole.NewIamRole(r, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(props.Name),
		Description:         jsii.String(props.Description),
		AssumeRolePolicy:    trust.JSON(),
		PermissionsBoundary: props.Boundary.Arn(),
		MaxSessionDuration:  jsii.Number(3600),
	})
	r.policy = iamdoc.NewDocument(r, "policy", iamdoc.DocumentProps{})
	r.inline = iamrolepolicy.NewIamRolePolicy(r, jsii.String("inline"), &iamrolepolicy.IamRolePolicyConfig{
		Name:   jsii.String("least-privilege"),
		Role:   r.role.Name(),
		Policy: r.policy.JSON(),
	})
	return r, nil
}

// AddToPrincipalPolicy adds (or, by Sid, replaces) a statement of the role's
// inline policy (iamdoc.Grantee).
func (r *Role) AddToPrincipalPolicy(st iamdoc.Statement) { r.policy.Put(st) }

// PrincipalArn is the role's ARN (iamdoc.Grantee).
func (r *Role) PrincipalArn() string { return *r.role.Arn() }

// GranteeName names the role in statement ids (iamdoc.Grantee).
func (r *Role) GranteeName() string { return r.props.GranteeName }

// Name is the role's name.
func (r *Role) Name() string { return r.props.Name }

// Arn is the role's ARN.
func (r *Role) Arn() *string { return r.role.Arn() }

// PolicyDependable is what a function must depend on so that it never runs
// before its permissions exist.
func (r *Role) PolicyDependable() cdktf.ITerraformDependable { return r.inline }

// MovedFrom adds moved blocks from where the role and its inline policy were
// when this Role had the id id at the stack's root.
func (r *Role) MovedFrom(id string) {
	stackbase.MovedFrom(r.role, id, "role")
	stackbase.MovedFrom(r.inline, id, "inline")
}

// GrantPutMetricData lets the role publish custom metrics in one namespace only.
func (r *Role) GrantPutMetricData(namespace string) {
	r.AddToPrincipalPolicy(iamdoc.Statement{
		Sid:       r.props.GranteeName + "PutMetricsInItsNamespace",
		Actions:   []string{"cloudwatch:PutMetricData"},
		Resources: []string{"*"}, // PutMetricData has no resource type; the namespace condition scopes it
		Conditions: []iamdoc.Condition{
			{Test: "StringEquals", Variable: "cloudwatch:namespace", Values: []string{namespace}},
		},
	})
}
