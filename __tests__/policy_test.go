package tests

import (
	"os"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/dynamodbtable"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/provider"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/app"
	"github.com/phase-mirror/fp-calibration-infra/constructs/policy"
)

// synthCarelessTable synthesizes, through the same checked synthesis as go
// run . (cdktf's validations skipped, as app.Synth skips them), a stack with
// a table that has neither point-in-time recovery nor a customer-managed
// key, with or without its AWS provider. Called from TestMain, while jsii
// runs.
func synthCarelessTable(outdir, stackName string, withProvider bool) error {
	staging, err := os.MkdirTemp("", stackName+"-staging-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(staging)
	a := cdktf.NewApp(&cdktf.AppConfig{Outdir: jsii.String(staging), StackTraces: jsii.Bool(false), SkipValidation: jsii.Bool(true)})
	stack := cdktf.NewTerraformStack(a, jsii.String(stackName))
	if withProvider {
		provider.NewAwsProvider(stack, jsii.String("aws"), &provider.AwsProviderConfig{Region: jsii.String("us-east-1")})
	}
	dynamodbtable.NewDynamodbTable(stack, jsii.String("careless_table"), &dynamodbtable.DynamodbTableConfig{
		Name: jsii.String("careless"), BillingMode: jsii.String("PAY_PER_REQUEST"), HashKey: jsii.String("id"),
		Attribute: &[]*dynamodbtable.DynamodbTableAttribute{{Name: jsii.String("id"), Type: jsii.String("S")}},
	})
	_, err = app.SynthAndPublish(a, staging, outdir)
	return err
}

// TestAStackWithoutItsProviderFailsSynthesisAndNothingIsWritten: cdktf's
// own check of providers is skipped (app.Synth), and the app's check on the
// JSON takes its place.
func TestAStackWithoutItsProviderFailsSynthesisAndNothingIsWritten(t *testing.T) {
	if providerlessErr == nil {
		t.Fatal("a stack without its provider synthesized")
	}
	if want := "stack providerless-fixture: uses resources of the provider(s) aws but configures none; fix:"; !strings.Contains(providerlessErr.Error(), want) {
		t.Errorf("error %q lacks %q", providerlessErr, want)
	}
	if _, err := os.Stat(providerlessOutdir); !os.IsNotExist(err) {
		t.Errorf("%s was written without its provider (%v)", providerlessOutdir, err)
	}
}

func TestAnInsecureResourceFailsSynthesisAndNothingIsWritten(t *testing.T) {
	if insecureErr == nil {
		t.Fatal("the insecure fixture synthesized")
	}
	msg := insecureErr.Error()
	for _, want := range []string{
		"insecure-fixture/careless_table", "DynamoDBPointInTimeRecovery", "FSBP DynamoDB.2", "DynamoDBEncryptedWithCMK",
		"DynamoDBDeletionProtection", "FSBP DynamoDB.6", "fix: ", "nothing was written",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if _, err := os.Stat(insecureOutdir); !os.IsNotExist(err) {
		t.Errorf("%s was written despite the findings (%v)", insecureOutdir, err)
	}
}

func TestRealStacksPassThePolicyWithReasonedSuppressionsOnly(t *testing.T) {
	rep := synthResult.Policy
	if len(rep.Findings) != 0 {
		t.Fatalf("findings on the real stacks: %v", rep.Findings)
	}
	if rep.Checked < 50 {
		t.Errorf("only %d checks applied", rep.Checked)
	}
	want := map[string]int{
		policy.DynamoDBDeletionProtection.Name:         4, // staging's tables, by settings
		policy.IAMNoUnconditionedWildcardResource.Name: 4, // deploy and plan roles of both accounts
	}
	got := map[string]int{}
	for _, s := range rep.Suppressed {
		got[s.Rule]++
		if len(s.Reason) < 20 {
			t.Errorf("suppression without a real reason: %v", s)
		}
		if s.Rule == policy.DynamoDBDeletionProtection.Name && !strings.HasPrefix(s.Path, "staging/") {
			t.Errorf("deletion protection suppressed outside staging: %v", s)
		}
	}
	for rule, n := range want {
		if got[rule] != n {
			t.Errorf("%d suppressions of %s, want %d", got[rule], rule, n)
		}
	}
	if len(rep.Suppressed) != 8 {
		t.Errorf("%d suppressions: %v", len(rep.Suppressed), rep.Suppressed)
	}
	// Suppressions are visible to auditors in the JSON, next to the resource.
	if !strings.Contains(string(stacks["staging"].Raw), `"policy_suppressions"`) {
		t.Error("staging JSON does not carry its suppressions")
	}
}
