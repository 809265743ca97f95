package policy

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// SuppressionsKey is where suppressions live in a resource's "//" metadata of
// the synthesized JSON (Terraform ignores "//" keys), so auditors see them too.
const SuppressionsKey = "policy_suppressions"

// Suppress records, next to the resource, that rule does not apply to it and why.
func Suppress(resource cdktf.TerraformResource, rule, reason string) {
	resource.AddOverride(jsii.String("//."+SuppressionsKey+"."+rule), jsii.String(reason))
}
