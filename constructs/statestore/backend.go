// Package statestore selects where each environment keeps its Terraform state.
package statestore

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/config"
)

// Configure attaches the environment's state backend to stack. Local state is
// the default: a file per environment in the project folder, addressed by a
// path relative to the synthesized stack folder so the JSON is the same on
// every checkout.
func Configure(stack cdktf.TerraformStack, env config.Environment) {
	cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{
		Path: jsii.String(LocalStatePath(env.Name)),
	})
}

// LocalStatePath is the local state file of an environment, relative to
// cdktf.out/stacks/<env>/ (it resolves to the project folder).
func LocalStatePath(env string) string {
	return "../../../terraform." + env + ".tfstate"
}
