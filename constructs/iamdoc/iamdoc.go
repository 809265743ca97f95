// Package iamdoc is the typed model of IAM policy statements that grants are
// made of, and its rendering into aws_iam_policy_document data sources. No
// policy in this project is a hand-written JSON string.
package iamdoc

import (
	"slices"
	"sort"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiampolicydocument"
)

// Condition is one IAM condition: Test (operator), Variable (key) and Values.
type Condition struct {
	Test     string
	Variable string
	Values   []string
}

// Principal is a statement principal: Type is "AWS", "Service" or "Federated".
type Principal struct {
	Type        string
	Identifiers []string
}

// Statement is one policy statement. Effect defaults to Allow.
type Statement struct {
	Sid        string
	Deny       bool
	Actions    []string
	Resources  []string
	Principals []Principal
	Conditions []Condition
}

// Grantee is an identity that grants add statements to (an IAM role).
type Grantee interface {
	// AddToPrincipalPolicy adds a statement to the identity's own policy, or
	// replaces the statement with the same Sid (a grant that grew).
	AddToPrincipalPolicy(Statement)
	// PrincipalArn is the identity's ARN, for resource policies that name it.
	PrincipalArn() string
	// Name is a stable, readable name for statement ids.
	GranteeName() string
}

// Document is a policy document whose statements can grow until synthesis: it
// renders to one aws_iam_policy_document data source, re-rendered on every add.
type Document struct {
	data       dataawsiampolicydocument.DataAwsIamPolicyDocument
	statements []Statement
}

// DocumentProps configure a policy document.
type DocumentProps struct {
	// Statements are its first statements; more can be added until synthesis.
	Statements []Statement
}

// NewDocument creates a policy document under scope.
func NewDocument(scope constructs.Construct, id string, props DocumentProps) *Document {
	d := &Document{data: dataawsiampolicydocument.NewDataAwsIamPolicyDocument(scope, jsii.String(id), &dataawsiampolicydocument.DataAwsIamPolicyDocumentConfig{})}
	if len(props.Statements) > 0 {
		d.Add(props.Statements...)
	}
	return d
}

// Add appends statements and re-renders the document.
func (d *Document) Add(statements ...Statement) {
	d.statements = append(d.statements, statements...)
	d.data.PutStatement(render(d.statements))
}

// Put replaces the statement with the same Sid, or appends it, and re-renders.
func (d *Document) Put(st Statement) {
	for i, have := range d.statements {
		if have.Sid != "" && have.Sid == st.Sid {
			d.statements[i] = st
			d.data.PutStatement(render(d.statements))
			return
		}
	}
	d.Add(st)
}

// Get returns the statement with the given Sid.
func (d *Document) Get(sid string) (Statement, bool) {
	for _, have := range d.statements {
		if sid != "" && have.Sid == sid {
			return have, true
		}
	}
	return Statement{}, false
}

// Merge is a and b as one statement (a's Sid and effect): the union of their
// actions and resources, of the identifiers of principals of the same type,
// and of the values of conditions with the same test and key.
func Merge(a, b Statement) Statement {
	out := Statement{Sid: a.Sid, Deny: a.Deny, Actions: union(a.Actions, b.Actions), Resources: union(a.Resources, b.Resources)}
	out.Principals = append([]Principal(nil), a.Principals...)
	for _, p := range b.Principals {
		i := slices.IndexFunc(out.Principals, func(q Principal) bool { return q.Type == p.Type })
		if i < 0 {
			out.Principals = append(out.Principals, p)
			continue
		}
		out.Principals[i] = Principal{Type: p.Type, Identifiers: union(out.Principals[i].Identifiers, p.Identifiers)}
	}
	out.Conditions = append([]Condition(nil), a.Conditions...)
	for _, c := range b.Conditions {
		i := slices.IndexFunc(out.Conditions, func(d Condition) bool { return d.Test == c.Test && d.Variable == c.Variable })
		if i < 0 {
			out.Conditions = append(out.Conditions, c)
			continue
		}
		out.Conditions[i] = Condition{Test: c.Test, Variable: c.Variable, Values: union(out.Conditions[i].Values, c.Values)}
	}
	return out
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// JSON is the rendered policy JSON (a token resolved by Terraform).
func (d *Document) JSON() *string { return d.data.Json() }

func render(statements []Statement) *[]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement {
	out := make([]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement, 0, len(statements))
	for _, s := range statements {
		effect := "Allow"
		if s.Deny {
			effect = "Deny"
		}
		st := &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatement{
			Effect:  jsii.String(effect),
			Actions: jsii.Strings(sorted(s.Actions)...),
		}
		if s.Sid != "" {
			st.Sid = jsii.String(s.Sid)
		}
		if len(s.Resources) > 0 {
			st.Resources = jsii.Strings(s.Resources...)
		}
		if len(s.Principals) > 0 {
			ps := make([]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals, 0, len(s.Principals))
			for _, p := range s.Principals {
				ps = append(ps, &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementPrincipals{
					Type: jsii.String(p.Type), Identifiers: jsii.Strings(p.Identifiers...),
				})
			}
			st.Principals = &ps
		}
		if len(s.Conditions) > 0 {
			cs := make([]*dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition, 0, len(s.Conditions))
			for _, c := range s.Conditions {
				cs = append(cs, &dataawsiampolicydocument.DataAwsIamPolicyDocumentStatementCondition{
					Test: jsii.String(c.Test), Variable: jsii.String(c.Variable), Values: jsii.Strings(c.Values...),
				})
			}
			st.Condition = &cs
		}
		out = append(out, st)
	}
	return &out
}

func sorted(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}
