// Package stackbase is what every stack of this project is built on: the AWS
// provider pinned to one account with the project's default tags, and
// outputs named exactly as given.
package stackbase

import (
	"maps"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// ProviderProps configure a stack's AWS provider.
type ProviderProps struct {
	Region, AccountID string
	// Project and Environment are default tags of every resource.
	Project, Environment string
	// ExtraTags are more default tags (e.g. the stack's name).
	ExtraTags map[string]string
}

// Provider adds the stack's AWS provider: one region, only the given account
// (allowed_account_ids), and the default tags Project, Environment and
// ManagedBy=cdktf.
func Provider(stack cdktf.TerraformStack, p ProviderProps) provider.AwsProvider {
	tags := map[string]string{"Project": p.Project, "Environment": p.Environment, "ManagedBy": "cdktf"}
	maps.Copy(tags, p.ExtraTags)
	values := map[string]*string{}
	for k, v := range tags {
		values[k] = jsii.String(v)
	}
	return provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{
		Region:            jsii.String(p.Region),
		AllowedAccountIds: jsii.Strings(p.AccountID),
		DefaultTags:       &[]*provider.AwsProviderDefaultTags{{Tags: &values}},
	})
}

// Output adds an output whose name in the JSON is exactly name (StaticId:
// an output of the stack itself is named by its id).
func Output(stack cdktf.TerraformStack, name string, value *string, description string) {
	cdktf.NewTerraformOutput(stack, jsii.String(name), &cdktf.TerraformOutputConfig{
		Value: value, Description: jsii.String(description), StaticId: jsii.Bool(true),
	})
}
