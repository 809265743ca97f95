// Package statestore selects where each environment keeps its Terraform state
// and builds the state-bootstrap stack of each environment's account: the
// encrypted, versioned state bucket, and the GitHub Actions OIDC provider with
// the environment's deploy and plan roles.
package statestore

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
)

// Configure attaches the environment's state backend to stack.
//
// Local state is the default: a file per environment in the project folder,
// addressed by a path relative to the synthesized stack folder, so the JSON is
// the same on every checkout. S3 state uses one key per environment
// (<prefix>/<env>/terraform.tfstate), SSE-KMS with the state key, and S3
// native locking (use_lockfile, Terraform >= 1.10) unless the settings ask
// for the DynamoDB lock table of the state-bootstrap stack.
func Configure(stack cdktf.TerraformStack, env config.Environment) {
	if env.State.Backend != config.StateS3 {
		cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{Path: jsii.String(LocalStatePath(env.Name))})
		return
	}
	backend := &cdktf.S3BackendConfig{
		Bucket:   jsii.String(env.State.Bucket),
		Key:      jsii.String(env.StateKey()),
		Region:   jsii.String(env.State.Region),
		Encrypt:  jsii.Bool(true),
		KmsKeyId: jsii.String(env.State.KMSKeyArn),
	}
	if env.State.Lock == config.LockDynamoDB {
		// Deprecated by Terraform in favour of use_lockfile; kept for teams
		// whose tooling expects a lock table (settings: state.lock).
		backend.DynamodbTable = jsii.String(env.LockTableName())
	}
	cdktf.NewS3Backend(stack, backend)
	if env.State.Lock != config.LockDynamoDB {
		// The Go binding of S3BackendConfig predates use_lockfile.
		stack.AddOverride(jsii.String("terraform.backend.s3.use_lockfile"), jsii.Bool(true))
	}
}

// LocalStatePath is the local state file of a stack, relative to
// cdktf.out/stacks/<stack>/ (it resolves to the project folder).
func LocalStatePath(stack string) string {
	return "../../../terraform." + stack + ".tfstate"
}
