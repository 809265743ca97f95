// Package ci holds the GitHub Actions identities of one environment: the
// OIDC provider, the deploy role and the read-only plan role, with what each
// may touch (Scope). The bootstrap, applied by an administrator, creates
// them; neither role can change itself, the other, or what bounds the Lambda
// roles.
package ci

import (
	"errors"
	"maps"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawsiamopenidconnectprovider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamopenidconnectprovider"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrolepolicy"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// GitHubOIDCHost is the issuer of GitHub Actions' OIDC tokens.
const GitHubOIDCHost = "token.actions.githubusercontent.com"

// MainRef is the only git ref whose jobs may assume either role.
const MainRef = "refs/heads/main"

// Workflows are the workflow files whose jobs may assume the roles: the
// deployment (plan, then apply) and the drift check.
const (
	DeployWorkflow = ".github/workflows/deploy.yml"
	DriftWorkflow  = ".github/workflows/drift.yml"
)

// WorkflowRef is the job_workflow_ref claim of a job of workflow on main.
func (c *Roles) WorkflowRef(workflow string) string {
	return c.props.GitHubRepository + "/" + workflow + "@" + MainRef
}

// RolesProps configure the GitHub Actions identities of one environment.
type RolesProps struct {
	// Scope is what the roles may touch (Scope.Names and Scope.StateKeyArn required).
	Scope Scope
	// GitHubRepository is "owner/name", the only repository whose workflows may assume the roles. Required.
	GitHubRepository string
	// ExistingOIDCProvider reads the account's GitHub OIDC provider instead
	// of creating it (IAM allows one provider per URL in an account).
	ExistingOIDCProvider bool
}

// Roles are the GitHub Actions OIDC provider and the environment's deploy
// and plan roles.
type Roles struct {
	constructs.Construct
	props  RolesProps
	deploy iamrole.IamRole
	plan   iamrole.IamRole
	// oidcArn is the GitHub OIDC provider's ARN (created or read).
	oidcArn *string
	// resources are the managed resources by construct id, for MoveFromStackRoot.
	resources map[string]cdktf.TerraformResource
}

// NewRoles creates the OIDC provider and the two roles.
func NewRoles(scope constructs.Construct, id string, props RolesProps) (*Roles, error) {
	switch {
	case props.GitHubRepository == "":
		return nil, errors.New("ci.RolesProps.GitHubRepository is required (settings: github_repository)")
	case props.Scope.Names.Environment == "" || props.Scope.Names.AccountID == "":
		return nil, errors.New("ci.RolesProps.Scope.Names needs Environment and AccountID")
	case props.Scope.StateKeyArn == "":
		return nil, errors.New("ci.RolesProps.Scope.StateKeyArn is required")
	case props.Scope.RotatorFunction == "" || props.Scope.RotatorRole == "" || len(props.Scope.LambdaRoles) == 0:
		return nil, errors.New("ci.RolesProps.Scope needs RotatorFunction, RotatorRole and LambdaRoles")
	}
	c := &Roles{props: props, resources: map[string]cdktf.TerraformResource{}}
	constructs.NewConstruct_Override(c, scope, jsii.String(id))
	if props.ExistingOIDCProvider {
		c.oidcArn = dataawsiamopenidconnectprovider.NewDataAwsIamOpenidConnectProvider(c, jsii.String("github_oidc"),
			&dataawsiamopenidconnectprovider.DataAwsIamOpenidConnectProviderConfig{Url: jsii.String("https://" + GitHubOIDCHost)}).Arn()
	} else {
		oidc := iamopenidconnectprovider.NewIamOpenidConnectProvider(c, jsii.String("github_oidc"), &iamopenidconnectprovider.IamOpenidConnectProviderConfig{
			Url:          jsii.String("https://" + GitHubOIDCHost),
			ClientIdList: jsii.Strings(names.ServicePrincipal("sts")),
		})
		c.resources["github_oidc"], c.oidcArn = oidc, oidc.Arn()
	}
	n := props.Scope.Names
	c.deploy = c.role("deploy_role", n.DeployRole(), c.DeployTrust(), DeployStatements(props.Scope),
		"ListCallsWithoutResourceTypes (ssm:DescribeParameters, logs:DescribeLogGroups, logs:DescribeQueryDefinitions, kms:ListAliases), CreateKeysTaggedForThisEnvironment (a new key has no ARN; conditioned on its tags) and ManageSavedQueries (logs:PutQueryDefinition, logs:DeleteQueryDefinition) have no resource type in IAM; everything else is scoped")
	c.plan = c.role("plan_role", n.PlanRole(), c.PlanTrust(), PlanStatements(props.Scope),
		"ListCallsWithoutResourceTypes (read-only List/Describe calls) have no resource type in IAM; everything else is scoped")
	return c, nil
}

func (c *Roles) role(id, name string, trust []iamdoc.Condition, statements []iamdoc.Statement, wildcardReason string) iamrole.IamRole {
	doc := iamdoc.NewDocument(c, id+"_trust", iamdoc.DocumentProps{Statements: []iamdoc.Statement{{
		Sid:        "GitHubActionsOfThisRepositoryOnMain",
		Actions:    []string{"sts:AssumeRoleWithWebIdentity"},
		Principals: []iamdoc.Principal{{Type: "Federated", Identifiers: []string{*c.oidcArn}}},
		Conditions: trust,
	}}})
	r := iamrole.NewIamRole(c, jsii.String(id), &iamrole.IamRoleConfig{
		Name: jsii.String(name), AssumeRolePolicy: doc.JSON(), MaxSessionDuration: jsii.Number(3600),
		Description: jsii.String("GitHub Actions of " + c.props.GitHubRepository + " on " + MainRef),
	})
	policyDoc := iamdoc.NewDocument(c, id+"_policy_document", iamdoc.DocumentProps{Statements: statements})
	inline := iamrolepolicy.NewIamRolePolicy(c, jsii.String(id+"_policy"), &iamrolepolicy.IamRolePolicyConfig{
		Name: jsii.String(c.props.Scope.Names.CIRolePolicy()), Role: r.Name(), Policy: policyDoc.JSON(),
	})
	policy.Suppress(inline, policy.IAMNoUnconditionedWildcardResource.Name, wildcardReason)
	c.resources[id], c.resources[id+"_policy"] = r, inline
	return r
}

// MoveFromStackRoot adds a moved block to each resource, from the address it
// had when the bootstrap stack created it at its root (before this construct
// existed), so that the state of a bootstrap applied then follows the
// resources instead of replacing the roles and the OIDC provider.
func (c *Roles) MoveFromStackRoot() {
	for _, id := range slices.Sorted(maps.Keys(c.resources)) {
		stackbase.MovedFrom(c.resources[id], id)
	}
}

// DeployRoleArn is the deploy role's ARN.
func (c *Roles) DeployRoleArn() *string { return c.deploy.Arn() }

// PlanRoleArn is the plan role's ARN.
func (c *Roles) PlanRoleArn() *string { return c.plan.Arn() }

// DeploySubject is the OIDC subject of the deploy job: a job of this
// repository running in the GitHub environment of the same name (GitHub's
// default subject for a job that names an environment).
func (c *Roles) DeploySubject() string {
	return "repo:" + c.props.GitHubRepository + ":environment:" + c.props.Scope.Names.Environment
}

// PlanSubject is the OIDC subject of a job on main that names no
// environment (GitHub's default subject for a branch: it names the branch).
func (c *Roles) PlanSubject() string {
	return "repo:" + c.props.GitHubRepository + ":ref:" + MainRef
}

// DeployTrust: the token is for STS, its subject is the environment's job,
// its ref claim (a condition key AWS STS takes from GitHub's token) is main,
// and the job is the deployment workflow's (job_workflow_ref: the file and
// the ref it was read from): a job of another branch, or another workflow on
// main, that names the environment is refused by IAM itself. A token without
// these claims matches no StringEquals: refused too.
func (c *Roles) DeployTrust() []iamdoc.Condition {
	return []iamdoc.Condition{
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":aud", Values: []string{names.ServicePrincipal("sts")}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":sub", Values: []string{c.DeploySubject()}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":ref", Values: []string{MainRef}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":environment", Values: []string{c.props.Scope.Names.Environment}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":job_workflow_ref", Values: []string{c.WorkflowRef(DeployWorkflow)}},
	}
}

// PlanTrust: a job on main without an environment (the deploy workflow's plan
// job, the drift check); pull requests and other branches are refused.
func (c *Roles) PlanTrust() []iamdoc.Condition {
	return []iamdoc.Condition{
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":aud", Values: []string{names.ServicePrincipal("sts")}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":sub", Values: []string{c.PlanSubject()}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":ref", Values: []string{MainRef}},
		{Test: "StringEquals", Variable: GitHubOIDCHost + ":job_workflow_ref", Values: []string{c.WorkflowRef(DeployWorkflow), c.WorkflowRef(DriftWorkflow)}},
	}
}
