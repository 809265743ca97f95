package stackbase

import "testing"

// TestLogicalIDIsCdktfs: the expected values are addresses cdktf 0.20.11 wrote
// into the synthesized JSON (snapshots before the function identities and the
// CI roles construct existed).
func TestLogicalIDIsCdktfs(t *testing.T) {
	for want, path := range map[string][]string{
		"fp_ingestion_role_71876E0B":        {"fp_ingestion_role", "role"},
		"fp_ingestion_role_inline_191199B8": {"fp_ingestion_role", "inline"},
		"fp_ingestion_logs_group_C7AAF45F":  {"fp_ingestion_logs", "group"},
		"salt_rotator_logs_group_5DF0B790":  {"salt_rotator_logs", "group"},
		"key_F64E54E4":                      {"key", "key"},
		"github_oidc":                       {"github_oidc"},
	} {
		if got := LogicalID(path...); got != want {
			t.Errorf("LogicalID(%v) = %s, want %s", path, got, want)
		}
	}
}
