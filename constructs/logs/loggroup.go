// Package logs holds the Lambda log groups: managed by Terraform (so retention
// is set and nothing is kept forever), encrypted with the environment's key.
package logs

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchloggroup"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// LogGroupProps configures a Lambda function's log group.
type LogGroupProps struct {
	// FunctionName is the Lambda function that writes here. Required.
	FunctionName string
	// RetentionDays is how long events are kept. Required.
	RetentionDays int
	// Key encrypts the log events. Required.
	Key *cmk.Key
	// Names places the group's ARN (Region and AccountID required).
	Names names.Env
}

// LogGroup is /aws/lambda/<function name>.
type LogGroup struct {
	constructs.Construct
	props LogGroupProps
	group cloudwatchloggroup.CloudwatchLogGroup
}

// NewLogGroup creates the log group and lets CloudWatch Logs use the key for it.
func NewLogGroup(scope constructs.Construct, id string, props LogGroupProps) (*LogGroup, error) {
	switch {
	case props.FunctionName == "":
		return nil, errors.New("logs.LogGroupProps.FunctionName is required")
	case props.RetentionDays <= 0:
		return nil, errors.New("logs.LogGroupProps.RetentionDays is required")
	case props.Names.Region == "" || props.Names.AccountID == "":
		return nil, errors.New("logs.LogGroupProps.Names needs Region and AccountID")
	case props.Key == nil:
		return nil, errors.New("logs.LogGroupProps.Key is required: log groups are encrypted with the customer-managed key")
	}
	l := &LogGroup{props: props}
	constructs.NewConstruct_Override(l, scope, jsii.String(id))
	// CloudWatch Logs may use the key for this group only (kms:EncryptionContext:aws:logs:arn);
	// each group adds its ARN to one statement.
	props.Key.AddToResourcePolicy(iamdoc.Statement{
		Sid:        "CloudWatchLogsEncryptTheServiceLogGroups",
		Principals: []iamdoc.Principal{{Type: "Service", Identifiers: []string{props.Names.ServiceEndpoint("logs")}}},
		Actions:    cmk.LogsActions,
		Resources:  []string{"*"},
		Conditions: []iamdoc.Condition{{Test: "ArnEquals", Variable: "kms:EncryptionContext:aws:logs:arn", Values: []string{props.Names.LogGroupARNs(l.Name())[0]}}},
	})
	l.group = cloudwatchloggroup.NewCloudwatchLogGroup(l, jsii.String("group"), &cloudwatchloggroup.CloudwatchLogGroupConfig{
		Name:            jsii.String(l.Name()),
		RetentionInDays: jsii.Number(float64(props.RetentionDays)),
		KmsKeyId:        props.Key.Arn(),
	})
	return l, nil
}

// MovedFrom adds a moved block from where the group was when this LogGroup
// had the id id at the stack's root.
func (l *LogGroup) MovedFrom(id string) { stackbase.MovedFrom(l.group, id, "group") }

// Name is the log group's name.
func (l *LogGroup) Name() string { return names.LogGroup(l.props.FunctionName) }

// Arn is the log group's ARN (without the ":*" suffix).
func (l *LogGroup) Arn() *string { return l.group.Arn() }

// Dependable is the log group resource, for depends_on.
func (l *LogGroup) Dependable() cdktf.ITerraformDependable { return l.group }

// GrantWriteLogs lets grantee write log streams of this group only.
func (l *LogGroup) GrantWriteLogs(g iamdoc.Grantee) {
	g.AddToPrincipalPolicy(iamdoc.Statement{
		Sid:     g.GranteeName() + "WritesItsOwnLogs",
		Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		// CreateLogStream is authorised on the group, PutLogEvents on its streams
		// ("<group arn>:log-stream:<name>"); ":*" cannot reach another group.
		Resources: []string{*l.Arn(), *l.Arn() + ":*"},
	})
}
