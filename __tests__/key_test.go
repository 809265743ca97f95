package tests

import (
	"slices"
	"strings"
	"testing"
)

func keyPolicy(t *testing.T, s *StackJSON) []Obj {
	t.Helper()
	keys := s.All("aws_kms_key")
	if len(keys) != 1 {
		t.Fatalf("%d KMS keys, want 1", len(keys))
	}
	doc := s.ByRef(t, keys[0].Body.Str("policy"))
	return doc.Body.Objs("statement")
}

func TestKeyRotatesAndHasItsAlias(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		key := s.All("aws_kms_key")[0]
		if !key.Body.Bool("enable_key_rotation") {
			t.Errorf("%s: key rotation off", env)
		}
		alias := s.One(t, "aws_kms_alias", "name", "alias/phase-mirror-secrets-"+env)
		if alias.Body.Str("target_key_id") != key.Ref("key_id") {
			t.Errorf("%s: alias targets %q", env, alias.Body.Str("target_key_id"))
		}
		if got := key.Body.Bool("lifecycle", "prevent_destroy"); got != (env == "production") {
			t.Errorf("%s: key prevent_destroy = %v", env, got)
		}
	}
}

// TestKeyPolicyIsExplicitAndNeverTheDefault: the account root administers the
// key but cannot use it directly; any use is conditioned on kms:ViaService.
func TestKeyPolicyIsExplicitAndNeverTheDefault(t *testing.T) {
	for _, env := range StackNames() {
		s := stacks[env]
		account := envByName(t, env).AccountID
		root := "arn:aws:iam::" + account + ":root"
		statements := keyPolicy(t, s)
		if len(statements) < 2 {
			t.Fatalf("%s: key policy has %d statements", env, len(statements))
		}
		sids := map[string]bool{}
		for _, st := range statements {
			sid := st.Str("sid")
			if sid == "" || sids[sid] {
				t.Errorf("%s: statement without a unique sid: %v", env, st)
			}
			sids[sid] = true
			actions := st.Strings("actions")
			for _, a := range actions {
				if a == "kms:*" || a == "*" {
					t.Errorf("%s: %s grants %q", env, sid, a)
				}
			}
			cryptoUse := false
			for _, a := range actions {
				switch a {
				case "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKey*", "kms:ReEncrypt*":
					cryptoUse = true
				}
			}
			conditions := map[string][]string{}
			for _, c := range st.Objs("condition") {
				conditions[c.Str("variable")] = c.Strings("values")
			}
			principals := st.Objs("principals")
			if len(principals) != 1 {
				t.Errorf("%s: %s has %d principal blocks", env, sid, len(principals))
				continue
			}
			if cryptoUse && principals[0].Str("type") == "AWS" {
				via := conditions["kms:ViaService"]
				if len(via) == 0 {
					t.Errorf("%s: %s lets %v use the key directly (no kms:ViaService)", env, sid, principals[0].Strings("identifiers"))
				}
				for _, v := range via {
					if !strings.HasSuffix(v, "."+envByName(t, env).Region+".amazonaws.com") {
						t.Errorf("%s: %s ViaService %q is not in the stack's region", env, sid, v)
					}
				}
				if !slices.Equal(conditions["kms:CallerAccount"], []string{account}) {
					t.Errorf("%s: %s lacks kms:CallerAccount = %s", env, sid, account)
				}
			}
		}
		admin := statements[0]
		if admin.Str("sid") != "KeyAdministrationByAccount" || !slices.Equal(admin.Strings("principals", "0", "identifiers"), []string{root}) {
			t.Errorf("%s: first statement is not the account's administration: %v", env, admin)
		}
		for _, a := range admin.Strings("actions") {
			if a == "kms:Decrypt" || a == "kms:Encrypt" || strings.HasPrefix(a, "kms:GenerateDataKey") || strings.HasPrefix(a, "kms:ReEncrypt") {
				t.Errorf("%s: administration statement allows use: %s", env, a)
			}
		}
		if !slices.Contains(admin.Strings("actions"), "kms:PutKeyPolicy") {
			t.Errorf("%s: administration cannot update the key policy (lock-out risk)", env)
		}
		for _, a := range admin.Strings("actions") {
			if strings.Contains(a, "*") || a == "kms:CreateGrant" {
				t.Errorf("%s: administration holds %s: a wildcard or CreateGrant lets an administrator grant itself use of the key", env, a)
			}
		}
	}
}
