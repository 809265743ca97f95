package access

import (
	"fmt"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// CeilingProps names what one environment's roles may ever touch.
type CeilingProps struct {
	// Names places the resources (Region and AccountID required).
	Names names.Env
	// TableNames are the environment's tables (their indexes are included).
	TableNames []string
	// DynamoDBActions are the data-plane actions the service uses.
	DynamoDBActions []string
	// SecretName is the salt secret's name.
	SecretName string
	// SaltParameterName is the Parameter Store reference path of the salt.
	SaltParameterName string
	// KeyServices are the services through which a key of this account may be used.
	KeyServices []string
	// FunctionNames are the environment's Lambda functions (their log groups).
	FunctionNames []string
	// MetricNamespace is the only namespace metrics may be published in.
	MetricNamespace string
}

// EnvironmentCeiling is the permissions boundary of an environment: written
// independently of the grants, from names only, it confines every role to its
// own environment's resources, so a grant that reached another environment
// (or an attached managed policy) would still be denied.
func EnvironmentCeiling(p CeilingProps) ([]iamdoc.Statement, error) {
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"Names.Region", p.Names.Region != ""}, {"Names.AccountID", p.Names.AccountID != ""}, {"TableNames", len(p.TableNames) > 0},
		{"DynamoDBActions", len(p.DynamoDBActions) > 0}, {"SecretName", p.SecretName != ""}, {"SaltParameterName", p.SaltParameterName != ""},
		{"KeyServices", len(p.KeyServices) > 0}, {"FunctionNames", len(p.FunctionNames) > 0}, {"MetricNamespace", p.MetricNamespace != ""},
	} {
		if !f.set {
			return nil, fmt.Errorf("access.CeilingProps.%s is required", f.name)
		}
	}
	n := p.Names
	var tables []string
	for _, t := range p.TableNames {
		tables = append(tables, n.TableARN(t), n.TableIndexesARN(t))
	}
	var logGroups []string
	for _, f := range p.FunctionNames {
		logGroups = append(logGroups, n.LogGroupARNs(names.LogGroup(f))...)
	}
	var via []string
	for _, s := range p.KeyServices {
		via = append(via, n.ServiceEndpoint(s))
	}
	return []iamdoc.Statement{
		{Sid: "CeilingTablesOfThisEnvironment", Actions: p.DynamoDBActions, Resources: tables},
		{Sid: "CeilingSaltSecretOfThisEnvironment",
			Actions:   []string{"secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue", "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"},
			Resources: []string{n.SecretARN(p.SecretName)}},
		{Sid: "CeilingSaltThroughParameterStore", Actions: []string{"ssm:GetParameter"}, Resources: []string{n.ParameterARN(p.SaltParameterName)}},
		// Keys are named by pattern, not by the environment's key ARN: the key
		// policy names the roles, the roles name this boundary, so naming the key
		// here would be a dependency cycle. Which key a role may use is decided by
		// the key policies that name it (only this environment's key does).
		{Sid: "CeilingKeysThroughServices", Actions: []string{"kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"}, Resources: []string{n.KeysARN()},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: "kms:ViaService", Values: via},
				{Test: "StringEquals", Variable: "kms:CallerAccount", Values: []string{n.AccountID}},
			}},
		{Sid: "CeilingLogsOfThisEnvironment", Actions: []string{"logs:CreateLogStream", "logs:PutLogEvents"}, Resources: logGroups},
		{Sid: "CeilingMetricsInTheServiceNamespace", Actions: []string{"cloudwatch:PutMetricData"}, Resources: []string{"*"},
			Conditions: []iamdoc.Condition{{Test: "StringEquals", Variable: "cloudwatch:namespace", Values: []string{p.MetricNamespace}}}},
	}, nil
}
