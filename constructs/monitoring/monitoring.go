package monitoring

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchdashboard"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchmetricalarm"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/cloudwatchquerydefinition"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dynamodbcontributorinsights"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopic"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopicpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/snstopicsubscription"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Props configures the monitoring of one environment.
type Props struct {
	Inputs
	// Key encrypts the topics. Required.
	Key *cmk.Key
	// CriticalEmails and WarningEmails subscribe to the topics.
	CriticalEmails, WarningEmails []string
	// LogGroups are the functions' log groups by function short name, for queries.
	LogGroups map[string]string
	// ContributorInsights are the tables (and optional index) to run Contributor Insights on.
	ContributorInsights []ContributorInsight
}

// ContributorInsight names a table, or one of its indexes, to analyse.
type ContributorInsight struct {
	TableName string
	Index     string
	// DependsOn is the table resource.
	DependsOn cdktf.ITerraformDependable
}

// Monitoring is the environment's alerting.
type Monitoring struct {
	constructs.Construct
	props Props
	// topicArns are the topics' ARNs, each one token asked of jsii once
	// (alarms, policies and outputs name them: 40 round trips less a stack).
	topicArns map[Severity]*string
	Specs     []AlarmSpec
}

// New creates topics, subscriptions, alarms, dashboard, queries and insights.
func New(scope constructs.Construct, id string, props Props) (*Monitoring, error) {
	if props.Key == nil {
		return nil, errors.New("monitoring.Props.Key is required: topics are encrypted with the customer-managed key")
	}
	for _, p := range []struct {
		name string
		set  bool
	}{
		{"Names.Project", props.Names.Project != ""}, {"Names.Environment", props.Names.Environment != ""}, {"Names.Region", props.Names.Region != ""},
		{"Names.AccountID", props.Names.AccountID != ""}, {"Tables", len(props.Tables) > 0}, {"Functions", len(props.Functions) > 0},
	} {
		if !p.set {
			return nil, fmt.Errorf("monitoring.Props.%s is required", p.name)
		}
	}
	m := &Monitoring{props: props, topicArns: map[Severity]*string{}}
	constructs.NewConstruct_Override(m, scope, jsii.String(id))
	m.Specs = AlarmSpecs(props.Inputs)

	alarmPattern := props.Names.AlarmARN(props.Names.Alarm("*"))
	m.allowAlarmsToUseKey(alarmPattern)
	for _, sev := range []struct {
		severity Severity
		emails   []string
	}{{Critical, props.CriticalEmails}, {Warning, props.WarningEmails}} {
		m.topic(sev.severity, sev.emails, alarmPattern)
	}
	alarms := m.alarms()
	if err := m.dashboard(alarms); err != nil {
		return nil, err
	}
	m.queries()
	for i, ci := range props.ContributorInsights {
		cfg := &dynamodbcontributorinsights.DynamodbContributorInsightsConfig{
			TableName: jsii.String(ci.TableName), DependsOn: &[]cdktf.ITerraformDependable{ci.DependsOn},
		}
		if ci.Index != "" {
			cfg.IndexName = jsii.String(ci.Index)
		}
		dynamodbcontributorinsights.NewDynamodbContributorInsights(m, jsii.String(fmt.Sprintf("contributor_insights_%d", i+1)), cfg)
	}
	return m, nil
}

// allowAlarmsToUseKey lets CloudWatch (only for this environment's alarms, in
// this account) use the key to publish to the encrypted topics.
func (m *Monitoring) allowAlarmsToUseKey(alarmPattern string) {
	m.props.Key.AddToResourcePolicy(iamdoc.Statement{
		Sid:        "CloudWatchAlarmsPublishToEncryptedTopics",
		Principals: []iamdoc.Principal{{Type: "Service", Identifiers: []string{names.ServicePrincipal("cloudwatch")}}},
		Actions:    []string{"kms:Decrypt", "kms:GenerateDataKey*"},
		Resources:  []string{"*"},
		Conditions: []iamdoc.Condition{
			{Test: "StringEquals", Variable: "aws:SourceAccount", Values: []string{m.props.Names.AccountID}},
			{Test: "ArnLike", Variable: "aws:SourceArn", Values: []string{alarmPattern}},
		},
	})
}

// TopicName is the name of a severity's topic.
func (m *Monitoring) TopicName(s Severity) string {
	return m.props.Names.Topic(string(s))
}

// DashboardName is the environment's dashboard.
func (m *Monitoring) DashboardName() string { return m.props.Names.Dashboard() }

// TopicArn is the ARN of a severity's topic.
func (m *Monitoring) TopicArn(s Severity) *string { return m.topicArns[s] }

func (m *Monitoring) topic(severity Severity, emails []string, alarmPattern string) {
	id := string(severity)
	topic := snstopic.NewSnsTopic(m, jsii.String(id+"_topic"), &snstopic.SnsTopicConfig{
		Name:           jsii.String(m.TopicName(severity)),
		DisplayName:    jsii.String(fmt.Sprintf("Phase Mirror %s alerts (%s)", severity, m.props.Names.Environment)),
		KmsMasterKeyId: m.props.Key.Arn(),
	})
	arn := topic.Arn()
	m.topicArns[severity] = arn
	policy := iamdoc.NewDocument(m, id+"_topic_policy_document", iamdoc.DocumentProps{})
	policy.Add(
		iamdoc.Statement{
			Sid:        "CloudWatchAlarmsOfThisAccountPublish",
			Principals: []iamdoc.Principal{{Type: "Service", Identifiers: []string{names.ServicePrincipal("cloudwatch")}}},
			Actions:    []string{"sns:Publish"},
			Resources:  []string{*arn},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: "aws:SourceAccount", Values: []string{m.props.Names.AccountID}},
				{Test: "ArnLike", Variable: "aws:SourceArn", Values: []string{alarmPattern}},
			},
		},
		iamdoc.Statement{
			Sid:        "DenyRequestsWithoutTLS",
			Deny:       true,
			Principals: []iamdoc.Principal{{Type: "*", Identifiers: []string{"*"}}},
			Actions:    []string{"sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes", "sns:SetTopicAttributes"},
			Resources:  []string{*arn},
			Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"false"}}},
		},
	)
	snstopicpolicy.NewSnsTopicPolicy(m, jsii.String(id+"_topic_policy"), &snstopicpolicy.SnsTopicPolicyConfig{
		Arn: arn, Policy: policy.JSON(),
	})
	for i, email := range emails {
		snstopicsubscription.NewSnsTopicSubscription(m, jsii.String(fmt.Sprintf("%s_email_%d", id, i+1)), &snstopicsubscription.SnsTopicSubscriptionConfig{
			TopicArn: arn, Protocol: jsii.String("email"), Endpoint: jsii.String(email),
		})
	}
}

func (m *Monitoring) alarms() []cdktf.ITerraformDependable {
	deps := []cdktf.ITerraformDependable{}
	for _, spec := range m.Specs {
		topic := m.topicArns[spec.Severity]
		cfg := &cloudwatchmetricalarm.CloudwatchMetricAlarmConfig{
			AlarmName:          jsii.String(spec.Name),
			AlarmDescription:   jsii.String(spec.Description()),
			ComparisonOperator: jsii.String(spec.Comparison),
			EvaluationPeriods:  jsii.Number(float64(spec.Evaluation)),
			DatapointsToAlarm:  jsii.Number(float64(spec.ToAlarm)),
			Threshold:          jsii.Number(spec.Threshold),
			TreatMissingData:   jsii.String(spec.MissingData),
			AlarmActions:       &[]*string{topic},
			OkActions:          &[]*string{topic},
		}
		if spec.Metric != nil {
			cfg.Namespace = jsii.String(spec.Metric.Namespace)
			cfg.MetricName = jsii.String(spec.Metric.Name)
			cfg.Statistic = jsii.String(spec.Metric.Stat)
			cfg.Period = jsii.Number(float64(spec.Period))
			cfg.Dimensions = stringMap(spec.Metric.Dimensions)
		} else {
			queries := []*cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery{{
				Id: jsii.String("total"), Expression: jsii.String(spec.Expression), Label: jsii.String(spec.Name), ReturnData: jsii.Bool(true),
			}}
			for _, id := range slices.Sorted(maps.Keys(spec.Inputs)) {
				in := spec.Inputs[id]
				queries = append(queries, &cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQuery{
					Id: jsii.String(id), ReturnData: jsii.Bool(false),
					Metric: &cloudwatchmetricalarm.CloudwatchMetricAlarmMetricQueryMetric{
						Namespace: jsii.String(in.Namespace), MetricName: jsii.String(in.Name), Stat: jsii.String(in.Stat),
						Period: jsii.Number(float64(spec.Period)), Dimensions: stringMap(in.Dimensions),
					},
				})
			}
			cfg.MetricQuery = &queries
		}
		deps = append(deps, cloudwatchmetricalarm.NewCloudwatchMetricAlarm(m, jsii.String(spec.Name), cfg))
	}
	return deps
}

func (m *Monitoring) dashboard(alarms []cdktf.ITerraformDependable) error {
	body, err := DashboardBody(m.props, m.Specs)
	if err != nil {
		return err
	}
	cloudwatchdashboard.NewCloudwatchDashboard(m, jsii.String("dashboard"), &cloudwatchdashboard.CloudwatchDashboardConfig{
		DashboardName: jsii.String(m.props.Names.Dashboard()),
		DashboardBody: jsii.String(body),
		DependsOn:     &alarms,
	})
	return nil
}

func (m *Monitoring) queries() {
	for _, q := range SavedQueries(m.props) {
		cloudwatchquerydefinition.NewCloudwatchQueryDefinition(m, jsii.String("query_"+q.ID), &cloudwatchquerydefinition.CloudwatchQueryDefinitionConfig{
			Name: jsii.String(q.Name), QueryString: jsii.String(q.Query), LogGroupNames: jsii.Strings(q.LogGroups...),
		})
	}
}

func stringMap(m map[string]string) *map[string]*string {
	out := map[string]*string{}
	for k, v := range m {
		out[k] = jsii.String(v)
	}
	return &out
}
