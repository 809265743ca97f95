package access

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamopenidconnectprovider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// GitHubOIDCHost is the issuer of GitHub Actions' OIDC tokens.
const GitHubOIDCHost = "token.actions.githubusercontent.com"

// CIRolesProps configure the GitHub Actions identities of one environment.
type CIRolesProps struct {
	// Scope is what the roles may touch (Scope.Names and Scope.StateKeyArn required).
	Scope CIScope
	// GitHubRepository is "owner/name", the only repository whose workflows may assume the roles. Required.
	GitHubRepository string
}

// CIRoles are the GitHub Actions OIDC provider and the environment's deploy
// and plan roles.
type CIRoles struct {
	constructs.Construct
	props  CIRolesProps
	deploy iamrole.IamRole
	plan   iamrole.IamRole
	oidc   iamopenidconnectprovider.IamOpenidConnectProvider
	// resources are the managed resources by construct id, for MoveFromStackRoot.
	resources map[string]cdktf.TerraformResource
}

// NewCIRoles creates the OIDC provider and the two roles.
func NewCIRoles(scope constructs.Construct, id string, props CIRolesProps) (*CIRoles, error) {
	switch {
	case props.GitHubRepository == "":
		return nil, errors.New("access.CIRolesProps.GitHubRepository is required (settings: github_repository)")
	case props.Scope.Names.Environment == "" || props.Scope.Names.AccountID == "":
		return nil, errors.New("access.CIRolesProps.Scope.Names needs Environment and AccountID")
	case props.Scope.StateKeyArn == "":
		return nil, errors.New("access.CIRolesProps.Scope.StateKeyArn is required")
	}
	c := &CIRoles{props: props, resources: map[string]cdktf.TerraformResource{}}
	constructs.NewConstruct_Override(c, scope, jsii.String(id))
	c.oidc = iamopenidconnectprovider.NewIamOpenidConnectProvider(c, jsii.String("github_oidc"), &iamopenidconnectprovider.IamOpenidConnectProviderConfig{
		Url:          jsii.String("https://" + GitHubOIDCHost),
		ClientIdList: jsii.Strings("sts.amazonaws.com"),
	})
	c.resources["github_oidc"] = c.oidc
	n := props.Scope.Names
	// Only a job running in the GitHub environment of the same name (where
	// production has required reviewers) can deploy; no branch or pull request can.
	c.deploy = c.role("deploy_role", n.DeployRole(), []string{c.DeploySubject()}, DeployStatements(props.Scope),
		"ListCallsWithoutResourceTypes (ssm:DescribeParameters, logs:DescribeLogGroups, logs:DescribeQueryDefinitions, kms:ListAliases, iam:ListOpenIDConnectProviders) and ManageSavedQueries (logs:PutQueryDefinition, logs:DeleteQueryDefinition) have no resource type in IAM; everything else is scoped")
	// Pull requests, and main before an apply, may plan: read-only.
	c.plan = c.role("plan_role", n.PlanRole(), c.PlanSubjects(), PlanStatements(props.Scope),
		"ListCallsWithoutResourceTypes (read-only List/Describe calls) have no resource type in IAM; everything else is scoped")
	return c, nil
}

func (c *CIRoles) role(id, name string, subjects []string, statements []iamdoc.Statement, wildcardReason string) iamrole.IamRole {
	trust := iamdoc.NewDocument(c, id+"_trust", iamdoc.DocumentProps{})
	trust.Add(iamdoc.Statement{
		Sid:        "GitHubActionsOfThisRepository",
		Actions:    []string{"sts:AssumeRoleWithWebIdentity"},
		Principals: []iamdoc.Principal{{Type: "Federated", Identifiers: []string{*c.oidc.Arn()}}},
		Conditions: []iamdoc.Condition{
			{Test: "StringEquals", Variable: GitHubOIDCHost + ":aud", Values: []string{"sts.amazonaws.com"}},
			{Test: "StringEquals", Variable: GitHubOIDCHost + ":sub", Values: subjects},
		},
	})
	r := iamrole.NewIamRole(c, jsii.String(id), &iamrole.IamRoleConfig{
		Name: jsii.String(name), AssumeRolePolicy: trust.JSON(), MaxSessionDuration: jsii.Number(3600),
		Description: jsii.String("GitHub Actions: " + strings.Join(subjects, ", ")),
	})
	doc := iamdoc.NewDocument(c, id+"_policy_document", iamdoc.DocumentProps{Statements: statements})
	inline := iamrolepolicy.NewIamRolePolicy(c, jsii.String(id+"_policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String("scoped-to-" + c.props.Scope.Names.Environment), Role: r.Name(), Policy: doc.JSON(),
	})
	policy.Suppress(inline, policy.IAMNoUnconditionedWildcardResource.Name, wildcardReason)
	c.resources[id], c.resources[id+"_policy"] = r, inline
	return r
}

// MoveFromStackRoot adds a moved block to each resource, from the address it
// had when the bootstrap stack created it at its root (before this construct
// existed), so that the state of a bootstrap applied then follows the
// resources instead of replacing the roles and the OIDC provider.
func (c *CIRoles) MoveFromStackRoot() {
	for _, id := range slices.Sorted(maps.Keys(c.resources)) {
		stackbase.MovedFrom(c.resources[id], id)
	}
}

// DeployRoleArn is the deploy role's ARN.
func (c *CIRoles) DeployRoleArn() *string { return c.deploy.Arn() }

// PlanRoleArn is the plan role's ARN.
func (c *CIRoles) PlanRoleArn() *string { return c.plan.Arn() }

// DeploySubject is the only OIDC subject that may assume the deploy role: a
// job of this repository running in the GitHub environment of the same name.
func (c *CIRoles) DeploySubject() string {
	return "repo:" + c.props.GitHubRepository + ":environment:" + c.props.Scope.Names.Environment
}

// PlanSubjects may assume the read-only plan role.
func (c *CIRoles) PlanSubjects() []string {
	repo := "repo:" + c.props.GitHubRepository
	return []string{repo + ":pull_request", repo + ":ref:refs/heads/main"}
}
