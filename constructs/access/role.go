// Package access holds the Lambda functions' IAM identities: the permissions
// boundary that caps them, the roles themselves (trust and boundary, owned by
// the administrator-applied bootstrap, so the deploy role can change neither),
// and each role's inline policy, which is the sum of the grants that resources
// make to it (table.Grant..., salt.GrantRead, logGroup.GrantWriteLogs, ...),
// written once, where each resource is.
package access

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// RoleProps configures a Lambda execution role.
type RoleProps struct {
	// Name is the role's name. Required.
	Name string
	// Description says what the role is for.
	Description string
	// AccountID is the only account whose Lambda service may assume the role. Required.
	AccountID string
	// Boundary caps the role's permissions. Required.
	Boundary *Boundary
}

// Role is an IAM role assumed only by Lambda in its own account, capped by
// the environment's boundary. It has no permissions of its own: its inline
// policy (RolePolicy) is written by the service stack.
type Role struct {
	constructs.Construct
	role iamrole.IamRole
}

// NewRole creates the role and its trust policy.
func NewRole(scope constructs.Construct, id string, props RoleProps) (*Role, error) {
	switch {
	case props.Name == "":
		return nil, errors.New("access.RoleProps.Name is required")
	case props.AccountID == "":
		return nil, errors.New("access.RoleProps.AccountID is required")
	case props.Boundary == nil:
		return nil, errors.New("access.RoleProps.Boundary is required: every role is capped by a permissions boundary")
	}
	r := &Role{}
	constructs.NewConstruct_Override(r, scope, jsii.String(id))
	trust := iamdoc.NewDocument(r, "trust", iamdoc.DocumentProps{Statements: []iamdoc.Statement{{
		Sid:        "LambdaOfThisAccountOnly",
		Actions:    []string{"sts:AssumeRole"},
		Principals: []iamdoc.Principal{{Type: "Service", Identifiers: []string{names.ServicePrincipal("lambda")}}},
		Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "aws:SourceAccount", Values: []string{props.AccountID}}},
	}}})
	r.role = iamrole.NewIamRole(r, jsii.String("role"), &iamrole.IamRoleConfig{
		Name:                jsii.String(props.Name),
		Description:         jsii.String(props.Description),
		AssumeRolePolicy:    trust.JSON(),
		PermissionsBoundary: props.Boundary.Arn(),
		MaxSessionDuration:  jsii.Number(3600),
	})
	return r, nil
}

// Arn is the role's ARN.
func (r *Role) Arn() *string { return r.role.Arn() }

// Resource is the role resource (for import blocks).
func (r *Role) Resource() iamrole.IamRole { return r.role }

// The functions' short names, as in their role names (names.Env.LambdaRole).
const (
	FPIngestion      = "fp-ingestion"
	CalibrationQuery = "calibration-query"
	SaltRotator      = "salt-rotator"
)

// RoleDescriptions say what each function's role is for, by short name.
var RoleDescriptions = map[string]string{
	FPIngestion:      "FP ingestion Lambda: reads consent and the salt, writes calibration events",
	CalibrationQuery: "Calibration query Lambda: queries and scans calibration data",
	SaltRotator:      "Salt rotation Lambda: rotates the HMAC salt secret",
}
