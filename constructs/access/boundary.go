package access

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iampolicy"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
)

// BoundaryProps configures the permissions boundary of an environment's roles.
type BoundaryProps struct {
	// Name of the managed policy. Required.
	Name string
	// Statements are the ceiling: the most any role of the environment may do. Required.
	Statements []iamdoc.Statement
}

// Boundary is a managed policy used as permissions boundary: whatever is later
// attached to a role, the role can never do more than this.
type Boundary struct {
	constructs.Construct
	policy iampolicy.IamPolicy
	doc    *iamdoc.Document
}

// NewBoundary creates the boundary policy.
func NewBoundary(scope constructs.Construct, id string, props BoundaryProps) (*Boundary, error) {
	if props.Name == "" {
		return nil, errors.New("access.BoundaryProps.Name is required")
	}
	if len(props.Statements) == 0 {
		return nil, errors.New("access.BoundaryProps.Statements is required")
	}
	b := &Boundary{}
	constructs.NewConstruct_Override(b, scope, jsii.String(id))
	b.doc = iamdoc.NewDocument(b, "document", iamdoc.DocumentProps{Statements: props.Statements})
	b.policy = iampolicy.NewIamPolicy(b, jsii.String("policy"), &iampolicy.IamPolicyConfig{
		Name:        jsii.String(props.Name),
		Description: jsii.String("Permissions boundary: the most any Lambda role of this environment may do"),
		Policy:      b.doc.JSON(),
	})
	return b, nil
}

// Arn is the boundary policy's ARN.
func (b *Boundary) Arn() *string { return b.policy.Arn() }

// Resource is the policy resource (for import blocks).
func (b *Boundary) Resource() iampolicy.IamPolicy { return b.policy }
