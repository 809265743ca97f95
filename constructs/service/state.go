package service

import (
	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/bootstrap"
	"github.com/phase-mirror/fp-calibration-infra/constructs/datastore"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
)

// BootstrapProps are the props of the state-bootstrap stack of env's account
// (bootstrap.New, named names.Env.BootstrapStack), with the Lambda roles'
// permissions boundary: written independently of the grants, from names only.
func BootstrapProps(env config.Environment) (bootstrap.Props, error) {
	n := Names(env)
	fns := env.Functions
	ceiling, err := access.EnvironmentCeiling(access.CeilingProps{
		Names:             n,
		TableNames:        []string{n.ConsentTable(), n.CalibrationTable(), n.FPEventsTable(), n.BlockCounterTable()},
		DynamoDBActions:   datastore.DataActions,
		SecretName:        n.SaltSecret(),
		SaltParameterName: n.SaltParameterReference(),
		KeyServices:       []string{"dynamodb", "secretsmanager"},
		FunctionNames:     []string{fns.FPIngestion, fns.CalibrationQuery, fns.SaltRotator},
		MetricNamespace:   names.MetricNamespace,
	})
	if err != nil {
		return bootstrap.Props{}, err
	}
	return bootstrap.Props{
		Names:                n,
		KeyPrefix:            stateKeyPrefix(env),
		LockTable:            env.State.Lock == config.LockDynamoDB,
		GitHubRepository:     env.GitHubRepository,
		ExistingOIDCProvider: env.GitHubOIDCProvider == config.OIDCProviderExisting,
		Functions: map[string]string{
			access.FPIngestion: fns.FPIngestion, access.CalibrationQuery: fns.CalibrationQuery, access.SaltRotator: fns.SaltRotator,
		},
		Ceiling:              ceiling,
		ImportLambdaRoles:    env.Adopt.LambdaRoles,
		ImportLambdaBoundary: env.Adopt.LambdaBoundary,
	}, nil
}

// backend is where the environment's stack keeps its state (settings: state).
func backend(env config.Environment) statestore.BackendProps {
	if env.State.Backend != config.StateS3 {
		return statestore.BackendProps{LocalPath: statestore.LocalStatePath(env.Name)}
	}
	props := statestore.BackendProps{
		Bucket: env.State.Bucket, Region: env.State.Region, KMSKeyArn: env.State.KMSKeyArn,
		Key: Names(env).StateObject(stateKeyPrefix(env)),
	}
	if env.State.Lock == config.LockDynamoDB {
		props.LockTable = Names(env).StateLockTable()
	}
	return props
}

func stateKeyPrefix(env config.Environment) string {
	if env.State.KeyPrefix != "" {
		return env.State.KeyPrefix
	}
	return config.DefaultStateKeyPrefix
}
