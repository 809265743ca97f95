package access

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// RolePolicyProps configures the inline policy of an existing role.
type RolePolicyProps struct {
	// RoleName is the role the policy belongs to (made by the bootstrap). Required.
	RoleName string
	// RoleArn is that role's ARN, for resource policies that name it. Required.
	RoleArn string
	// GranteeName is a short CamelCase name for statement ids ("FpIngestion"). Required.
	GranteeName string
}

// RolePolicy is a role's inline policy (names.LambdaRolePolicy): the sum of
// the grants made to it. It is the iamdoc.Grantee of the role.
type RolePolicy struct {
	constructs.Construct
	props  RolePolicyProps
	doc    *iamdoc.Document
	inline iamrolepolicy.IamRolePolicy
}

// NewRolePolicy creates the (initially empty) inline policy. Its resource has
// the construct id "inline", the address it had when the role was made here.
func NewRolePolicy(scope constructs.Construct, id string, props RolePolicyProps) (*RolePolicy, error) {
	switch {
	case props.RoleName == "":
		return nil, errors.New("access.RolePolicyProps.RoleName is required")
	case props.RoleArn == "":
		return nil, errors.New("access.RolePolicyProps.RoleArn is required")
	case props.GranteeName == "":
		return nil, errors.New("access.RolePolicyProps.GranteeName is required")
	}
	p := &RolePolicy{props: props}
	constructs.NewConstruct_Override(p, scope, jsii.String(id))
	p.doc = iamdoc.NewDocument(p, "policy", iamdoc.DocumentProps{})
	p.inline = iamrolepolicy.NewIamRolePolicy(p, jsii.String("inline"), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String(names.LambdaRolePolicy), Role: jsii.String(props.RoleName), Policy: p.doc.JSON(),
	})
	return p, nil
}

// AddToPrincipalPolicy adds (or, by Sid, replaces) a statement (iamdoc.Grantee).
func (p *RolePolicy) AddToPrincipalPolicy(st iamdoc.Statement) { p.doc.Put(st) }

// PrincipalArn is the role's ARN (iamdoc.Grantee).
func (p *RolePolicy) PrincipalArn() string { return p.props.RoleArn }

// GranteeName names the role in statement ids (iamdoc.Grantee).
func (p *RolePolicy) GranteeName() string { return p.props.GranteeName }

// RoleName is the role's name.
func (p *RolePolicy) RoleName() string { return p.props.RoleName }

// PolicyDependable is what a function must depend on so that it never runs
// before its permissions exist.
func (p *RolePolicy) PolicyDependable() cdktf.ITerraformDependable { return p.inline }

// MovedFrom adds a moved block from where the inline policy was when the
// role and its policy had the id id at the stack's root.
func (p *RolePolicy) MovedFrom(id string) { stackbase.MovedFrom(p.inline, id, "inline") }

// GrantPutMetricData lets the role publish custom metrics in one namespace only.
func (p *RolePolicy) GrantPutMetricData(namespace string) {
	p.AddToPrincipalPolicy(iamdoc.Statement{
		Sid:       p.props.GranteeName + "PutMetricsInItsNamespace",
		Actions:   []string{"cloudwatch:PutMetricData"},
		Resources: []string{"*"}, // PutMetricData has no resource type; the namespace condition scopes it
		Conditions: []iamdoc.Condition{
			{Test: "StringEquals", Variable: "cloudwatch:namespace", Values: []string{namespace}},
		},
	})
}
