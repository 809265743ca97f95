package bootstrap

import (
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucket"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketlifecycleconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketownershipcontrols"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpolicy"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketpublicaccessblock"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketserversideencryptionconfiguration"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/s3bucketversioning"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
)

// bucket is the state bucket: versioned, encrypted with the state key, never public, TLS only.
func (b *Bootstrap) bucket(name string) {
	b.stateBucket = s3bucket.NewS3Bucket(b.TerraformStack, jsii.String("state_bucket"), &s3bucket.S3BucketConfig{
		Bucket:    jsii.String(name),
		Lifecycle: &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)},
	})
	id := b.stateBucket.Id()
	s3bucketversioning.NewS3BucketVersioningA(b.TerraformStack, jsii.String("state_bucket_versioning"), &s3bucketversioning.S3BucketVersioningAConfig{
		Bucket: id, VersioningConfiguration: &s3bucketversioning.S3BucketVersioningVersioningConfiguration{Status: jsii.String("Enabled")},
	})
	s3bucketserversideencryptionconfiguration.NewS3BucketServerSideEncryptionConfigurationA(b.TerraformStack, jsii.String("state_bucket_encryption"),
		&s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationAConfig{
			Bucket: id,
			Rule: &[]*s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleA{{
				ApplyServerSideEncryptionByDefault: &s3bucketserversideencryptionconfiguration.S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA{
					SseAlgorithm: jsii.String("aws:kms"), KmsMasterKeyId: b.Key.Arn(),
				},
				BucketKeyEnabled: jsii.Bool(true),
			}},
		})
	s3bucketpublicaccessblock.NewS3BucketPublicAccessBlock(b.TerraformStack, jsii.String("state_bucket_public_access_block"), &s3bucketpublicaccessblock.S3BucketPublicAccessBlockConfig{
		Bucket: id, BlockPublicAcls: jsii.Bool(true), BlockPublicPolicy: jsii.Bool(true), IgnorePublicAcls: jsii.Bool(true), RestrictPublicBuckets: jsii.Bool(true),
	})
	s3bucketownershipcontrols.NewS3BucketOwnershipControls(b.TerraformStack, jsii.String("state_bucket_ownership"), &s3bucketownershipcontrols.S3BucketOwnershipControlsConfig{
		Bucket: id, Rule: &s3bucketownershipcontrols.S3BucketOwnershipControlsRule{ObjectOwnership: jsii.String("BucketOwnerEnforced")},
	})
	s3bucketlifecycleconfiguration.NewS3BucketLifecycleConfiguration(b.TerraformStack, jsii.String("state_bucket_lifecycle"), &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationConfig{
		Bucket: id,
		Rule: &[]*s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRule{{
			Id:                             jsii.String("expire-old-state-versions"),
			Status:                         jsii.String("Enabled"),
			Filter:                         &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleFilter{Prefix: jsii.String("")},
			NoncurrentVersionExpiration:    &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration{NoncurrentDays: jsii.Number(90)},
			AbortIncompleteMultipartUpload: &s3bucketlifecycleconfiguration.S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload{DaysAfterInitiation: jsii.Number(7)},
		}},
	})
	policy := iamdoc.NewDocument(b.TerraformStack, "state_bucket_policy_document", iamdoc.DocumentProps{})
	policy.Add(iamdoc.Statement{
		Sid: "DenyRequestsWithoutTLS", Deny: true,
		Principals: []iamdoc.Principal{{Type: "*", Identifiers: []string{"*"}}},
		Actions:    []string{"s3:*"},
		Resources:  []string{*b.stateBucket.Arn(), *b.stateBucket.Arn() + "/*"},
		Conditions: []iamdoc.Condition{{Test: "Bool", Variable: "aws:SecureTransport", Values: []string{"false"}}},
	})
	s3bucketpolicy.NewS3BucketPolicy(b.TerraformStack, jsii.String("state_bucket_policy"), &s3bucketpolicy.S3BucketPolicyConfig{Bucket: id, Policy: policy.JSON()})
}
