package service

import (
	"github.com/aws/jsii-runtime-go"

	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/monitoring"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// outputs names every output after its resource (terraform-aws-modules style).
func (s *Stack) outputs() {
	for _, t := range []struct {
		prefix string
		table  *datastore.Table
	}{
		{"consent_table", s.DataStore.ConsentTable},
		{"calibration_table", s.DataStore.CalibrationTable},
		{"fp_events_table", s.DataStore.FPEventsTable},
		{"block_counter_table", s.DataStore.BlockCounterTable},
	} {
		s.output(t.prefix+"_name", jsii.String(t.table.Name()), "Name of the "+t.table.Name()+" DynamoDB table")
		s.output(t.prefix+"_arn", t.table.Arn(), "ARN of the "+t.table.Name()+" DynamoDB table")
		for _, ix := range t.table.Indexes() {
			s.output(t.prefix+"_"+snake(ix.Name)+"_name", jsii.String(ix.Name), "Global secondary index of "+t.table.Name()+" on "+ix.PartitionKey.Name)
		}
	}
	s.output("kms_key_arn", s.Key.Arn(), "ARN of the customer-managed key that encrypts this environment's data")
	s.output("kms_key_alias", s.Key.AliasName(), "Alias of the customer-managed key")
	s.output("redaction_nonce_parameter_name", s.DataStore.NonceParameterName(), "SSM SecureString holding the redaction nonce (value set out of band)")
	s.output("salt_secret_name", jsii.String(s.Salt.Name()), "Secrets Manager secret holding the HMAC salt (64 lowercase hex characters)")
	s.output("salt_secret_arn", s.Salt.Arn(), "ARN of the HMAC salt secret")
	s.output("anonymizer_salt_parameter_name", jsii.String(s.Salt.ParameterName()), "Name the anonymizer passes to SSM GetParameter (with decryption) to read the salt")
	s.output("salt_rotator_function_name", s.Salt.RotatorFunctionName(), "Lambda function that rotates the salt")
	s.output("salt_rotator_function_arn", s.Salt.RotatorFunctionArn(), "ARN of the salt rotation function")
	s.output("critical_alerts_topic_arn", s.Monitoring.TopicArn(monitoring.Critical), "SNS topic of critical alarms ("+s.Monitoring.TopicName(monitoring.Critical)+")")
	s.output("warning_alerts_topic_arn", s.Monitoring.TopicArn(monitoring.Warning), "SNS topic of warning alarms ("+s.Monitoring.TopicName(monitoring.Warning)+")")
	s.output("dashboard_name", jsii.String(s.Monitoring.DashboardName()), "CloudWatch dashboard of the environment")
	for _, f := range s.Functions.All() {
		prefix := snake(f.Short())
		s.output(prefix+"_role_name", jsii.String(f.RoleName()), "Execution role of the "+f.Name()+" function")
		s.output(prefix+"_role_arn", f.Arn(), "ARN of the execution role of "+f.Name())
		s.output(prefix+"_log_group_name", jsii.String(f.LogGroup.Name()), "Log group of "+f.Name())
	}
}

func (s *Stack) output(name string, value *string, description string) {
	stackbase.Output(s.TerraformStack, name, value, description)
}

func snake(s string) string {
	out := []byte(s)
	for i, c := range out {
		if c == '-' {
			out[i] = '_'
		}
	}
	return string(out)
}
