// Package service composes the FP Calibration Service infrastructure of one
// environment: provider, state backend, KMS key, data store, salt secret and
// its rotation, IAM roles built from grants, log groups, and outputs.
package service

import (
	"errors"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/adoption"
	"github.com/phase-mirror/fp-calibration-infra/constructs/ci"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/function"
	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/monitoring"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/pins"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
	"github.com/phase-mirror/fp-calibration-infra/constructs/salt"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
)

// Stack is one environment's stack.
type Stack struct {
	// TerraformStack is the stack every resource of the environment belongs
	// to: a Stack is a construct.
	cdktf.TerraformStack
	Env config.Environment
	// Names are the physical names of the environment's resources.
	Names      names.Env
	Key        *cmk.Key
	DataStore  *datastore.DataStore
	Salt       *salt.Salt
	Functions  Functions
	Monitoring *monitoring.Monitoring
	// Imports are the import blocks of an adoption (settings: adopt.enabled).
	Imports []adoption.Import
	props   Props
}

// Props are what a stack is built from.
type Props struct {
	// Env is the environment's settings. Only this composition (and the
	// bootstrap's, in app/) reads them; the constructs take props.
	Env config.Environment
	// RotatorPackage returns the built salt rotation Lambda. Required. It is
	// called only when the salt is composed, so the build can run while jsii
	// loads the provider bindings for the resources composed before it.
	RotatorPackage func() (salt.RotatorPackage, error)
}

// NewStack composes an environment's stack under scope; id names the stack
// (the environment's name, by convention).
func NewStack(scope constructs.Construct, id string, props Props) (*Stack, error) {
	if id == "" {
		return nil, errors.New("service.NewStack: id is required (the stack's name)")
	}
	env := props.Env
	stack := cdktf.NewTerraformStack(scope, jsii.String(id))
	s := &Stack{TerraformStack: stack, Env: env, Names: Names(env), props: props}
	pins.Apply(stack)
	stackbase.Provider(stack, stackbase.ProviderProps{Region: env.Region, AccountID: env.AccountID, Project: env.ProjectName, Environment: env.Name})
	if err := statestore.Configure(stack, backend(env)); err != nil {
		return nil, err
	}

	if err := s.compose(); err != nil {
		return nil, err
	}
	s.outputs()
	return s, nil
}

// compose builds the environment's constructs. Each step takes what it
// depends on as arguments, so the order is the data's, not a list's.
func (s *Stack) compose() (err error) {
	if s.Key, err = s.key(); err != nil {
		return err
	}
	if s.DataStore, err = s.dataStore(s.Key); err != nil {
		return err
	}
	if s.Functions, err = s.functions(s.Key); err != nil {
		return err
	}
	s.forgetBootstrapOwned()
	if s.Salt, err = s.salt(s.Key, s.Functions.SaltRotator); err != nil {
		return err
	}
	if err = grant(s.DataStore, s.Salt, s.Functions); err != nil {
		return err
	}
	if s.Monitoring, err = s.monitoring(s.Key, s.DataStore, s.Functions); err != nil {
		return err
	}
	s.Imports, err = s.adopt()
	return err
}

// Names are the physical names of env's resources.
func Names(env config.Environment) names.Env {
	return names.Env{Project: env.ProjectName, Environment: env.Name, Region: env.Region, AccountID: env.AccountID}
}

func (s *Stack) key() (*cmk.Key, error) {
	key, err := cmk.New(s.TerraformStack, "key", cmk.Props{
		AliasName:             s.Names.KeyAlias(),
		Description:           "Encrypts the " + s.Env.ProjectName + " FP Calibration Service data of " + s.Env.Name,
		Names:                 s.Names,
		Destroyable:           !s.Env.IsProduction(),
		AccountUseViaServices: []string{"dynamodb", "ssm"},
	})
	if err != nil {
		return nil, err
	}
	// CreateSecret with a customer managed key needs kms:GenerateDataKey and
	// kms:Decrypt (Secrets Manager API Reference, CreateSecret): whoever deploys.
	key.AddToResourcePolicy(iamdoc.Statement{
		Sid:        "AccountCreatesTheSecretThroughSecretsManager",
		Principals: []iamdoc.Principal{{Type: "AWS", Identifiers: []string{s.Names.AccountRoot()}}},
		Actions:    cmk.SecretWriterActions,
		Resources:  []string{"*"},
		Conditions: []iamdoc.Condition{
			{Test: "StringEquals", Variable: "kms:ViaService", Values: []string{s.Names.ServiceEndpoint("secretsmanager")}},
			{Test: "StringEquals", Variable: "kms:CallerAccount", Values: []string{s.Names.AccountID}},
		},
	})
	// The deploy and plan roles are named in the key policy, set in the
	// CreateKey call itself: what they may do to and with the key is in force
	// from the key's first moment, and depends on no tag or alias.
	for _, st := range ci.KeyPolicyStatements(s.Names) {
		key.AddToResourcePolicy(st)
	}
	return key, nil
}

func (s *Stack) dataStore(key *cmk.Key) (*datastore.DataStore, error) {
	data, err := datastore.New(s.TerraformStack, "datastore", datastore.Props{
		Names:                     s.Names,
		Key:                       key,
		WithoutDeletionProtection: !s.Env.DeletionProtection,
		Destroyable:               !s.Env.IsProduction(),
	})
	if err != nil || s.Env.DeletionProtection {
		return data, err
	}
	for _, t := range data.Tables() {
		t.Suppress(policy.DynamoDBDeletionProtection,
			"deletion protection is off by this environment's settings (deletion_protection: false); the settings refuse that for production")
	}
	return data, nil
}

func (s *Stack) salt(key *cmk.Key, rotator *function.Identity) (*salt.Salt, error) {
	if s.props.RotatorPackage == nil {
		return nil, errors.New("service.Props.RotatorPackage is required")
	}
	pkg, err := s.props.RotatorPackage()
	if err != nil {
		return nil, err
	}
	return salt.New(s.TerraformStack, "salt", salt.Props{
		Names:              s.Names,
		Key:                key,
		RecoveryWindowDays: s.Env.SecretRecoveryWindowDays,
		Destroyable:        !s.Env.IsProduction(),
		Rotator:            rotator,
		RotatorPackage:     pkg,
	})
}

func (s *Stack) monitoring(key *cmk.Key, data *datastore.DataStore, fns Functions) (*monitoring.Monitoring, error) {
	watch := func(f *function.Identity) monitoring.Function {
		return monitoring.Function{Short: f.Short(), Name: f.Name(), TimeoutSeconds: f.TimeoutSeconds(),
			ErrorsThreshold: 10, ErrorsPeriods: 2, ErrorsSeverity: monitoring.Warning, ErrorsRunbook: "lambda-errors"}
	}
	// A failed rotation or an overdue salt fails the rotator: one error is critical.
	rotator := watch(fns.SaltRotator)
	rotator.ErrorsThreshold, rotator.ErrorsPeriods, rotator.ErrorsSeverity, rotator.ErrorsRunbook = 0, 1, monitoring.Critical, "salt-rotation"
	logGroups := map[string]string{}
	for _, f := range fns.All() {
		logGroups[f.Short()] = f.LogGroup.Name()
	}
	return monitoring.New(s.TerraformStack, "monitoring", monitoring.Props{
		Inputs: monitoring.Inputs{
			Names: s.Names,
			Tables: []monitoring.Table{
				watched("consent-store", data.ConsentTable),
				watched("calibration-store", data.CalibrationTable),
				watched("fp-events", data.FPEventsTable),
				watched("block-counter", data.BlockCounterTable),
			},
			ThrottleCriticalTable: data.CalibrationTable.Name(),
			Functions:             []monitoring.Function{watch(fns.FPIngestion), watch(fns.CalibrationQuery), rotator},
			RotatorFunction:       fns.SaltRotator.Name(),
			TableOperations:       []string{"GetItem", "Query", "Scan", "PutItem", "UpdateItem"},
		},
		Key:            key,
		CriticalEmails: s.Env.AlertEmails.Critical, WarningEmails: s.Env.AlertEmails.Warning,
		LogGroups: logGroups,
		ContributorInsights: []monitoring.ContributorInsight{
			// Consent is read by orgId on every FP report: shows which organizations dominate traffic.
			{TableName: data.ConsentTable.Name(), DependsOn: data.ConsentTable.Dependable()},
			// Calibration is queried by ruleId on rule-index: shows hot rules before they throttle.
			{TableName: data.CalibrationTable.Name(), Index: datastore.RuleIndex, DependsOn: data.CalibrationTable.Dependable()},
		},
	})
}

// watched is a table as monitoring sees it: its name and its indexes.
func watched(short string, t *datastore.Table) monitoring.Table {
	w := monitoring.Table{Short: short, Name: t.Name()}
	for _, ix := range t.Indexes() {
		w.Indexes = append(w.Indexes, ix.Name)
	}
	return w
}

// grant gives the functions the whole of their permissions: what "What each
// role needs" in the service's specification lists, and nothing more.
func grant(data *datastore.DataStore, slt *salt.Salt, fns Functions) error {
	ingestion, query := fns.FPIngestion, fns.CalibrationQuery
	data.ConsentTable.GrantReadData(ingestion)
	data.CalibrationTable.GrantWriteData(ingestion)
	if err := data.CalibrationTable.GrantQueryIndex(query, datastore.RuleIndex); err != nil {
		return err
	}
	slt.GrantReadThroughParameterStore(ingestion)
	ingestion.Role.GrantPutMetricData(names.MetricNamespace)
	// Each function writes its own logs (function.New) and the rotator
	// rotates the salt (salt.New).
	return nil
}
