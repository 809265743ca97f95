package policy

// LogGroupEncrypted: Lambda logs are encrypted with the project's key (no
// FSBP control covers log group encryption).
var LogGroupEncrypted = Rule{
	Name: "LogGroupEncrypted", Control: "project",
	Fix: "set kms_key_id to the environment's key (logs.NewLogGroup always does)",
	Check: only("aws_cloudwatch_log_group", func(r Resource, _ *Stack) (Outcome, string) {
		return verdict(stringAt(r.Body, "kms_key_id") != "", "the log group is not encrypted with a customer-managed key")
	}),
}
