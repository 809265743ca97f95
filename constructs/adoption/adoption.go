// Package adoption takes over, with Terraform import blocks, the resources
// that the hand-written HCL version of this infrastructure created under the
// same names, so that the first plan of a running environment imports them
// instead of failing to create them.
//
// It walks a composed stack and matches resources by type and physical name;
// it never builds a name itself, so the names live once, in the constructs.
package adoption

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchdashboard"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawskmsalias"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dataawssecretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dynamodbtable"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/iamrole"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmsalias"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/secretsmanagersecret"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopic"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/ssmparameter"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Props say which resources of the stack already exist.
type Props struct {
	// Names builds the SNS topic ARNs (a topic is imported by ARN).
	Names names.Env
	// LogGroups are the log group names of the stack that exist (settings:
	// adopt.log_groups): the Lambda runtime creates /aws/lambda/<function> on
	// a function's first invocation; the HCL version created none.
	LogGroups []string
	// Alarms are the alarm names of the stack that exist (settings: adopt.alarms).
	Alarms []string
}

// Import is one import block: the resource's address and its import id (a
// literal, or a data source reference Terraform reads during the plan).
type Import struct {
	Address, ID string
}

// Apply adds an import block to every resource of stack that the HCL version
// created: the DynamoDB tables, SSM parameters, the secret, the KMS key and
// its alias, IAM roles, SNS topics, the dashboard, and the log groups and
// alarms listed in props. Every listed log group and alarm must be a resource
// of the stack, and the stack must have exactly one key with one alias.
func Apply(stack cdktf.TerraformStack, props Props) ([]Import, error) {
	a := &adopter{stack: stack}
	var key kmskey.KmsKey
	var aliases []string
	for _, c := range *stack.Node().FindAll(constructs.ConstructOrder_PREORDER) {
		switch r := c.(type) {
		case dynamodbtable.DynamodbTable:
			a.add(r, *r.NameInput())
		case ssmparameter.SsmParameter:
			a.add(r, *r.NameInput())
		case iamrole.IamRole:
			a.add(r, *r.NameInput())
		case kmsalias.KmsAlias:
			aliases = append(aliases, *r.NameInput())
			a.add(r, *r.NameInput())
		case cloudwatchdashboard.CloudwatchDashboard:
			a.add(r, *r.DashboardNameInput())
		case snstopic.SnsTopic:
			a.add(r, props.Names.TopicARN(*r.NameInput()))
		case secretsmanagersecret.SecretsmanagerSecret:
			// A secret is imported by ARN, whose suffix AWS chose: read it by name.
			name := *r.NameInput()
			found := dataawssecretsmanagersecret.NewDataAwsSecretsmanagerSecret(stack, jsii.String("adopted_"+*r.Node().Id()),
				&dataawssecretsmanagersecret.DataAwsSecretsmanagerSecretConfig{Name: jsii.String(name)})
			a.add(r, *found.Arn())
		case kmskey.KmsKey:
			if key != nil {
				return nil, fmt.Errorf("adoption: the stack has two KMS keys; it can adopt one (by its alias)")
			}
			key = r
		case cloudwatchloggroup.CloudwatchLogGroup:
			a.logGroups = append(a.logGroups, *r.NameInput())
			if name := *r.NameInput(); slices.Contains(props.LogGroups, name) {
				a.add(r, name)
				a.found = append(a.found, name)
			}
		case cloudwatchmetricalarm.CloudwatchMetricAlarm:
			a.alarms = append(a.alarms, *r.AlarmNameInput())
			if name := *r.AlarmNameInput(); slices.Contains(props.Alarms, name) {
				a.add(r, name)
				a.found = append(a.found, name)
			}
		}
	}
	if key != nil {
		if len(aliases) != 1 {
			return nil, fmt.Errorf("adoption: the stack's key has %d aliases; it is found by its one alias", len(aliases))
		}
		// A key is imported by its id, which only its alias tells.
		alias := dataawskmsalias.NewDataAwsKmsAlias(stack, jsii.String("adopted_key_alias"), &dataawskmsalias.DataAwsKmsAliasConfig{Name: jsii.String(aliases[0])})
		a.add(key, *alias.TargetKeyId())
	}
	for _, named := range []struct {
		kind        string
		want, known []string
	}{{"log group", props.LogGroups, a.logGroups}, {"alarm", props.Alarms, a.alarms}} {
		for i, want := range named.want {
			if !slices.Contains(a.found, want) {
				return nil, &UnknownError{Kind: named.kind, Index: i, Name: want, Known: named.known}
			}
		}
	}
	return a.imports, nil
}

// UnknownError: a log group or alarm to adopt (Props.LogGroups[Index] or
// Props.Alarms[Index], by Kind) is not one of the stack's; Known are the
// stack's names of that kind.
type UnknownError struct {
	Kind  string // "log group" or "alarm"
	Index int
	Name  string
	Known []string
}

func (e *UnknownError) Error() string {
	return fmt.Sprintf("adoption: %q is not %s of the stack", e.Name, e.What())
}

// What is the kind with its article: "an alarm", "a log group".
func (e *UnknownError) What() string {
	if strings.HasPrefix(e.Kind, "a") {
		return "an " + e.Kind
	}
	return "a " + e.Kind
}

type adopter struct {
	stack   cdktf.TerraformStack
	imports []Import
	found   []string
	// alarms and logGroups are every alarm and log group name of the stack.
	alarms, logGroups []string
}

func (a *adopter) add(r cdktf.TerraformResource, id string) {
	r.ImportFrom(jsii.String(id), nil)
	address := *r.TerraformResourceType() + "." + *a.stack.GetLogicalId(r)
	a.imports = append(a.imports, Import{Address: address, ID: id})
}
