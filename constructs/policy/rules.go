package policy

// Rules are every rule of the project, in the order they are reported.
var Rules = []Rule{
	DynamoDBPointInTimeRecovery,
	DynamoDBDeletionProtection,
	DynamoDBEncryptedWithCMK,
	KMSKeyRotation,
	SNSTopicEncrypted,
	LogGroupRetention,
	LogGroupEncrypted,
	IAMNoWildcardAction,
	IAMNoUnconditionedWildcardResource,
	LambdaSupportedRuntime,
	SecretsManagerRotation,
	S3BucketRequiresTLS,
	S3BucketBlocksPublicAccess,
}
