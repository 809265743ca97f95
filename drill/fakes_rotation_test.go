package drill

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/phase-mirror/fp-calibration-infra/lambda/saltrotator/rotator"
)

// rotations is the part of Secrets Manager that moto 5.2.1 cannot play:
// rotation with a Lambda function (its RotateSecret answers HTTP 500 on a
// secret without a value, and never runs the function, which would need
// Docker). The fake keeps each secret's rotation configuration, answers
// RotateSecret and CancelRotateSecret, adds the configuration to moto's
// DescribeSecret answers, and does what Secrets Manager does on a rotation:
// it refuses a function whose resource policy does not let
// secretsmanager.amazonaws.com invoke it, stages AWSPENDING on the new
// version, and runs the four steps of the project's own rotator (its Go
// handler, in the test process) against the emulator. AWS runs the steps
// after it answers; the fake runs them before, and answers a failed step
// with an error, so a rotation that would fail on AWS fails the apply here.
type rotations struct {
	mu      sync.Mutex
	config  map[string]*rotationConfig          // by secret ARN
	backend func(region string) rotationBackend // nil: RotateSecret is answered with an error
}

// rotationConfig is what DescribeSecret shows of a secret's rotation.
type rotationConfig struct {
	Enabled     bool
	LambdaARN   string
	Rules       map[string]any // RotationRules as the request sent them
	LastRotated time.Time      // zero until a rotation finished
}

// rotationBackend is what the rotation fake needs of the account behind it.
type rotationBackend interface {
	// secret resolves a SecretId (name or ARN) to the secret's ARN and name.
	secret(ctx context.Context, id string) (arn, name string, err error)
	// invocable is nil when Secrets Manager may invoke the function.
	invocable(ctx context.Context, functionARN string) error
	// rotate runs the rotation function's four steps for version token.
	rotate(ctx context.Context, secretARN, token string) error
}

// signingRegion is the region of a request's SigV4 credential scope.
var signingRegion = regexp.MustCompile(`Credential=[^/]+/[^/]+/([^/]+)/`)

// errNotFound is a SecretId or function the account does not have.
var errNotFound = errors.New("not found")

func newRotations() *rotations { return &rotations{config: map[string]*rotationConfig{}} }

// answer handles RotateSecret and CancelRotateSecret; false for any other request.
func (r *rotations) answer(w http.ResponseWriter, req *http.Request) bool {
	target := req.Header.Get("X-Amz-Target")
	if target != "secretsmanager.RotateSecret" && target != "secretsmanager.CancelRotateSecret" {
		return false
	}
	body, _ := io.ReadAll(req.Body)
	var in struct {
		SecretID           string         `json:"SecretId"`
		ClientRequestToken string         `json:"ClientRequestToken"`
		RotationLambdaARN  string         `json:"RotationLambdaARN"`
		RotationRules      map[string]any `json:"RotationRules"`
		RotateImmediately  *bool          `json:"RotateImmediately"`
	}
	_ = json.Unmarshal(body, &in)
	reply := func(status int, out map[string]any) bool {
		writeJSON(w, "application/x-amz-json-1.1", status, out)
		return true
	}
	if r.backend == nil {
		return reply(http.StatusInternalServerError, awsError("InternalServiceError", "the drill's rotation fake has no account behind it"))
	}
	ctx := req.Context()
	region := ""
	if m := signingRegion.FindStringSubmatch(req.Header.Get("Authorization")); m != nil {
		region = m[1]
	}
	backend := r.backend(region)
	arn, name, err := backend.secret(ctx, in.SecretID)
	if errors.Is(err, errNotFound) {
		return reply(http.StatusBadRequest, awsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret."))
	} else if err != nil {
		return reply(http.StatusInternalServerError, awsError("InternalServiceError", err.Error()))
	}
	r.mu.Lock()
	cfg, had := r.config[arn]
	r.mu.Unlock()

	if target == "secretsmanager.CancelRotateSecret" {
		if !had || cfg.LambdaARN == "" {
			return reply(http.StatusBadRequest, awsError("InvalidRequestException",
				"You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call."))
		}
		r.mu.Lock()
		cfg.Enabled = false
		r.mu.Unlock()
		return reply(http.StatusOK, map[string]any{"ARN": arn, "Name": name})
	}

	next := rotationConfig{Enabled: true, LambdaARN: in.RotationLambdaARN, Rules: in.RotationRules}
	if had {
		next.LastRotated = cfg.LastRotated
		if next.LambdaARN == "" {
			next.LambdaARN = cfg.LambdaARN
		}
		if next.Rules == nil {
			next.Rules = cfg.Rules
		}
	}
	if next.LambdaARN == "" {
		return reply(http.StatusBadRequest, awsError("InvalidRequestException",
			"You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call."))
	}
	if err := backend.invocable(ctx, next.LambdaARN); err != nil {
		return reply(http.StatusBadRequest, awsError("AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com. ("+err.Error()+")"))
	}
	token := in.ClientRequestToken
	if token == "" {
		sum := sha256.Sum256([]byte(arn + time.Now().String()))
		token = formatUUID(sum[:16])
	}
	r.mu.Lock()
	r.config[arn] = &next
	r.mu.Unlock()
	if in.RotateImmediately == nil || *in.RotateImmediately {
		if err := backend.rotate(ctx, arn, token); err != nil {
			return reply(http.StatusInternalServerError, awsError("InternalServiceError", "the rotation function failed (on AWS: asynchronously, in its logs): "+err.Error()))
		}
		r.mu.Lock()
		next.LastRotated = time.Now()
		r.mu.Unlock()
	}
	return reply(http.StatusOK, map[string]any{"ARN": arn, "Name": name, "VersionId": token})
}

// patch adds the rotation configuration to a DescribeSecret answer of the
// emulator (moto shows none: the fake keeps it).
func (r *rotations) patch(resp *http.Response) error {
	if resp.Request == nil || resp.Request.Header.Get("X-Amz-Target") != "secretsmanager.DescribeSecret" || resp.StatusCode != http.StatusOK {
		return nil
	}
	return rewriteJSON(resp, func(out map[string]any) bool {
		arn, _ := out["ARN"].(string)
		r.mu.Lock()
		defer r.mu.Unlock()
		c, ok := r.config[arn]
		if !ok {
			return false
		}
		out["RotationEnabled"] = c.Enabled
		out["RotationLambdaARN"] = c.LambdaARN
		if c.Rules != nil {
			out["RotationRules"] = c.Rules
		}
		if !c.LastRotated.IsZero() {
			out["LastRotatedDate"] = float64(c.LastRotated.Unix())
		}
		return true
	})
}

// accountBackend is the rotation fake's view of an emulator's account: SDK
// clients through a proxy in front of the emulator (so they see the fakes
// too, and are never recorded as a role's calls).
type accountBackend struct {
	cfg aws.Config
}

func (a accountBackend) secret(ctx context.Context, id string) (string, string, error) {
	out, err := secretsmanager.NewFromConfig(a.cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	var notFound *smtypes.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return "", "", errNotFound
	} else if err != nil {
		return "", "", err
	}
	return aws.ToString(out.ARN), aws.ToString(out.Name), nil
}

// invocable reads the function's resource policy (lambda:GetPolicy, signed
// by hand: the drill has no Lambda SDK) and wants a statement that lets
// secretsmanager.amazonaws.com invoke it.
func (a accountBackend) invocable(ctx context.Context, functionARN string) error {
	endpoint := aws.ToString(a.cfg.BaseEndpoint)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/2015-03-31/functions/"+functionARN+"/policy", nil)
	if err != nil {
		return err
	}
	creds, err := a.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return err
	}
	empty := sha256.Sum256(nil)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(empty[:]), "lambda", a.cfg.Region, time.Now()); err != nil {
		return err
	}
	resp, err := a.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("lambda:GetPolicy %s: HTTP %d %s", functionARN, resp.StatusCode, raw)
	}
	var out struct{ Policy string }
	if err := json.Unmarshal(raw, &out); err != nil {
		return err
	}
	var policy struct {
		Statement []struct {
			Effect    string
			Action    any
			Principal struct{ Service any }
		}
	}
	if err := json.Unmarshal([]byte(out.Policy), &policy); err != nil {
		return fmt.Errorf("the policy of %s: %w", functionARN, err)
	}
	for _, s := range policy.Statement {
		if s.Effect == "Allow" && strings.Contains(fmt.Sprint(s.Action), "lambda:InvokeFunction") && strings.Contains(fmt.Sprint(s.Principal.Service), "secretsmanager.amazonaws.com") {
			return nil
		}
	}
	return fmt.Errorf("no statement of %s allows secretsmanager.amazonaws.com to invoke it", functionARN)
}

// rotate does what Secrets Manager does: stage AWSPENDING on the new version
// (pendingMarker: moto cannot without invoking the function), then invoke
// the function with each step.
func (a accountBackend) rotate(ctx context.Context, secretARN, token string) error {
	r := &rotator.Rotator{Client: pendingMarker{SecretsManager: secretsmanager.NewFromConfig(a.cfg), token: token}}
	for _, step := range []string{rotator.StepCreate, rotator.StepSet, rotator.StepTest, rotator.StepFinish} {
		if err := r.Handle(ctx, rotator.Event{Step: step, SecretID: secretARN, ClientRequestToken: token}); err != nil {
			return fmt.Errorf("%s: %w", step, err)
		}
	}
	return nil
}

// failingBackend is an account that could not be reached: every call fails.
type failingBackend struct{ err error }

func (f failingBackend) secret(context.Context, string) (string, string, error) { return "", "", f.err }
func (f failingBackend) invocable(context.Context, string) error                { return f.err }
func (f failingBackend) rotate(context.Context, string, string) error           { return f.err }

// stubAccount is an account for the rotation fake's unit test.
type stubAccount struct {
	denied  bool     // the function's policy lets nobody invoke it
	failing bool     // the rotation function fails
	rotated []string // tokens rotated
}

func (s *stubAccount) secret(_ context.Context, id string) (string, string, error) {
	if id != "salt" && id != "arn:salt" {
		return "", "", errNotFound
	}
	return "arn:salt", "salt", nil
}

func (s *stubAccount) invocable(context.Context, string) error {
	if s.denied {
		return errors.New("no statement allows secretsmanager.amazonaws.com")
	}
	return nil
}

func (s *stubAccount) rotate(_ context.Context, _, token string) error {
	if s.failing {
		return errors.New("createSecret: boom")
	}
	s.rotated = append(s.rotated, token)
	return nil
}

// TestRotationFakeAnswersAsSecretsManager: RotateSecret records the
// configuration that DescribeSecret then shows and runs the function once
// (not when RotateImmediately is false); CancelRotateSecret turns it off; an
// unknown secret, a function Secrets Manager may not invoke, a missing
// function and a failing rotation get errors; other calls are left alone.
func TestRotationFakeAnswersAsSecretsManager(t *testing.T) {
	account := &stubAccount{}
	r := newRotations()
	r.backend = func(region string) rotationBackend {
		if region != "eu-west-1" {
			t.Errorf("the backend was asked for region %q, want the request's eu-west-1", region)
		}
		return account
	}
	call := func(op, body string) (int, map[string]any, bool) {
		req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "secretsmanager."+op)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=drill/20261203/eu-west-1/secretsmanager/aws4_request, SignedHeaders=host, Signature=0")
		w := httptest.NewRecorder()
		answered := r.answer(w, req)
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return w.Code, out, answered
	}
	describe := func() map[string]any {
		req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1/", nil)
		req.Header.Set("X-Amz-Target", "secretsmanager.DescribeSecret")
		resp := &http.Response{StatusCode: http.StatusOK, Request: req, Header: http.Header{},
			Body: io.NopCloser(strings.NewReader(`{"ARN":"arn:salt","Name":"salt","VersionIdsToStages":{}}`))}
		if err := r.patch(resp); err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if _, _, answered := call("GetSecretValue", `{"SecretId":"salt"}`); answered {
		t.Error("GetSecretValue was answered by the rotation fake")
	}
	if out := describe(); out["RotationEnabled"] != nil {
		t.Errorf("DescribeSecret before any rotation shows %v", out["RotationEnabled"])
	}
	if code, out, _ := call("CancelRotateSecret", `{"SecretId":"salt"}`); code != http.StatusBadRequest || out["__type"] != "InvalidRequestException" {
		t.Errorf("CancelRotateSecret without a rotation: %d %v", code, out)
	}
	if code, out, _ := call("RotateSecret", `{"SecretId":"salt","RotationRules":{"ScheduleExpression":"cron(0 0 1 * ? *)"}}`); code != http.StatusBadRequest || out["__type"] != "InvalidRequestException" {
		t.Errorf("RotateSecret without a function: %d %v", code, out)
	}
	if code, out, _ := call("RotateSecret", `{"SecretId":"other","RotationLambdaARN":"arn:fn"}`); code != http.StatusBadRequest || out["__type"] != "ResourceNotFoundException" {
		t.Errorf("RotateSecret of an unknown secret: %d %v", code, out)
	}
	account.denied = true
	if code, out, _ := call("RotateSecret", `{"SecretId":"salt","RotationLambdaARN":"arn:fn","RotationRules":{"ScheduleExpression":"cron(0 0 1 * ? *)"}}`); code != http.StatusBadRequest || out["__type"] != "AccessDeniedException" || len(account.rotated) != 0 {
		t.Errorf("RotateSecret with a function Secrets Manager may not invoke: %d %v, rotated %v", code, out, account.rotated)
	}
	account.denied = false
	code, out, _ := call("RotateSecret", `{"SecretId":"salt","ClientRequestToken":"tok-1","RotationLambdaARN":"arn:fn","RotationRules":{"ScheduleExpression":"cron(0 0 1 * ? *)"}}`)
	if code != http.StatusOK || out["ARN"] != "arn:salt" || out["Name"] != "salt" || out["VersionId"] != "tok-1" || !slices.Equal(account.rotated, []string{"tok-1"}) {
		t.Errorf("RotateSecret: %d %v, rotated %v", code, out, account.rotated)
	}
	d := describe()
	if d["RotationEnabled"] != true || d["RotationLambdaARN"] != "arn:fn" || d["LastRotatedDate"] == nil ||
		fmt.Sprint(d["RotationRules"]) != "map[ScheduleExpression:cron(0 0 1 * ? *)]" || d["Name"] != "salt" {
		t.Errorf("DescribeSecret after RotateSecret: %v", d)
	}
	// Not immediately: the configuration changes, the function does not run.
	if code, _, _ = call("RotateSecret", `{"SecretId":"arn:salt","RotateImmediately":false,"RotationRules":{"AutomaticallyAfterDays":7}}`); code != http.StatusOK || len(account.rotated) != 1 {
		t.Errorf("RotateSecret not immediately: %d, rotated %v", code, account.rotated)
	}
	if d = describe(); d["RotationLambdaARN"] != "arn:fn" || fmt.Sprint(d["RotationRules"]) != "map[AutomaticallyAfterDays:7]" {
		t.Errorf("DescribeSecret after a change of rules: %v", d)
	}
	account.failing = true
	if code, out, _ = call("RotateSecret", `{"SecretId":"salt"}`); code != http.StatusInternalServerError || !strings.Contains(fmt.Sprint(out["message"]), "createSecret: boom") {
		t.Errorf("RotateSecret with a failing function: %d %v", code, out)
	}
	if code, out, _ = call("CancelRotateSecret", `{"SecretId":"salt"}`); code != http.StatusOK || out["ARN"] != "arn:salt" {
		t.Errorf("CancelRotateSecret: %d %v", code, out)
	}
	if d = describe(); d["RotationEnabled"] != false {
		t.Errorf("DescribeSecret after CancelRotateSecret: %v", d)
	}
}
