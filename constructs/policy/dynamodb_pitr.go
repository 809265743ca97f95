package policy

// DynamoDBPointInTimeRecovery: every table can be restored to any second of the last 35 days.
var DynamoDBPointInTimeRecovery = Rule{
	Name: "DynamoDBPointInTimeRecovery", Control: "FSBP DynamoDB.2",
	Fix: "set point_in_time_recovery { enabled = true } (datastore.NewTable always does)",
	Check: only("aws_dynamodb_table", func(r Resource, _ *Stack) (Outcome, string) {
		return verdict(boolAt(r.Body, "point_in_time_recovery", "enabled"), "point-in-time recovery is off")
	}),
}
