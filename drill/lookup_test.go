package drill

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// emulatorLookup resolves keys, boundaries and resource policies from the
// emulator, as the deploy left them (drill/authz.go's Lookup). It asks with
// the SDK, in this process: an aws CLI process per question cost 0.5 s of
// staging's chain each (ten a drill).
type emulatorLookup struct {
	t        *testing.T
	at       Place
	stateKey string
	kms      *kms.Client
	iam      *iam.Client
	cache    map[string]string
}

func newEmulatorLookup(t *testing.T, at Place, stateKey string) *emulatorLookup {
	cfg := awsConfig(t) // staging's account (stagingEmulator)
	return &emulatorLookup{t: t, at: at, stateKey: stateKey, kms: kms.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), cache: map[string]string{}}
}

// ask returns the answer of a question to the emulator, asked once: "" when
// it has none (no value, or the thing asked about does not exist); any other
// error fails the test, since a check judged without a key's policy or a
// role's boundary could pass wrongly.
func (l *emulatorLookup) ask(question string, answer func(ctx context.Context) (*string, error)) string {
	if out, ok := l.cache[question]; ok {
		return out
	}
	out := ""
	v, err := answer(context.Background())
	var keyMissing *kmstypes.NotFoundException
	var roleMissing *iamtypes.NoSuchEntityException
	switch {
	case err == nil && v != nil:
		out = *v
	case err != nil && !errors.As(err, &keyMissing) && !errors.As(err, &roleMissing):
		l.t.Errorf("%s: %v", question, err)
	}
	l.cache[question] = out
	return out
}

func (l *emulatorLookup) KeyARN(id string) string {
	switch {
	case strings.HasPrefix(id, "arn:") && strings.Contains(id, ":key/"):
		return id
	case strings.HasPrefix(id, "alias/") || strings.Contains(id, ":alias/"):
		arn := l.ask("key "+id, func(ctx context.Context) (*string, error) {
			out, err := l.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
			if err != nil || out.KeyMetadata == nil {
				return nil, err
			}
			return out.KeyMetadata.Arn, nil
		})
		if arn != "" {
			return arn
		}
		l.t.Errorf("no key behind %s", id)
		return id
	}
	return l.at.arn("kms", "key/"+id)
}

func (l *emulatorLookup) RoleBoundary(role string) string {
	return l.ask("boundary "+role, func(ctx context.Context) (*string, error) {
		out, err := l.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(role)})
		if err != nil || out.Role.PermissionsBoundary == nil {
			return nil, err
		}
		return out.Role.PermissionsBoundary.PermissionsBoundaryArn, nil
	})
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
		raw = l.ask("policy "+resource, func(ctx context.Context) (*string, error) {
			out, err := l.kms.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(resource), PolicyName: aws.String("default")})
			if err != nil {
				return nil, err
			}
			return out.Policy, nil
		})
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
	out, err := iam.NewFromConfig(awsConfig(t)).GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String(role), PolicyName: aws.String(name)})
	if err != nil {
		t.Fatalf("get-role-policy %s: %v", role, err)
	}
	doc := aws.ToString(out.PolicyDocument)
	if decoded, err := url.PathUnescape(doc); err == nil { // IAM returns it URL-encoded (RFC 3986)
		doc = decoded
	}
	var policy map[string]any
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		t.Fatalf("policy of %s: %v\n%s", role, err, doc)
	}
	return policy
}
