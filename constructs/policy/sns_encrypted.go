package policy

// SNSTopicEncrypted: alert topics are encrypted at rest with a KMS key.
var SNSTopicEncrypted = Rule{
	Name: "SNSTopicEncrypted", Control: "FSBP SNS.1",
	Fix: "set kms_master_key_id to the environment's key",
	Check: only("aws_sns_topic", func(r Resource, _ *Stack) (Outcome, string) {
		return verdict(stringAt(r.Body, "kms_master_key_id") != "", "the topic is not encrypted with KMS")
	}),
}
