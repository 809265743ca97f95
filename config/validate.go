package config

import (
	"fmt"
	"regexp"
	"strings"
)

// Regions are the region codes of the commercial AWS partition that the AWS
// provider 5.100.0 knows (read from its endpoint data). GovCloud and China are
// left out: the stacks build ARNs in the "aws" partition.
var Regions = []string{
	"af-south-1", "ap-east-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
	"eu-west-1", "eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1",
	"mx-central-1", "sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}

// LogRetentionValues are the retention periods CloudWatch Logs accepts (days).
var LogRetentionValues = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

var (
	projectNamePattern  = regexp.MustCompile(`^[a-z][a-z0-9-]{1,22}[a-z0-9]$`)
	accountIDPattern    = regexp.MustCompile(`^[0-9]{12}$`)
	functionNamePattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	bucketNamePattern   = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	keyPrefixPattern    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}[A-Za-z0-9]$`)
	repositoryPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$`)
	kmsKeyArnPattern    = regexp.MustCompile(`^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[0-9a-f-]{36}$`)
	emailDomainPattern  = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$`)
)

// validate checks every field, section by section; the first problem is
// returned.
func validate(file, want string, raw settingsFile) (Environment, error) {
	if err := required(file, raw); err != nil {
		return Environment{}, err
	}
	env := Environment{Name: *raw.Environment, SettingsFile: file}
	sections := []func(*Environment) error{
		func(e *Environment) error { return identity(file, want, raw, e) },
		func(e *Environment) error { return alertEmails(file, raw.AlertEmails, e) },
		func(e *Environment) error { return protection(file, raw, e) },
		func(e *Environment) error { return functions(file, raw, e) },
		func(e *Environment) error { return retention(file, raw, e) },
		func(e *Environment) (err error) {
			e.Adopt, err = adoptSettings(file, raw.Adopt, e.Functions)
			return err
		},
		func(e *Environment) error { return state(file, raw.State, e) },
		func(e *Environment) error { return repository(file, raw, e) },
	}
	for _, section := range sections {
		if err := section(&env); err != nil {
			return Environment{}, err
		}
	}
	return env, nil
}

// required: the fields without a default.
func required(file string, raw settingsFile) error {
	for _, req := range []struct {
		name    string
		present bool
	}{
		{"environment", raw.Environment != nil},
		{"aws_region", raw.AWSRegion != nil},
		{"project_name", raw.ProjectName != nil},
		{"aws_account_id", raw.AWSAccountID != nil},
		{"alert_emails", raw.AlertEmails != nil},
		{"deletion_protection", raw.DeletionProtection != nil},
		{"github_repository", raw.GitHubRepository != nil},
	} {
		if !req.present {
			return &Error{File: file, Field: req.name, Problem: "is required but missing", Fix: "add it (see docs/settings.md)"}
		}
	}
	return nil
}
func functionNames(file string, env Environment, raw settingsFile) (FunctionNames, error) {
	names := FunctionNames{
		FPIngestion:      DefaultFunctionName(env.ProjectName, "fp-ingestion", env.Name),
		CalibrationQuery: DefaultFunctionName(env.ProjectName, "calibration-query", env.Name),
		SaltRotator:      DefaultFunctionName(env.ProjectName, "salt-rotator", env.Name),
	}
	for _, f := range []struct {
		field string
		value *string
		dest  *string
	}{
		{"fp_ingestion_function_name", raw.FPIngestionFunctionName, &names.FPIngestion},
		{"calibration_query_function_name", raw.CalibrationQueryFunctionName, &names.CalibrationQuery},
		{"salt_rotator_function_name", raw.SaltRotatorFunctionName, &names.SaltRotator},
	} {
		if f.value == nil {
			continue
		}
		if !functionNamePattern.MatchString(*f.value) {
			return names, &Error{File: file, Field: f.field, Problem: fmt.Sprintf("%q is not a valid Lambda function name", *f.value),
				Fix: "use 1 to 64 letters, digits, hyphens or underscores, or remove the field to use the default"}
		}
		*f.dest = *f.value
	}
	if names.FPIngestion == names.CalibrationQuery || names.FPIngestion == names.SaltRotator || names.CalibrationQuery == names.SaltRotator {
		return names, &Error{File: file, Field: "salt_rotator_function_name", Problem: "two functions share one name",
			Fix: "give the FP ingestion, calibration query and salt rotator functions distinct names"}
	}
	return names, nil
}

// DefaultFunctionName is the name a function gets when the settings leave it out.
func DefaultFunctionName(project, function, env string) string {
	return project + "-" + function + "-" + env
}

func stateSettings(file string, raw *stateFile) (StateSettings, error) {
	state := StateSettings{Backend: StateLocal, Lock: LockFile}
	if raw == nil {
		return state, nil
	}
	fail := func(field, problem, fix string) (StateSettings, error) {
		return StateSettings{}, &Error{File: file, Field: "state." + field, Problem: problem, Fix: fix}
	}
	if raw.Backend == nil {
		return fail("backend", "is required when state is set", `set "backend": "local" or "s3"`)
	}
	state.Backend = StateBackend(*raw.Backend)
	state.Lock = LockFile
	if raw.Lock != nil {
		state.Lock = LockMode(*raw.Lock)
		if state.Lock != LockFile && state.Lock != LockDynamoDB {
			return fail("lock", fmt.Sprintf("%q is not a lock mode", *raw.Lock),
				`use "lockfile" (S3 native locking, the default) or "dynamodb" (a lock table made by the state-bootstrap stack)`)
		}
	}
	switch state.Backend {
	case StateLocal:
		if raw.Bucket != nil || raw.Region != nil || raw.KeyPrefix != nil || raw.KMSKeyArn != nil {
			return fail("backend", `is "local" but S3 settings are present`, `set "backend": "s3", or remove bucket, region, key_prefix and kms_key_arn`)
		}
		return state, nil
	case StateS3:
	default:
		return fail("backend", fmt.Sprintf("%q is not a supported backend", *raw.Backend), `use "local" (the default) or "s3"`)
	}
	if raw.Bucket == nil || !bucketNamePattern.MatchString(*raw.Bucket) || strings.Contains(*raw.Bucket, "..") {
		got := "missing"
		if raw.Bucket != nil {
			got = fmt.Sprintf("%q is not a valid S3 bucket name", *raw.Bucket)
		}
		return fail("bucket", got, "name the state bucket created by the state-bootstrap stack (3-63 lowercase letters, digits, dots, hyphens)")
	}
	state.Bucket = *raw.Bucket
	if raw.Region == nil {
		return fail("region", "is missing", "set the region of the state bucket, e.g. us-east-1")
	}
	if problem := checkRegion(*raw.Region); problem != "" {
		return fail("region", problem, "use a region code such as us-east-1")
	}
	state.Region = *raw.Region
	if raw.KMSKeyArn == nil || !kmsKeyArnPattern.MatchString(*raw.KMSKeyArn) {
		got := "is missing"
		if raw.KMSKeyArn != nil {
			got = fmt.Sprintf("%q is not a KMS key ARN", *raw.KMSKeyArn)
		}
		return fail("kms_key_arn", got, "use the state_kms_key_arn output of the state-bootstrap stack (arn:aws:kms:<region>:<account>:key/<id>)")
	}
	state.KMSKeyArn = *raw.KMSKeyArn
	state.KeyPrefix = DefaultStateKeyPrefix
	if raw.KeyPrefix != nil {
		if !keyPrefixPattern.MatchString(*raw.KeyPrefix) {
			return fail("key_prefix", fmt.Sprintf("%q is not a usable S3 key prefix", *raw.KeyPrefix),
				"use letters, digits, '.', '_', '-' and '/', without a leading or trailing slash")
		}
		state.KeyPrefix = *raw.KeyPrefix
	}
	return state, nil
}
