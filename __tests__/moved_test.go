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
		"aws_cloudwatch_log_group.salt_rotator_logs_group_5DF0B790",
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

// TestServiceStackForgetsWhatTheBootstrapOwns: the Lambda roles and their
// boundary, which earlier versions of the service stack created (inside the
// function identities since the reshaping, at the stack's root before), are
// removed from its state without being destroyed; the bootstrap has them.
func TestServiceStackForgetsWhatTheBootstrapOwns(t *testing.T) {
	for _, env := range StackNames() {
		var doc struct {
			Removed []struct {
				From      string
				Lifecycle struct{ Destroy *bool }
			} `json:"removed"`
		}
		if err := json.Unmarshal(stacks[env].Raw, &doc); err != nil {
			t.Fatal(err)
		}
		got := []string{}
		for _, r := range doc.Removed {
			if r.Lifecycle.Destroy == nil || *r.Lifecycle.Destroy {
				t.Errorf("%s: removed %s would destroy it", env, r.From)
			}
			typ, name, _ := strings.Cut(r.From, ".")
			if _, still := stacks[env].Resources[typ][name]; still {
				t.Errorf("%s: removed %s, which the stack still has", env, r.From)
			}
			got = append(got, r.From)
		}
		slices.Sort(got)
		want := []string{ // earlier addresses: golden snapshots of 1e1ca8c (inside the identities) and 7ea3676 (at the root)
			"aws_iam_policy.lambda_boundary_policy_5FB551E5",
			"aws_iam_role.calibration_query_role_88CA639F", "aws_iam_role.calibration_query_role_F5CA3CEF",
			"aws_iam_role.fp_ingestion_role_71876E0B", "aws_iam_role.fp_ingestion_role_DB11711E",
			"aws_iam_role.salt_rotator_role_10DF6518", "aws_iam_role.salt_rotator_role_D932060A",
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: removes %v, want %v", env, got, want)
		}
		boot := stacks[bootstrapOf(env)]
		if boot.Count("aws_iam_policy") != 1 || len(boot.All("aws_iam_role")) != 5 {
			t.Errorf("%s: the bootstrap has %d policies and %d roles, want the boundary and 3 Lambda + 2 CI roles", env, boot.Count("aws_iam_policy"), len(boot.All("aws_iam_role")))
		}
	}
}
