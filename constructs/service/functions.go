package service

import (
	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/function"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/salt"
)

// Functions are the identities (role, log group, timeout) of the three Lambda functions.
type Functions struct {
	FPIngestion, CalibrationQuery, SaltRotator *function.Identity
}

// All lists the functions in a stable order.
func (f Functions) All() []*function.Identity {
	return []*function.Identity{f.FPIngestion, f.CalibrationQuery, f.SaltRotator}
}

// functions creates the environment's permissions boundary and the identity
// of each function under it.
func (s *Stack) functions(key *cmk.Key, data *datastore.DataStore) (Functions, error) {
	fns, timeouts := s.Env.Functions, s.Env.FunctionTimeouts
	var tables []string
	for _, t := range data.Tables() {
		tables = append(tables, t.Name())
	}
	ceiling, err := access.EnvironmentCeiling(access.CeilingProps{
		Names:             s.Names,
		TableNames:        tables,
		DynamoDBActions:   datastore.DataActions,
		SecretName:        s.Names.SaltSecret(),
		SaltParameterName: s.Names.SaltParameterReference(),
		KeyServices:       []string{"dynamodb", "secretsmanager"},
		FunctionNames:     []string{fns.FPIngestion, fns.CalibrationQuery, fns.SaltRotator},
		MetricNamespace:   names.MetricNamespace,
	})
	if err != nil {
		return Functions{}, err
	}
	boundary, err := access.NewBoundary(s.TerraformStack, "lambda_boundary", access.BoundaryProps{Name: s.Names.LambdaBoundary(), Statements: ceiling})
	if err != nil {
		return Functions{}, err
	}
	var out Functions
	for _, f := range []struct {
		id, short, name, grantee, description string
		timeout                               int
		dest                                  **function.Identity
	}{
		{"fp_ingestion", "fp-ingestion", fns.FPIngestion, "FpIngestion", "FP ingestion Lambda: reads consent and the salt, writes calibration events",
			timeouts.FPIngestion, &out.FPIngestion},
		{"calibration_query", "calibration-query", fns.CalibrationQuery, "CalibrationQuery", "Calibration query Lambda: queries and scans calibration data",
			timeouts.CalibrationQuery, &out.CalibrationQuery},
		{"salt_rotator", "salt-rotator", fns.SaltRotator, "SaltRotator", "Salt rotation Lambda: rotates the HMAC salt secret",
			salt.RotatorTimeoutSeconds, &out.SaltRotator},
	} {
		identity, err := function.New(s.TerraformStack, f.id, function.Props{
			Names: s.Names, Short: f.short, FunctionName: f.name, GranteeName: f.grantee, Description: f.description,
			TimeoutSeconds: f.timeout, RetentionDays: s.Env.LogRetentionDays, Key: key, Boundary: boundary,
		})
		if err != nil {
			return Functions{}, err
		}
		// Before the identities, the roles and log groups sat at the stack's root.
		identity.MovedFrom(f.id+"_role", f.id+"_logs")
		*f.dest = identity
	}
	return out, nil
}
