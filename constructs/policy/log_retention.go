package policy

// LogGroupRetention: no log group keeps events forever. (FSBP's default
// parameter asks for at least 365 days; production uses 365, staging less by
// setting, which is the control's "specified time period".)
var LogGroupRetention = Rule{
	Name: "LogGroupRetention", Control: "NIST 800-53 r5 CloudWatch.16",
	Fix: `set retention_in_days (settings: "log_retention_days")`,
	Check: only("aws_cloudwatch_log_group", func(r Resource, _ *Stack) (Outcome, string) {
		days, _ := get(r.Body, "retention_in_days").(float64)
		return verdict(days > 0, "events are kept forever (no retention)")
	}),
}
