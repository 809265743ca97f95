package policy

// DynamoDBEncryptedWithCMK: tables are encrypted with the project's own key,
// not an AWS-owned one (no FSBP control covers the key choice).
var DynamoDBEncryptedWithCMK = Rule{
	Name: "DynamoDBEncryptedWithCMK", Control: "project",
	Fix: "set server_side_encryption { enabled = true, kms_key_arn = <the environment's key> }",
	Check: only("aws_dynamodb_table", func(r Resource, _ *Stack) (Outcome, string) {
		return verdict(boolAt(r.Body, "server_side_encryption", "enabled") && stringAt(r.Body, "server_side_encryption", "kms_key_arn") != "",
			"not encrypted with a customer-managed key")
	}),
}
