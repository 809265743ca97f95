package rotator

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

const secretID = "/phase-mirror/fp-calibration/hmac-salt-staging"

// fakeSecret is an in-memory Secrets Manager secret with versions and stages.
type fakeSecret struct {
	rotationEnabled bool
	created         *time.Time
	lastRotated     *time.Time
	values          map[string]string   // version id -> value (absent: no value yet)
	stages          map[string][]string // version id -> stages
	writes          int                 // number of mutating calls
}

func newFake() *fakeSecret {
	return &fakeSecret{rotationEnabled: true, values: map[string]string{}, stages: map[string][]string{}}
}

func (f *fakeSecret) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	stages := map[string][]string{}
	for id, s := range f.stages {
		stages[id] = append([]string(nil), s...)
	}
	return &secretsmanager.DescribeSecretOutput{Name: in.SecretId, RotationEnabled: aws.Bool(f.rotationEnabled), VersionIdsToStages: stages,
		CreatedDate: f.created, LastRotatedDate: f.lastRotated}, nil
}

func (f *fakeSecret) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	id := aws.ToString(in.VersionId)
	if id == "" {
		for v, s := range f.stages {
			if has(s, aws.ToString(in.VersionStage)) {
				id = v
			}
		}
	}
	value, ok := f.values[id]
	if !ok || (in.VersionStage != nil && !has(f.stages[id], *in.VersionStage)) {
		return nil, &types.ResourceNotFoundException{Message: aws.String("no such version")}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(value), VersionId: aws.String(id)}, nil
}

func (f *fakeSecret) PutSecretValue(_ context.Context, in *secretsmanager.PutSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error) {
	f.writes++
	id := aws.ToString(in.ClientRequestToken)
	f.values[id] = aws.ToString(in.SecretString)
	f.stages[id] = append([]string(nil), in.VersionStages...)
	return &secretsmanager.PutSecretValueOutput{VersionId: aws.String(id)}, nil
}

func (f *fakeSecret) UpdateSecretVersionStage(_ context.Context, in *secretsmanager.UpdateSecretVersionStageInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error) {
	f.writes++
	stage := aws.ToString(in.VersionStage)
	if from := aws.ToString(in.RemoveFromVersionId); from != "" {
		if !has(f.stages[from], stage) {
			return nil, errors.New("InvalidParameterException: stage not on RemoveFromVersionId")
		}
		f.stages[from] = remove(f.stages[from], stage)
		f.stages[from] = append(f.stages[from], "AWSPREVIOUS")
	} else {
		for _, s := range f.stages {
			if has(s, stage) {
				return nil, errors.New("InvalidParameterException: stage attached elsewhere and RemoveFromVersionId missing")
			}
		}
	}
	to := aws.ToString(in.MoveToVersionId)
	f.stages[to] = append(remove(f.stages[to], StagePending), stage)
	return &secretsmanager.UpdateSecretVersionStageOutput{}, nil
}

func remove(list []string, s string) []string {
	out := []string{}
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// stagedForRotation is the state Secrets Manager creates before createSecret:
// the new version exists, staged AWSPENDING, without a value.
func stagedForRotation(current string) *fakeSecret {
	f := newFake()
	if current != "" {
		f.values["v1"] = current
		f.stages["v1"] = []string{StageCurrent}
	}
	f.stages["v2"] = []string{StagePending}
	return f
}

func run(t *testing.T, f *fakeSecret, step, token string) error {
	t.Helper()
	r := &Rotator{Client: f, Random: bytes.NewReader(bytes.Repeat([]byte{0xab}, 64))}
	return r.Handle(context.Background(), Event{Step: step, SecretID: secretID, ClientRequestToken: token})
}

func TestFullRotationFromAnEmptySecret(t *testing.T) {
	f := stagedForRotation("") // the first rotation, right after the secret is created
	for _, step := range []string{StepCreate, StepSet, StepTest, StepFinish} {
		if err := run(t, f, step, "v2"); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	if !has(f.stages["v2"], StageCurrent) || has(f.stages["v2"], StagePending) {
		t.Errorf("v2 stages after rotation: %v", f.stages["v2"])
	}
	if f.values["v2"] != strings.Repeat("ab", 32) {
		t.Errorf("salt %q", f.values["v2"])
	}
}

func TestFullRotationReplacesTheCurrentSalt(t *testing.T) {
	old := strings.Repeat("0", 64)
	f := stagedForRotation(old)
	for _, step := range []string{StepCreate, StepSet, StepTest, StepFinish} {
		if err := run(t, f, step, "v2"); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	if !reflect.DeepEqual(f.stages["v1"], []string{"AWSPREVIOUS"}) || !has(f.stages["v2"], StageCurrent) {
		t.Errorf("stages after rotation: %v", f.stages)
	}
	if f.values["v1"] != old || f.values["v2"] == old {
		t.Error("the old salt was changed or not replaced")
	}
}

func TestEveryStepRetriedTwiceIsIdempotent(t *testing.T) {
	f := stagedForRotation(strings.Repeat("1", 64))
	for _, step := range []string{StepCreate, StepSet, StepTest, StepFinish} {
		for attempt := 1; attempt <= 3; attempt++ {
			before := f.writes
			if err := run(t, f, step, "v2"); err != nil {
				t.Fatalf("%s attempt %d: %v", step, attempt, err)
			}
			if attempt > 1 && f.writes != before {
				t.Errorf("%s attempt %d wrote again", step, attempt)
			}
		}
	}
	if f.writes != 2 { // one PutSecretValue, one UpdateSecretVersionStage
		t.Errorf("%d writes for one rotation, want 2", f.writes)
	}
}

func TestCreateKeepsAnExistingPendingValue(t *testing.T) {
	f := stagedForRotation(strings.Repeat("1", 64))
	pending := strings.Repeat("c", 64)
	f.values["v2"] = pending
	if err := run(t, f, StepCreate, "v2"); err != nil {
		t.Fatal(err)
	}
	if f.values["v2"] != pending || f.writes != 0 {
		t.Error("createSecret overwrote an existing pending value")
	}
}

func TestRejections(t *testing.T) {
	cases := []struct {
		name  string
		setup func() *fakeSecret
		step  string
		token string
		want  error
	}{
		{"unknown step", func() *fakeSecret { return stagedForRotation("") }, "rotateSecret", "v2", ErrUnknownStep},
		{"token is not a version", func() *fakeSecret { return stagedForRotation("") }, StepCreate, "v9", ErrUnknownVersion},
		{"version not staged for rotation", func() *fakeSecret {
			f := stagedForRotation(strings.Repeat("1", 64))
			f.stages["v3"] = []string{"AWSPREVIOUS"}
			return f
		}, StepCreate, "v3", ErrNotStagedPending},
		{"rotation disabled", func() *fakeSecret { f := stagedForRotation(""); f.rotationEnabled = false; return f }, StepCreate, "v2", ErrRotationDisabled},
		{"malformed pending value", func() *fakeSecret {
			f := stagedForRotation("")
			f.values["v2"] = `{"salt":"` + strings.Repeat("a", 64) + `"}`
			return f
		}, StepTest, "v2", ErrMalformedSalt},
		{"uppercase pending value", func() *fakeSecret {
			f := stagedForRotation("")
			f.values["v2"] = strings.Repeat("AB", 32)
			return f
		}, StepTest, "v2", ErrMalformedSalt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.setup()
			before := snapshot(f)
			err := run(t, f, tc.step, tc.token)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if f.writes != 0 || !reflect.DeepEqual(before, snapshot(f)) {
				t.Error("a rejected event changed the secret")
			}
		})
	}
}

func TestMissingIdentifiersAreRejected(t *testing.T) {
	r := &Rotator{Client: newFake()}
	if err := r.Handle(context.Background(), Event{Step: StepCreate}); err == nil {
		t.Fatal("an event without SecretId was accepted")
	}
}

func TestNewSaltFormat(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		s, err := NewSalt(nil)
		if err != nil {
			t.Fatal(err)
		}
		if !SaltPattern.MatchString(s) || len(s) != 64 {
			t.Fatalf("salt %q is not 64 lowercase hex characters", s)
		}
		if seen[s] {
			t.Fatal("crypto/rand repeated a salt")
		}
		seen[s] = true
	}
	if _, err := NewSalt(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Error("a short random source was not reported")
	}
}

func TestAnExistingSaltIsNotMalformed(t *testing.T) {
	f := stagedForRotation("")
	f.values["v2"] = strings.Repeat("0123456789abcdef", 4)
	if err := run(t, f, StepTest, "v2"); err != nil {
		t.Fatalf("a valid salt failed testSecret: %v", err)
	}
}

func snapshot(f *fakeSecret) map[string]any {
	return map[string]any{"values": copyMap(f.values), "stages": copyStages(f.stages)}
}

func copyMap(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

func copyStages(m map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, v := range m {
		out[k] = append([]string(nil), v...)
	}
	return out
}

func TestAgeCheck(t *testing.T) {
	now := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	daysAgo := func(d int) *time.Time { v := now.Add(-time.Duration(d) * 24 * time.Hour); return &v }
	cases := []struct {
		name    string
		created *time.Time
		rotated *time.Time
		enabled bool
		want    error
	}{
		{"rotated last month", daysAgo(400), daysAgo(25), true, nil},
		{"rotation overdue", daysAgo(400), daysAgo(36), true, ErrRotationOverdue},
		{"never rotated, just created", daysAgo(1), nil, true, nil},
		{"never rotated, created long ago", daysAgo(90), nil, true, ErrRotationOverdue},
		{"rotation disabled", daysAgo(400), daysAgo(1), false, ErrRotationDisabled},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.created, f.lastRotated, f.rotationEnabled = tc.created, tc.rotated, tc.enabled
			r := &Rotator{Client: f, Now: func() time.Time { return now }}
			err := r.Handle(context.Background(), Event{Step: StepCheckAge, SecretID: secretID, MaxAgeDays: 35})
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if f.writes != 0 {
				t.Error("the age check wrote to the secret")
			}
		})
	}
	r := &Rotator{Client: newFake()}
	if err := r.Handle(context.Background(), Event{Step: StepCheckAge, SecretID: secretID}); err == nil {
		t.Error("an age check without MaxAgeDays was accepted")
	}
}
