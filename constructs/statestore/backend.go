// Package statestore selects where each environment keeps its Terraform state
// and builds the state-bootstrap stack of each environment's account: the
// encrypted, versioned state bucket (and lock table, where chosen), with the
// CI identities of access beside them.
package statestore

import (
	"errors"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// BackendProps say where a stack keeps its state.
type BackendProps struct {
	// Bucket selects S3 state; empty means local state at LocalPath.
	Bucket string
	// LocalPath is the local state file, relative to the stack folder
	// (LocalStatePath). Required with local state.
	LocalPath string
	// Key, Region and KMSKeyArn locate and encrypt the S3 state object.
	Key, Region, KMSKeyArn string
	// LockTable selects the DynamoDB lock table; empty means S3 native locking.
	LockTable string
}

// Configure attaches a state backend to stack.
//
// Local state is the default: a file per environment in the project folder,
// addressed by a path relative to the synthesized stack folder, so the JSON is
// the same on every checkout. S3 state uses one key per environment
// (<prefix>/<env>/terraform.tfstate), SSE-KMS with the state key, and S3
// native locking (use_lockfile, Terraform >= 1.10) unless the props name the
// DynamoDB lock table of the state-bootstrap stack.
func Configure(stack cdktf.TerraformStack, props BackendProps) error {
	if props.Bucket == "" {
		if props.LocalPath == "" {
			return errors.New("statestore.BackendProps.LocalPath is required with local state (no Bucket)")
		}
		cdktf.NewLocalBackend(stack, &cdktf.LocalBackendConfig{Path: jsii.String(props.LocalPath)})
		return nil
	}
	if props.Key == "" || props.Region == "" || props.KMSKeyArn == "" {
		return errors.New("statestore.BackendProps.Key, Region and KMSKeyArn are required with S3 state")
	}
	backend := &cdktf.S3BackendConfig{
		Bucket:   jsii.String(props.Bucket),
		Key:      jsii.String(props.Key),
		Region:   jsii.String(props.Region),
		Encrypt:  jsii.Bool(true),
		KmsKeyId: jsii.String(props.KMSKeyArn),
	}
	if props.LockTable != "" {
		// Deprecated by Terraform in favour of use_lockfile; kept for teams
		// whose tooling expects a lock table (settings: state.lock).
		backend.DynamodbTable = jsii.String(props.LockTable)
	}
	cdktf.NewS3Backend(stack, backend)
	if props.LockTable == "" {
		// The Go binding of S3BackendConfig predates use_lockfile.
		stack.AddOverride(jsii.String("terraform.backend.s3.use_lockfile"), jsii.Bool(true))
	}
	return nil
}

// LocalStatePath is the local state file of a stack, relative to
// cdktf.out/stacks/<stack>/ (it resolves to the project folder).
func LocalStatePath(stack string) string {
	return "../../../terraform." + stack + ".tfstate"
}
