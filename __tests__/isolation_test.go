package tests

import (
	"regexp"
	"strings"
	"testing"
)

// physicalNames collects every name a resource has in AWS.
func physicalNames(s *StackJSON) map[string]string {
	out := map[string]string{}
	for typ, byName := range s.Resources {
		if typ == "aws_iam_role_policy" {
			continue // inline policy names are scoped to their role
		}
		for name, body := range byName {
			for _, attr := range []string{"name", "bucket", "function_name", "alarm_name", "dashboard_name", "url"} {
				if v := body.Str(attr); v != "" && !strings.Contains(v, "${") {
					out[typ+" "+v] = name
				}
			}
		}
	}
	return out
}

// TestEnvironmentsAreIsolated: staging and production share no physical
// resource name, no state, no key, and neither refers to the other.
func TestEnvironmentsAreIsolated(t *testing.T) {
	names := StackNames()
	if len(names) != 2 {
		t.Fatalf("environments %v", names)
	}
	a, b := names[0], names[1]
	for _, pair := range [][2]string{{a, b}, {bootstrapOf(a), bootstrapOf(b)}} {
		left, right := physicalNames(stacks[pair[0]]), physicalNames(stacks[pair[1]])
		for n := range left {
			if _, shared := right[n]; shared && !strings.HasPrefix(n, "aws_iam_openid_connect_provider ") {
				t.Errorf("%s and %s share the physical name %s", pair[0], pair[1], n)
			}
		}
	}
	// The OIDC provider URL is the same by nature; the accounts differ (the
	// loader refuses a shared one), so the providers do too.
	for _, env := range names {
		other := b
		if env == b {
			other = a
		}
		o := envByName(t, other)
		mention := regexp.MustCompile(`(?i)[-_/]` + other + `\b|` + o.AccountID)
		for _, stack := range []string{env, bootstrapOf(env)} {
			if m := mention.Find(stacks[stack].Raw); m != nil {
				t.Errorf("%s refers to %s: %q", stack, other, m)
			}
			if m := mention.Find(remoteStacks[stack].Raw); m != nil {
				t.Errorf("%s (remote state) refers to %s: %q", stack, other, m)
			}
		}
		if n := len(stacks[env].All("aws_kms_key")); n != 1 {
			t.Errorf("%s has %d keys, want its own one", env, n)
		}
	}
	if remoteStacks[a].Terraform.Str("backend", "s3", "key") == remoteStacks[b].Terraform.Str("backend", "s3", "key") {
		t.Error("the environments share a state key")
	}
}
