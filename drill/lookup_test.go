package drill

import (
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// emulatorLookup resolves keys, boundaries and resource policies from the
// emulator, as the deploy left them (drill/authz.go's Lookup).
type emulatorLookup struct {
	t        *testing.T
	at       Place
	stateKey string
	cache    map[string]string
}

func newEmulatorLookup(t *testing.T, at Place, stateKey string) *emulatorLookup {
	return &emulatorLookup{t: t, at: at, stateKey: stateKey, cache: map[string]string{}}
}

// aws runs the CLI against the emulator and returns its text output ("" on failure).
func (l *emulatorLookup) aws(args ...string) string {
	key := strings.Join(args, " ")
	if out, ok := l.cache[key]; ok {
		return out
	}
	cmd := exec.Command("aws", append(args, "--output", "text")...)
	cmd.Env = append(withoutAWS(os.Environ()), emu.Env(staging.Region)...)
	raw, err := cmd.Output()
	out := strings.TrimSpace(string(raw))
	if err != nil || out == "None" {
		out = ""
	}
	l.cache[key] = out
	return out
}

func (l *emulatorLookup) KeyARN(id string) string {
	switch {
	case strings.HasPrefix(id, "arn:") && strings.Contains(id, ":key/"):
		return id
	case strings.HasPrefix(id, "alias/") || strings.Contains(id, ":alias/"):
		if arn := l.aws("kms", "describe-key", "--key-id", id, "--query", "KeyMetadata.Arn"); arn != "" {
			return arn
		}
		l.t.Errorf("no key behind %s", id)
		return id
	}
	return l.at.arn("kms", "key/"+id)
}

func (l *emulatorLookup) RoleBoundary(role string) string {
	return l.aws("iam", "get-role", "--role-name", role, "--query", "Role.PermissionsBoundary.PermissionsBoundaryArn")
}

func (l *emulatorLookup) StateKeyARN() string { return l.stateKey }

// NonceKey: the stacks' one SecureString, the nonce, is under the environment key.
func (l *emulatorLookup) NonceKey(string) string {
	return l.KeyARN("alias/phase-mirror-secrets-" + staging.Name)
}

// resourcePolicy is the policy of the resource an authorization is on, where
// it has one: a key's policy, the state bucket's policy.
func (l *emulatorLookup) resourcePolicy(resource string) map[string]any {
	var raw string
	switch {
	case strings.HasPrefix(resource, "arn:aws:kms:") && strings.Contains(resource, ":key/"):
		raw = l.aws("kms", "get-key-policy", "--key-id", resource, "--policy-name", "default", "--query", "Policy")
	case strings.HasPrefix(resource, "arn:aws:s3:::"):
		bucket, _, _ := strings.Cut(strings.TrimPrefix(resource, "arn:aws:s3:::"), "/")
		raw = emu.fakes.BucketPolicy(bucket) // the proxy holds bucket policies (Faked)
	default:
		return nil
	}
	if raw == "" {
		return nil
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		l.t.Errorf("policy of %s: %v\n%s", resource, err, raw)
	}
	return doc
}

// rolePolicyDoc reads a role's inline policy from the emulator, as the
// provider rendered and IAM stored it.
func rolePolicyDoc(t *testing.T, role, name string) map[string]any {
	t.Helper()
	cmd := exec.Command("aws", "iam", "get-role-policy", "--role-name", role, "--policy-name", name, "--output", "json")
	cmd.Env = append(withoutAWS(os.Environ()), emu.Env(staging.Region)...)
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("get-role-policy %s: %v\n%s", role, err, raw)
	}
	var out struct {
		PolicyDocument json.RawMessage
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	doc := out.PolicyDocument
	var text string
	if json.Unmarshal(doc, &text) == nil { // URL-encoded or plain JSON string
		if decoded, err := url.QueryUnescape(text); err == nil {
			text = decoded
		}
		doc = json.RawMessage(text)
	}
	var policy map[string]any
	if err := json.Unmarshal(doc, &policy); err != nil {
		t.Fatalf("policy of %s: %v\n%s", role, err, doc)
	}
	return policy
}
