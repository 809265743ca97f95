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
	// LogGroups are the log groups that exist: the Lambda runtime creates
	// /aws/lambda/<function> on a function's first invocation.
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
	for _, want := range props.LogGroups {
		if !slices.Contains(a.found, want) {
			return nil, fmt.Errorf("adoption: the stack has no log group %q", want)
		}
	}
	for i, want := range props.Alarms {
		if !slices.Contains(a.found, want) {
			return nil, &UnknownAlarmError{Index: i, Name: want, Known: a.alarms}
		}
	}
	return a.imports, nil
}

// UnknownAlarmError: an alarm to adopt (Props.Alarms[Index]) is not an
// alarm of the stack; Known are the stack's alarm names.
type UnknownAlarmError struct {
	Index int
	Name  string
	Known []string
}

func (e *UnknownAlarmError) Error() string {
	return fmt.Sprintf("adoption: %q is not an alarm of the stack", e.Name)
}

type adopter struct {
	stack   cdktf.TerraformStack
	imports []Import
	found   []string
	alarms  []string
}

func (a *adopter) add(r cdktf.TerraformResource, id string) {
	r.ImportFrom(jsii.String(id), nil)
	address := *r.TerraformResourceType() + "." + *a.stack.GetLogicalId(r)
	a.imports = append(a.imports, Import{Address: address, ID: id})
}
