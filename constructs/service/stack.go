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
	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/adoption"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/logs"
	"github.com/phase-mirror/fp-calibration-infra/constructs/monitoring"
	"github.com/phase-mirror/fp-calibration-infra/constructs/pins"
	"github.com/phase-mirror/fp-calibration-infra/constructs/salt"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
)

// MetricNamespace is where the application publishes its custom metrics.
const MetricNamespace = monitoring.Namespace

// Stack is one environment's stack.
type Stack struct {
	// Stack is the CDKTF stack every resource of the environment belongs to.
	Stack      cdktf.TerraformStack
	Env        config.Environment
	Key        *cmk.Key
	DataStore  *datastore.DataStore
	Salt       *salt.Salt
	Roles      Roles
	LogGroups  LogGroups
	Monitoring *monitoring.Monitoring
	// Imports are the import blocks of an adoption (settings: adopt.enabled).
	Imports []adoption.Import
	props   Props
}

// Roles are the three Lambda execution roles.
type Roles struct {
	FPIngestion, CalibrationQuery, SaltRotator *access.Role
}

// LogGroups are the Lambda log groups, one per function.
type LogGroups struct {
	FPIngestion, CalibrationQuery, SaltRotator *logs.LogGroup
}

// Props are what a stack needs besides its settings.
type Props struct {
	// RotatorPackage returns the built salt rotation Lambda. Required. It is
	// called only when the salt is composed, so the build can run while jsii
	// loads the provider bindings for the resources composed before it.
	RotatorPackage func() (salt.RotatorPackage, error)
}

// NewStack composes the environment's stack under scope, named after the environment.
func NewStack(scope constructs.Construct, env config.Environment, props Props) (*Stack, error) {
	stack := cdktf.NewTerraformStack(scope, jsii.String(env.Name))
	s := &Stack{Stack: stack, Env: env, props: props}
	pins.Apply(stack)
	stackbase.Provider(stack, stackbase.ProviderProps{Region: env.Region, AccountID: env.AccountID, Project: env.ProjectName, Environment: env.Name})
	statestore.Configure(stack, env)

	steps := []func() error{s.key, s.dataStore, s.logGroups, s.roles, s.salt, s.grants, s.monitoring, s.adopt}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	s.outputs()
	return s, nil
}

func (s *Stack) name(what string) string { return s.Env.ProjectName + "-" + what + "-" + s.Env.Name }

func (s *Stack) key() (err error) {
	s.Key, err = cmk.New(s.Stack, "key", cmk.Props{
		AliasName:             "alias/" + s.name("secrets"),
		Description:           "Encrypts the " + s.Env.ProjectName + " FP Calibration Service data of " + s.Env.Name,
		AccountID:             s.Env.AccountID,
		Region:                s.Env.Region,
		PreventDestroy:        s.Env.IsProduction(),
		AccountUseViaServices: []string{"dynamodb", "ssm"},
	})
	if err != nil {
		return err
	}
	// CreateSecret with a customer managed key needs kms:GenerateDataKey and
	// kms:Decrypt (Secrets Manager API Reference, CreateSecret): whoever deploys.
	s.Key.AllowAccountUseThrough("AccountCreatesTheSecretThroughSecretsManager", cmk.SecretWriterActions, "secretsmanager")
	return nil
}

func (s *Stack) dataStore() (err error) {
	s.DataStore, err = datastore.New(s.Stack, "datastore", datastore.Props{
		Project:            s.Env.ProjectName,
		Environment:        s.Env.Name,
		Key:                s.Key,
		DeletionProtection: s.Env.DeletionProtection,
		PreventDestroy:     s.Env.IsProduction(),
	})
	return err
}

func (s *Stack) logGroups() error {
	for _, lg := range []struct {
		id   string
		fn   string
		dest **logs.LogGroup
	}{
		{"fp_ingestion_logs", s.Env.Functions.FPIngestion, &s.LogGroups.FPIngestion},
		{"calibration_query_logs", s.Env.Functions.CalibrationQuery, &s.LogGroups.CalibrationQuery},
		{"salt_rotator_logs", s.Env.Functions.SaltRotator, &s.LogGroups.SaltRotator},
	} {
		group, err := logs.NewLogGroup(s.Stack, lg.id, logs.LogGroupProps{FunctionName: lg.fn, RetentionDays: s.Env.LogRetentionDays, Key: s.Key})
		if err != nil {
			return err
		}
		*lg.dest = group
	}
	return nil
}

// saltName is the secret's name; the application is configured with it.
func (s *Stack) saltName() string {
	return "/" + s.Env.ProjectName + "/fp-calibration/hmac-salt-" + s.Env.Name
}

func (s *Stack) roles() error {
	var tables []string
	for _, t := range s.DataStore.Tables() {
		tables = append(tables, t.Name())
	}
	ceiling, err := access.EnvironmentCeiling(access.CeilingProps{
		Region: s.Env.Region, AccountID: s.Env.AccountID,
		TableNames:        tables,
		DynamoDBActions:   []string{datastore.GetItem, datastore.PutItem, datastore.Query, datastore.Scan},
		SecretName:        s.saltName(),
		SaltParameterName: salt.ParameterStoreReferencePrefix + s.saltName(),
		KeyServices:       []string{"dynamodb", "secretsmanager"},
		FunctionNames:     []string{s.Env.Functions.FPIngestion, s.Env.Functions.CalibrationQuery, s.Env.Functions.SaltRotator},
		MetricNamespace:   MetricNamespace,
	})
	if err != nil {
		return err
	}
	boundary, err := access.NewBoundary(s.Stack, "lambda_boundary", access.BoundaryProps{Name: s.name("lambda-boundary"), Statements: ceiling})
	if err != nil {
		return err
	}
	for _, r := range []struct {
		id, name, grantee, description string
		dest                           **access.Role
	}{
		{"fp_ingestion_role", s.name("fp-ingestion-lambda"), "FpIngestion", "FP ingestion Lambda: reads consent and the salt, writes calibration events", &s.Roles.FPIngestion},
		{"calibration_query_role", s.name("calibration-query-lambda"), "CalibrationQuery", "Calibration query Lambda: queries and scans calibration data", &s.Roles.CalibrationQuery},
		{"salt_rotator_role", s.name("salt-rotator-lambda"), "SaltRotator", "Salt rotation Lambda: rotates the HMAC salt secret", &s.Roles.SaltRotator},
	} {
		role, err := access.NewRole(s.Stack, r.id, access.RoleProps{
			Name: r.name, GranteeName: r.grantee, Description: r.description, AccountID: s.Env.AccountID, Boundary: boundary,
		})
		if err != nil {
			return err
		}
		*r.dest = role
	}
	return nil
}

func (s *Stack) salt() error {
	if s.props.RotatorPackage == nil {
		return errors.New("service.Props.RotatorPackage is required")
	}
	pkg, err := s.props.RotatorPackage()
	if err != nil {
		return err
	}
	s.Salt, err = salt.New(s.Stack, "salt", salt.Props{
		Name:                s.saltName(),
		Key:                 s.Key,
		AccountID:           s.Env.AccountID,
		RecoveryWindowDays:  s.Env.SecretRecoveryWindowDays,
		PreventDestroy:      s.Env.IsProduction(),
		RotatorFunctionName: s.Env.Functions.SaltRotator,
		RotatorRole:         s.Roles.SaltRotator,
		RotatorPackage:      pkg,
		RotatorDependsOn:    []cdktf.ITerraformDependable{s.LogGroups.SaltRotator.Dependable()},
		AgeCheckRuleName:    s.name("salt-rotation-age-check"),
	})
	return err
}

func (s *Stack) monitoring() (err error) {
	data := s.DataStore
	fns := s.Env.Functions
	lambdaErrors := func(short, name string, timeout int) monitoring.Function {
		return monitoring.Function{Short: short, Name: name, TimeoutSeconds: timeout,
			ErrorsThreshold: 10, ErrorsPeriods: 2, ErrorsSeverity: monitoring.Warning, ErrorsRunbook: "lambda-errors"}
	}
	s.Monitoring, err = monitoring.New(s.Stack, "monitoring", monitoring.Props{
		Inputs: monitoring.Inputs{
			Project: s.Env.ProjectName, Environment: s.Env.Name,
			Tables: []monitoring.Table{
				watched("consent-store", data.ConsentTable),
				watched("calibration-store", data.CalibrationTable),
				watched("fp-events", data.FPEventsTable),
				watched("block-counter", data.BlockCounterTable),
			},
			ThrottleCriticalTable: data.CalibrationTable.Name(),
			Functions: []monitoring.Function{
				lambdaErrors("fp-ingestion", fns.FPIngestion, s.Env.FunctionTimeouts.FPIngestion),
				lambdaErrors("calibration-query", fns.CalibrationQuery, s.Env.FunctionTimeouts.CalibrationQuery),
				// A failed rotation or an overdue salt fails the rotator: one error is critical.
				{Short: "salt-rotator", Name: fns.SaltRotator, TimeoutSeconds: salt.RotatorTimeoutSeconds,
					ErrorsThreshold: 0, ErrorsPeriods: 1, ErrorsSeverity: monitoring.Critical, ErrorsRunbook: "salt-rotation"},
			},
			RotatorFunction: fns.SaltRotator,
			TableOperations: []string{"GetItem", "Query", "Scan", "PutItem", "UpdateItem"},
		},
		Region: s.Env.Region, AccountID: s.Env.AccountID, Key: s.Key,
		CriticalEmails: s.Env.AlertEmails.Critical, WarningEmails: s.Env.AlertEmails.Warning,
		LogGroups: map[string]string{
			"fp-ingestion": s.LogGroups.FPIngestion.Name(), "calibration-query": s.LogGroups.CalibrationQuery.Name(), "salt-rotator": s.LogGroups.SaltRotator.Name(),
		},
		ContributorInsights: []monitoring.ContributorInsight{
			// Consent is read by orgId on every FP report: shows which organizations dominate traffic.
			{TableName: data.ConsentTable.Name(), DependsOn: data.ConsentTable.Dependable()},
			// Calibration is queried by ruleId on rule-index: shows hot rules before they throttle.
			{TableName: data.CalibrationTable.Name(), Index: datastore.RuleIndex, DependsOn: data.CalibrationTable.Dependable()},
		},
	})
	return err
}

// watched is a table as monitoring sees it: its name and its indexes.
func watched(short string, t *datastore.Table) monitoring.Table {
	w := monitoring.Table{Short: short, Name: t.Name()}
	for _, ix := range t.Indexes() {
		w.Indexes = append(w.Indexes, ix.Name)
	}
	return w
}

// grants is the whole of the roles' permissions: what "What each role needs"
// in the service's specification lists, and nothing more.
func (s *Stack) grants() error {
	ingestion, query, rotator := s.Roles.FPIngestion, s.Roles.CalibrationQuery, s.Roles.SaltRotator
	data := s.DataStore
	for _, g := range []func() error{
		func() error {
			return data.ConsentTable.Grant(ingestion, "ReadsConsent", []string{datastore.GetItem, datastore.Query})
		},
		func() error {
			return data.CalibrationTable.Grant(ingestion, "WritesCalibrationEvents", []string{datastore.PutItem})
		},
		func() error {
			return data.CalibrationTable.Grant(query, "QueriesCalibration", []string{datastore.Query, datastore.Scan}, datastore.RuleIndex)
		},
	} {
		if err := g(); err != nil {
			return err
		}
	}
	s.Salt.GrantReadThroughParameterStore(ingestion, s.Env.Region)
	ingestion.GrantPutMetricData(MetricNamespace)
	s.LogGroups.FPIngestion.GrantWriteLogs(ingestion)
	s.LogGroups.CalibrationQuery.GrantWriteLogs(query)
	s.LogGroups.SaltRotator.GrantWriteLogs(rotator) // the rotation grant itself is made by the salt
	return nil
}
