// Package drill applies the synthesized stacks, through the user's own
// scripts, to a loopback AWS emulator (moto's moto_server, on the machine
// image) and checks what a deploy does: see the package's tests and
// docs/testing.md, section "Deploy drill".
package drill

// Environment is the environment the drill applies (with its state-bootstrap
// stack); the offline plans of the stack tests cover the others.
const Environment = "staging"

// Gap is something moto 5.2.1 cannot do that a deploy does, and what the
// drill does about it.
type Gap struct {
	// Type is the Terraform resource type, or the API call.
	Type string
	// Reason is what the emulator does with the call (measured; a test
	// repeats the call and fails if the emulator starts to accept it).
	Reason string
}

// Faked are the resource types (and calls) moto 5.2.1 cannot play, which
// the drill applies nonetheless (it leaves no resource type out: every resource of
// both stacks is applied, planned again, and staging's destroyed): the proxy between the drill's commands and the emulator
// answers their operations with the AWS API's response shapes and keeps their
// state (drill/fakes_test.go). Their calls are recorded and judged against
// the roles like every other. A test proves the emulator still refuses each.
var Faked = []Gap{
	{"aws_cloudwatch_query_definition", "moto 5.2.1 answers logs:PutQueryDefinition with HTTP 500 (NotImplementedError); the proxy answers PutQueryDefinition, DescribeQueryDefinitions and DeleteQueryDefinition"},
	{"aws_dynamodb_contributor_insights", "moto 5.2.1 answers dynamodb:UpdateContributorInsights with HTTP 500 (NotImplementedError); the proxy answers UpdateContributorInsights and DescribeContributorInsights (status ENABLED at once, where AWS passes through ENABLING)"},
	{"aws_secretsmanager_secret_rotation", "moto 5.2.1 answers secretsmanager:RotateSecret with a rotation Lambda on a secret that has no version yet (the salt: Terraform never writes a value) with HTTP 500 (UnboundLocalError), and never runs the function (it needs Docker); the proxy answers RotateSecret and CancelRotateSecret, adds the rotation to DescribeSecret's answers, refuses a function whose policy does not let Secrets Manager invoke it, and runs the rotator's four steps (its Go handler) against the emulator"},
	{"logs:AssociateKmsKey", "moto 5.2.1 does not implement it (HTTP 500, the provider retries for minutes), and the adoption makes it: the Lambda log groups that exist get the environment's key; the proxy answers AssociateKmsKey and DisassociateKmsKey and adds the key to DescribeLogGroups' answers"},
	{"dynamodb:UpdateTable SSESpecification", "moto 5.2.1 answers UpdateTable with an SSESpecification but keeps the table's encryption as it was, so every later plan would switch it again; the adoption makes it (the HCL version's tables use the AWS-owned key and switch in place to the environment's); the proxy keeps the switch and puts it into UpdateTable's and DescribeTable's answers"},
	{"aws_s3_bucket_policy", "moto 5.2.1 evaluates bucket policies without their conditions: the state bucket's TLS-only Deny (aws:SecureTransport false) would deny every object request, over TLS too, and the S3 backend could neither read nor write state; the proxy answers Put/Get/DeleteBucketPolicy and keeps the policy from the emulator, and the role checks simulate with it"},
}
