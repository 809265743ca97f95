// Package service composes the FP Calibration Service infrastructure of one
// environment: provider, state backend, KMS key, data store and outputs.
package service

import (
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/secrets"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
)

// AWSProviderConstraint admits the provider the bindings were generated for
// (5.84) and newer 5.x releases such as the 5.100 in the local mirror.
const AWSProviderConstraint = "~> 5.84"

// Stack is one environment's stack.
type Stack struct {
	// Stack is the CDKTF stack every resource of the environment belongs to.
	Stack     cdktf.TerraformStack
	Env       config.Environment
	Key       *secrets.Key
	DataStore *datastore.DataStore
}

// NewStack composes the environment's stack under scope, named after the environment.
func NewStack(scope constructs.Construct, env config.Environment) (*Stack, error) {
	stack := cdktf.NewTerraformStack(scope, jsii.String(env.Name))
	s := &Stack{Stack: stack, Env: env}
	stack.AddOverride(jsii.String("terraform.required_providers.aws.version"), jsii.String(AWSProviderConstraint))
	provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{
		Region:            jsii.String(env.Region),
		AllowedAccountIds: jsii.Strings(env.AccountID),
		DefaultTags: &[]*provider.AwsProviderDefaultTags{{Tags: &map[string]*string{
			"Project":     jsii.String(env.ProjectName),
			"Environment": jsii.String(env.Name),
			"ManagedBy":   jsii.String("cdktf"),
		}}},
	})
	statestore.Configure(stack, env)

	var err error
	if s.Key, err = secrets.NewKey(stack, "key", secrets.KeyProps{
		AliasName:             "alias/" + env.ProjectName + "-secrets-" + env.Name,
		Description:           "Encrypts the " + env.ProjectName + " FP Calibration Service data of " + env.Name,
		AccountID:             env.AccountID,
		Region:                env.Region,
		PreventDestroy:        env.IsProduction(),
		AccountUseViaServices: []string{"dynamodb", "ssm"},
	}); err != nil {
		return nil, err
	}
	if s.DataStore, err = datastore.New(stack, "datastore", datastore.Props{
		Project:            env.ProjectName,
		Environment:        env.Name,
		Key:                s.Key,
		DeletionProtection: env.DeletionProtection,
		PreventDestroy:     env.IsProduction(),
	}); err != nil {
		return nil, err
	}
	s.outputs()
	return s, nil
}

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
}

func (s *Stack) output(name string, value *string, description string) {
	out := cdktf.NewTerraformOutput(s.Stack, jsii.String(name), &cdktf.TerraformOutputConfig{
		Value: value, Description: jsii.String(description), StaticId: jsii.Bool(true),
	})
	out.OverrideLogicalId(jsii.String(name))
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
