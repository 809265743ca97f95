package service

import (
	"github.com/phase-mirror/fp-calibration-infra/config"
	"github.com/phase-mirror/fp-calibration-infra/constructs/statestore"
)

// BootstrapProps are the props of the state-bootstrap stack of env's account
// (statestore.NewBootstrap, named names.Env.BootstrapStack).
func BootstrapProps(env config.Environment) statestore.BootstrapProps {
	n := Names(env)
	return statestore.BootstrapProps{
		Names:            n,
		KeyPrefix:        stateKeyPrefix(env),
		LockTable:        env.State.Lock == config.LockDynamoDB,
		GitHubRepository: env.GitHubRepository,
		Functions:        []string{env.Functions.FPIngestion, env.Functions.CalibrationQuery, env.Functions.SaltRotator},
		RotatorFunction:  env.Functions.SaltRotator,
	}
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
