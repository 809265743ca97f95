// Package pins holds the Terraform and AWS provider versions every stack
// requires, and writes them into a stack.
package pins

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// TerraformVersion is the Terraform CLI every stack requires: 1.11 is the
// first release with S3 native state locking (use_lockfile) generally
// available (experimental in 1.10) and with write-only arguments (value_wo),
// which keep the redaction nonce out of state and plan files.
const TerraformVersion = ">= 1.11"

// AWSProvider admits the AWS provider the stacks are tested with (5.100, the
// version in .terraform.lock.hcl) and later 5.x releases. The Go bindings were
// generated for 5.84, which lacks the write-only value_wo of aws_ssm_parameter.
const AWSProvider = "~> 5.100"

// Apply writes both requirements into stack's terraform block.
func Apply(stack cdktf.TerraformStack) {
	stack.AddOverride(jsii.String("terraform.required_version"), jsii.String(TerraformVersion))
	stack.AddOverride(jsii.String("terraform.required_providers.aws.version"), jsii.String(AWSProvider))
}
