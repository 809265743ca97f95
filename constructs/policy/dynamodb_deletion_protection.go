package policy

// DynamoDBDeletionProtection: a table cannot be deleted by a stray plan.
var DynamoDBDeletionProtection = Rule{
	Name: "DynamoDBDeletionProtection", Control: "FSBP DynamoDB.6",
	Fix: `set "deletion_protection": true in the environment's settings`,
	Check: only("aws_dynamodb_table", func(r Resource, _ *Stack) (Outcome, string) {
		return verdict(boolAt(r.Body, "deletion_protection_enabled"), "deletion protection is off")
	}),
}
