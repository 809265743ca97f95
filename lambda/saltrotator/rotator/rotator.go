// Package rotator implements the AWS Secrets Manager rotation contract for the
// HMAC salt of the FP Calibration Service. The salt is 32 random bytes stored
// as 64 lowercase hex characters, bare (no JSON), which is what the
// application's anonymizer accepts.
package rotator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Version stages of the rotation contract.
const (
	StageCurrent = "AWSCURRENT"
	StagePending = "AWSPENDING"
)

// Steps Secrets Manager invokes, in order.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// StepCheckAge is not a rotation step: a daily EventBridge schedule sends it so
// that a rotation that silently stopped (disabled, or failing before the
// function ran) fails this function, which the rotator's errors alarm reports.
const StepCheckAge = "checkRotationAge"

// SaltPattern is the only value the application accepts.
var SaltPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Event is the rotation event Secrets Manager sends to the function.
type Event struct {
	Step               string `json:"Step"`
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken"`
	// MaxAgeDays is the oldest the current salt may be (StepCheckAge only).
	MaxAgeDays int `json:"MaxAgeDays,omitempty"`
}

// SecretsManager is the part of the Secrets Manager API rotation uses; the
// SDK client satisfies it, and tests use a fake.
type SecretsManager interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// Errors a rotation can be rejected with; nothing is changed when they occur.
var (
	ErrUnknownStep        = errors.New("unknown rotation step")
	ErrRotationDisabled   = errors.New("rotation is not enabled on the secret")
	ErrUnknownVersion     = errors.New("the token is not a version of the secret")
	ErrNotStagedPending   = errors.New("the version is not staged AWSPENDING for rotation")
	ErrMalformedSalt      = errors.New("the pending salt is not 64 lowercase hex characters")
	ErrRotationOverdue    = errors.New("the salt has not been rotated within its maximum age")
	errMissingIdentifiers = errors.New("the event lacks SecretId or ClientRequestToken")
)

// Rotator handles rotation events.
type Rotator struct {
	Client SecretsManager
	// Random is the source of salt bytes (crypto/rand.Reader when nil).
	Random io.Reader
	// Now is the clock of the age check (time.Now when nil).
	Now func() time.Time
}

// Handle runs one step of the rotation.
func (r *Rotator) Handle(ctx context.Context, ev Event) error {
	switch ev.Step {
	case StepCreate, StepSet, StepTest, StepFinish:
	case StepCheckAge:
		return r.checkAge(ctx, ev)
	default:
		return fmt.Errorf("%w %q: expected one of %s, %s, %s, %s (or %s)", ErrUnknownStep, ev.Step, StepCreate, StepSet, StepTest, StepFinish, StepCheckAge)
	}
	if ev.SecretID == "" || ev.ClientRequestToken == "" {
		return errMissingIdentifiers
	}
	desc, err := r.Client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ev.SecretID)})
	if err != nil {
		return fmt.Errorf("describe %s: %w", ev.SecretID, err)
	}
	if !aws.ToBool(desc.RotationEnabled) {
		return fmt.Errorf("%w: %s", ErrRotationDisabled, ev.SecretID)
	}
	stages, ok := desc.VersionIdsToStages[ev.ClientRequestToken]
	if !ok {
		return fmt.Errorf("%w: version %s of %s", ErrUnknownVersion, ev.ClientRequestToken, ev.SecretID)
	}
	if has(stages, StageCurrent) {
		// Already finished (a retried finishSecret, or a replayed step): nothing to do.
		return nil
	}
	if !has(stages, StagePending) {
		return fmt.Errorf("%w: version %s of %s has stages %v", ErrNotStagedPending, ev.ClientRequestToken, ev.SecretID, stages)
	}

	switch ev.Step {
	case StepCreate:
		return r.createSecret(ctx, ev)
	case StepSet:
		// A salt has no downstream system to update.
		return nil
	case StepTest:
		return r.testSecret(ctx, ev)
	default:
		return r.finishSecret(ctx, ev, desc.VersionIdsToStages)
	}
}

// createSecret stores a fresh salt under AWSPENDING, unless the pending
// version already has a value (a retried step).
func (r *Rotator) createSecret(ctx context.Context, ev Event) error {
	_, err := r.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(ev.SecretID), VersionId: aws.String(ev.ClientRequestToken), VersionStage: aws.String(StagePending),
	})
	if err == nil {
		return nil
	}
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		return fmt.Errorf("read pending version of %s: %w", ev.SecretID, err)
	}
	salt, err := NewSalt(r.Random)
	if err != nil {
		return err
	}
	_, err = r.Client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(ev.SecretID),
		ClientRequestToken: aws.String(ev.ClientRequestToken),
		SecretString:       aws.String(salt),
		VersionStages:      []string{StagePending},
	})
	if err != nil {
		return fmt.Errorf("store pending salt of %s: %w", ev.SecretID, err)
	}
	return nil
}

// testSecret checks that the pending value is a salt the application accepts.
func (r *Rotator) testSecret(ctx context.Context, ev Event) error {
	out, err := r.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String(ev.SecretID), VersionId: aws.String(ev.ClientRequestToken), VersionStage: aws.String(StagePending),
	})
	if err != nil {
		return fmt.Errorf("read pending version of %s: %w", ev.SecretID, err)
	}
	if !SaltPattern.MatchString(aws.ToString(out.SecretString)) {
		return fmt.Errorf("%w (version %s of %s)", ErrMalformedSalt, ev.ClientRequestToken, ev.SecretID)
	}
	return nil
}

// finishSecret moves AWSCURRENT to the pending version.
func (r *Rotator) finishSecret(ctx context.Context, ev Event, versions map[string][]string) error {
	in := &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:        aws.String(ev.SecretID),
		VersionStage:    aws.String(StageCurrent),
		MoveToVersionId: aws.String(ev.ClientRequestToken),
	}
	for id, stages := range versions {
		if has(stages, StageCurrent) {
			in.RemoveFromVersionId = aws.String(id)
		}
	}
	if _, err := r.Client.UpdateSecretVersionStage(ctx, in); err != nil {
		return fmt.Errorf("promote version %s of %s: %w", ev.ClientRequestToken, ev.SecretID, err)
	}
	return nil
}

// checkAge fails when the secret's last rotation (or its creation, if it never
// rotated) is older than MaxAgeDays, or when rotation is disabled.
func (r *Rotator) checkAge(ctx context.Context, ev Event) error {
	if ev.SecretID == "" || ev.MaxAgeDays <= 0 {
		return errors.New("the age check needs SecretId and a positive MaxAgeDays")
	}
	desc, err := r.Client.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ev.SecretID)})
	if err != nil {
		return fmt.Errorf("describe %s: %w", ev.SecretID, err)
	}
	if !aws.ToBool(desc.RotationEnabled) {
		return fmt.Errorf("%w: %s", ErrRotationDisabled, ev.SecretID)
	}
	last := desc.LastRotatedDate
	if last == nil {
		last = desc.CreatedDate
	}
	if last == nil {
		return fmt.Errorf("%s has neither a last rotation nor a creation date", ev.SecretID)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	if age := now().Sub(*last); age > time.Duration(ev.MaxAgeDays)*24*time.Hour {
		return fmt.Errorf("%w: %s last rotated %s ago (maximum %d days)", ErrRotationOverdue, ev.SecretID, age.Round(time.Hour), ev.MaxAgeDays)
	}
	return nil
}

// NewSalt returns 32 random bytes from random (crypto/rand when nil) as 64 lowercase hex characters.
func NewSalt(random io.Reader) (string, error) {
	if random == nil {
		random = rand.Reader
	}
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("generate salt: %w", err)
	}
	return hex.EncodeToString(b), nil
}

func has(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
