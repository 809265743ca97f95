// Package drill applies the synthesized stacks, through the user's own
// scripts, to a loopback AWS emulator (moto's moto_server, on the machine
// image) and checks what a deploy does: see the package's tests and
// docs/testing.md, section "Deploy drill".
package drill

// Environment is the environment the drill applies (with its state-bootstrap
// stack); the offline plans of the stack tests cover the others.
const Environment = "staging"

// Exclusion is a resource type the drill does not apply, and why.
type Exclusion struct {
	// Type is the Terraform resource type.
	Type string
	// Reason is what the emulator does with its API call (measured; a test
	// repeats the call and fails if the emulator starts to accept it).
	Reason string
}

// Exclusions are every resource type the drill leaves out; everything else is
// applied. A test proves each listed call really fails on the emulator, so
// the list cannot grow quietly.
var Exclusions = []Exclusion{
	{"aws_secretsmanager_secret_rotation", "moto 5.2.1 answers secretsmanager:RotateSecret with a rotation Lambda on a secret that has no version yet (the salt: Terraform never writes a value) with HTTP 500 (UnboundLocalError); with a version it answers 200 without running the function, which needs Docker. The drill runs the rotator's handler against the emulator's Secrets Manager instead"},
}

// Faked are the resource types moto 5.2.1 cannot create, which the drill
// applies nonetheless: the proxy between the drill's commands and the emulator
// answers their operations with the AWS API's response shapes and keeps their
// state (drill/fakes_test.go). Their calls are recorded and judged against
// the roles like every other. A test proves the emulator still refuses each.
var Faked = []Exclusion{
	{"aws_cloudwatch_query_definition", "moto 5.2.1 answers logs:PutQueryDefinition with HTTP 500 (NotImplementedError); the proxy answers PutQueryDefinition, DescribeQueryDefinitions and DeleteQueryDefinition"},
	{"aws_dynamodb_contributor_insights", "moto 5.2.1 answers dynamodb:UpdateContributorInsights with HTTP 500 (NotImplementedError); the proxy answers UpdateContributorInsights and DescribeContributorInsights (status ENABLED at once, where AWS passes through ENABLING)"},
	{"aws_s3_bucket_policy", "moto 5.2.1 evaluates bucket policies without their conditions: the state bucket's TLS-only Deny (aws:SecureTransport false) would deny every object request, over TLS too, and the S3 backend could neither read nor write state; the proxy answers Put/Get/DeleteBucketPolicy and keeps the policy from the emulator, and the role checks simulate with it"},
}

// FixtureDeviations are where the adoption drill's fixture (the HCL
// version's resources) departs from what the HCL version left running,
// because the emulator cannot make the call the adoption makes on AWS. Type
// names the call. A test proves each refusal, as for Exclusions.
var FixtureDeviations = []Exclusion{
	{"logs:AssociateKmsKey", "moto 5.2.1 does not implement it (HTTP 500, the provider retries for minutes): the fixture creates the Lambda log groups already encrypted with the key the adoption imports; on AWS the adoption plan associates the key with them in place"},
	{"dynamodb:UpdateTable SSESpecification", "moto 5.2.1 answers UpdateTable with an SSESpecification but keeps the table's encryption as it was, so every later plan would switch it again: the fixture creates the tables already encrypted with the key the adoption imports; on AWS the HCL version's tables use the AWS-owned key and the adoption plan switches them in place (the provider's plan, measured with such a fixture: every table \"updated in-place\", nothing replaced)"},
}

// Excluded reports whether resources of type typ are left out of the drill.
func Excluded(typ string) bool {
	for _, e := range Exclusions {
		if e.Type == typ {
			return true
		}
	}
	return false
}
