package tests

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
)

// earlierAddresses are the addresses the resources that #15 moved into the
// function identities and the CI roles construct had before (read from the
// golden snapshots of commit 7ea3676): a state written then must follow them.
var earlierAddresses = map[string][]string{
	"service": {
		"aws_cloudwatch_log_group.calibration_query_logs_group_0E1234CC", "aws_cloudwatch_log_group.fp_ingestion_logs_group_C7AAF45F",
		"aws_cloudwatch_log_group.salt_rotator_logs_group_5DF0B790", "aws_iam_role.calibration_query_role_88CA639F",
		"aws_iam_role.fp_ingestion_role_71876E0B", "aws_iam_role.salt_rotator_role_10DF6518",
		"aws_iam_role_policy.calibration_query_role_inline_78410F6C", "aws_iam_role_policy.fp_ingestion_role_inline_191199B8",
		"aws_iam_role_policy.salt_rotator_role_inline_945CF1A5",
	},
	"bootstrap": {
		"aws_iam_openid_connect_provider.github_oidc", "aws_iam_role.deploy_role", "aws_iam_role.plan_role",
		"aws_iam_role_policy.deploy_role_policy", "aws_iam_role_policy.plan_role_policy",
	},
}

// TestMovedBlocksFollowTheEarlierAddresses: every stack moves exactly the
// earlier addresses, each to a resource of the same type that the stack has.
func TestMovedBlocksFollowTheEarlierAddresses(t *testing.T) {
	for _, name := range AllStackNames() {
		var doc struct {
			Moved []struct{ From, To string } `json:"moved"`
		}
		if err := json.Unmarshal(stacks[name].Raw, &doc); err != nil {
			t.Fatal(err)
		}
		kind := "service"
		if strings.HasPrefix(name, bootstrapOf("")) {
			kind = "bootstrap"
		}
		from := map[string]bool{}
		for _, m := range doc.Moved {
			from[m.From] = true
			typ, to, _ := strings.Cut(m.To, ".")
			if _, ok := stacks[name].Resources[typ][to]; !ok || !strings.HasPrefix(m.From, typ+".") {
				t.Errorf("%s: moved %s to %s, which the stack does not have", name, m.From, m.To)
			}
			fromType, fromName, _ := strings.Cut(m.From, ".")
			if _, still := stacks[name].Resources[fromType][fromName]; still {
				t.Errorf("%s: moved from %s, which the stack still has", name, m.From)
			}
		}
		if got := slices.Sorted(maps.Keys(from)); !slices.Equal(got, earlierAddresses[kind]) {
			t.Errorf("%s: moves from %v, want %v", name, got, earlierAddresses[kind])
		}
	}
}
