package config

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
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

// validate checks every field; the first problem is returned.
func validate(file, want string, raw settingsFile) (Environment, error) {
	fail := func(field, problem, fix string) (Environment, error) {
		return Environment{}, &Error{File: file, Field: field, Problem: problem, Fix: fix}
	}
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
			return fail(req.name, "is required but missing", "add it (see README.md, section Settings)")
		}
	}

	env := Environment{Name: *raw.Environment, SettingsFile: file}
	if env.Name != want {
		return fail("environment", fmt.Sprintf("is %q but the file is for %q", env.Name, want),
			fmt.Sprintf(`set "environment": %q, or put these settings in %s.json`, want, env.Name))
	}

	env.Region = *raw.AWSRegion
	if err := checkRegion(env.Region); err != "" {
		return fail("aws_region", err, "use a region code such as us-east-1")
	}

	env.ProjectName = *raw.ProjectName
	if !projectNamePattern.MatchString(env.ProjectName) {
		return fail("project_name", fmt.Sprintf("%q would make invalid AWS resource names", env.ProjectName),
			"use 3 to 24 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. phase-mirror)")
	}
	if strings.Contains(env.ProjectName, "--") {
		return fail("project_name", fmt.Sprintf("%q has a double hyphen", env.ProjectName), "use single hyphens between words")
	}

	env.AccountID = *raw.AWSAccountID
	if !accountIDPattern.MatchString(env.AccountID) {
		return fail("aws_account_id", fmt.Sprintf("%q is not an AWS account id", env.AccountID), "write the account id as exactly 12 digits, in quotes (e.g. \"123456789012\")")
	}
	if placeholderAccount(env.AccountID) {
		env.Warnings = append(env.Warnings, fmt.Sprintf("%s: field \"aws_account_id\" %q looks like a placeholder: set the real account before deploying (the provider refuses any other account)", file, env.AccountID))
	}

	emails := raw.AlertEmails
	for _, sev := range []struct {
		name string
		list *[]string
		dest *[]string
	}{
		{"critical", emails.Critical, &env.AlertEmails.Critical},
		{"warning", emails.Warning, &env.AlertEmails.Warning},
	} {
		field := "alert_emails." + sev.name
		if sev.list == nil {
			return fail(field, "is required but missing", `add a list of e-mail addresses (it may be [] in staging only)`)
		}
		if len(*sev.list) == 0 && env.IsProduction() {
			return fail(field, "is empty in production: alarms would reach no one", "list at least one e-mail address that is watched")
		}
		if len(*sev.list) == 0 {
			env.Warnings = append(env.Warnings, fmt.Sprintf("%s: field %q is empty: %s alarms of %s reach no one", file, field, sev.name, env.Name))
		}
		for i, addr := range *sev.list {
			if problem := checkEmail(addr); problem != "" {
				return fail(fmt.Sprintf("%s[%d]", field, i), problem, "write a plain address such as oncall@example.com (no display name)")
			}
			if placeholderEmail(addr) {
				env.Warnings = append(env.Warnings, fmt.Sprintf("%s: field \"%s[%d]\" %q is a reserved example domain: %s alarms of %s reach no one until it is a watched address", file, field, i, addr, sev.name, env.Name))
			}
		}
		*sev.dest = append([]string{}, *sev.list...)
	}

	env.DeletionProtection = *raw.DeletionProtection
	if env.IsProduction() && !env.DeletionProtection {
		return fail("deletion_protection", "is false in production", "set it to true: production tables must not be deletable by a plan")
	}

	var err error
	if env.Functions, err = functionNames(file, env, raw); err != nil {
		return Environment{}, err
	}

	for _, t := range []struct {
		field string
		value *int
		dest  *int
	}{
		{"fp_ingestion_timeout_seconds", raw.FPIngestionTimeoutSeconds, &env.FunctionTimeouts.FPIngestion},
		{"calibration_query_timeout_seconds", raw.CalibrationQueryTimeoutSecs, &env.FunctionTimeouts.CalibrationQuery},
	} {
		*t.dest = DefaultFunctionTimeoutSeconds
		if t.value != nil {
			if *t.value < 1 || *t.value > 900 {
				return fail(t.field, fmt.Sprintf("%d is outside 1..900", *t.value), "set the function's timeout in seconds, as deployed (Lambda allows 1 to 900)")
			}
			*t.dest = *t.value
		}
	}

	env.LogRetentionDays = DefaultLogRetentionDays
	if raw.LogRetentionDays != nil {
		env.LogRetentionDays = *raw.LogRetentionDays
		if !containsInt(LogRetentionValues, env.LogRetentionDays) {
			return fail("log_retention_days", fmt.Sprintf("%d is not a retention CloudWatch Logs accepts", env.LogRetentionDays),
				"use one of "+joinInts(LogRetentionValues))
		}
	}

	env.SecretRecoveryWindowDays = DefaultSecretRecoveryWindowDays
	if raw.SecretRecoveryWindowDays != nil {
		env.SecretRecoveryWindowDays = *raw.SecretRecoveryWindowDays
		if env.SecretRecoveryWindowDays < 7 || env.SecretRecoveryWindowDays > 30 {
			return fail("secret_recovery_window_days", fmt.Sprintf("%d is outside 7..30", env.SecretRecoveryWindowDays),
				"use a number of days from 7 to 30 (Secrets Manager's range)")
		}
	}

	if env.Adopt, err = adoptSettings(file, raw.Adopt); err != nil {
		return Environment{}, err
	}

	if env.State, err = stateSettings(file, raw.State); err != nil {
		return Environment{}, err
	}
	if env.State.Backend == StateS3 && !strings.Contains(env.State.KMSKeyArn, ":"+env.AccountID+":") {
		return fail("state.kms_key_arn", "is not a key of the environment's account "+env.AccountID, "use the state_kms_key_arn output of this environment's state-bootstrap stack")
	}

	env.GitHubRepository = *raw.GitHubRepository
	if !repositoryPattern.MatchString(env.GitHubRepository) {
		return fail("github_repository", fmt.Sprintf("%q is not owner/name", env.GitHubRepository), "write the GitHub repository as owner/name, e.g. phase-mirror/fp-calibration-infra")
	}
	return env, nil
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

// checkRegion returns "" for a known region, else the problem with a suggestion.
func checkRegion(region string) string {
	if contains(Regions, region) {
		return ""
	}
	problem := fmt.Sprintf("%q is not an AWS region", region)
	if best := closest(region, Regions); best != "" {
		problem += fmt.Sprintf(" (did you mean %q?)", best)
	}
	return problem
}

// checkEmail returns "" for a plain, deliverable-looking address.
func checkEmail(addr string) string {
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Address != addr || parsed.Name != "" {
		return fmt.Sprintf("%q is not a plain e-mail address", addr)
	}
	at := strings.LastIndexByte(addr, '@')
	if !emailDomainPattern.MatchString(addr[at+1:]) {
		return fmt.Sprintf("%q has no valid domain after the @", addr)
	}
	return ""
}

// closest returns the candidate within edit distance 2 of s, if any.
func closest(s string, candidates []string) string {
	best, bestDist := "", 3
	for _, c := range candidates {
		if d := editDistance(s, c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func joinInts(list []int) string {
	parts := make([]string, len(list))
	for i, v := range list {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ", ")
}

// placeholderAccount: an id made of one repeated digit, or the documentation's
// 123456789012, is almost certainly not a real account.
func placeholderAccount(id string) bool {
	return id == "123456789012" || strings.Count(id, id[:1]) == len(id)
}

// placeholderEmail: domains reserved for examples and tests (RFC 2606) never
// receive mail.
func placeholderEmail(addr string) bool {
	_, domain, _ := strings.Cut(strings.ToLower(addr), "@")
	for _, reserved := range []string{".example", ".test", ".invalid", ".localhost"} {
		if strings.HasSuffix(domain, reserved) {
			return true
		}
	}
	return slices.Contains([]string{"example.com", "example.org", "example.net"}, domain)
}
