package config

import (
	"fmt"
	"slices"
	"strings"
)

// A section validates one group of settings into e; the first problem found
// is returned as an *Error naming the field.

// identity: environment, region, project name and account.
func identity(file, want string, raw settingsFile, e *Environment) error {
	fail := func(field, problem, fix string) error {
		return &Error{File: file, Field: field, Problem: problem, Fix: fix}
	}
	if e.Name != want {
		return fail("environment", fmt.Sprintf("is %q but the file is for %q", e.Name, want),
			fmt.Sprintf(`set "environment": %q, or put these settings in %s.json`, want, e.Name))
	}
	e.Region = *raw.AWSRegion
	if problem := checkRegion(e.Region); problem != "" {
		return fail("aws_region", problem, "use a region code such as us-east-1")
	}
	e.ProjectName = *raw.ProjectName
	if !projectNamePattern.MatchString(e.ProjectName) {
		return fail("project_name", fmt.Sprintf("%q would make invalid AWS resource names", e.ProjectName),
			"use 3 to 24 characters: lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen (e.g. phase-mirror)")
	}
	if strings.Contains(e.ProjectName, "--") {
		return fail("project_name", fmt.Sprintf("%q has a double hyphen", e.ProjectName), "use single hyphens between words")
	}
	e.AccountID = *raw.AWSAccountID
	if !accountIDPattern.MatchString(e.AccountID) {
		return fail("aws_account_id", fmt.Sprintf("%q is not an AWS account id", e.AccountID), "write the account id as exactly 12 digits, in quotes (e.g. \"123456789012\")")
	}
	if placeholderAccount(e.AccountID) {
		e.Warnings = append(e.Warnings, fmt.Sprintf("%s: field \"aws_account_id\" %q looks like a placeholder: set the real account before deploying (the provider refuses any other account)", file, e.AccountID))
	}
	return nil
}

// alertEmails: the subscribers of the two alert topics.
func alertEmails(file string, emails *alertEmailsFile, e *Environment) error {
	fail := func(field, problem, fix string) error {
		return &Error{File: file, Field: field, Problem: problem, Fix: fix}
	}
	for _, sev := range []struct {
		name string
		list *[]string
		dest *[]string
	}{
		{"critical", emails.Critical, &e.AlertEmails.Critical},
		{"warning", emails.Warning, &e.AlertEmails.Warning},
	} {
		field := "alert_emails." + sev.name
		if sev.list == nil {
			return fail(field, "is required but missing", `add a list of e-mail addresses (it may be [] in staging only)`)
		}
		if len(*sev.list) == 0 && e.IsProduction() {
			return fail(field, "is empty in production: alarms would reach no one", "list at least one e-mail address that is watched")
		}
		if len(*sev.list) == 0 {
			e.Warnings = append(e.Warnings, fmt.Sprintf("%s: field %q is empty: %s alarms of %s reach no one", file, field, sev.name, e.Name))
		}
		for i, addr := range *sev.list {
			if problem := checkEmail(addr); problem != "" {
				return fail(fmt.Sprintf("%s[%d]", field, i), problem, "write a plain address such as oncall@example.com (no display name)")
			}
			if placeholderEmail(addr) {
				e.Warnings = append(e.Warnings, fmt.Sprintf("%s: field \"%s[%d]\" %q is a reserved example domain: %s alarms of %s reach no one until it is a watched address", file, field, i, addr, sev.name, e.Name))
			}
		}
		*sev.dest = slices.Clone(*sev.list)
	}
	return nil
}

// protection: deletion protection, required in production.
func protection(file string, raw settingsFile, e *Environment) error {
	e.DeletionProtection = *raw.DeletionProtection
	if e.IsProduction() && !e.DeletionProtection {
		return &Error{File: file, Field: "deletion_protection", Problem: "is false in production", Fix: "set it to true: production tables must not be deletable by a plan"}
	}
	return nil
}

// functions: the three function names and the application functions' timeouts.
func functions(file string, raw settingsFile, e *Environment) (err error) {
	if e.Functions, err = functionNames(file, *e, raw); err != nil {
		return err
	}
	for _, t := range []struct {
		field string
		value *int
		dest  *int
	}{
		{"fp_ingestion_timeout_seconds", raw.FPIngestionTimeoutSeconds, &e.FunctionTimeouts.FPIngestion},
		{"calibration_query_timeout_seconds", raw.CalibrationQueryTimeoutSecs, &e.FunctionTimeouts.CalibrationQuery},
	} {
		*t.dest = DefaultFunctionTimeoutSeconds
		if t.value == nil {
			continue
		}
		if *t.value < 1 || *t.value > 900 {
			return &Error{File: file, Field: t.field, Problem: fmt.Sprintf("%d is outside 1..900", *t.value),
				Fix: "set the function's timeout in seconds, as deployed (Lambda allows 1 to 900)"}
		}
		*t.dest = *t.value
	}
	return nil
}

// retention: how long logs and a deleted salt secret are kept.
func retention(file string, raw settingsFile, e *Environment) error {
	e.LogRetentionDays = DefaultLogRetentionDays
	if raw.LogRetentionDays != nil {
		e.LogRetentionDays = *raw.LogRetentionDays
		if !slices.Contains(LogRetentionValues, e.LogRetentionDays) {
			return &Error{File: file, Field: "log_retention_days", Problem: fmt.Sprintf("%d is not a retention CloudWatch Logs accepts", e.LogRetentionDays),
				Fix: "use one of " + joinInts(LogRetentionValues)}
		}
	}
	e.SecretRecoveryWindowDays = DefaultSecretRecoveryWindowDays
	if raw.SecretRecoveryWindowDays != nil {
		e.SecretRecoveryWindowDays = *raw.SecretRecoveryWindowDays
		if e.SecretRecoveryWindowDays < 7 || e.SecretRecoveryWindowDays > 30 {
			return &Error{File: file, Field: "secret_recovery_window_days", Problem: fmt.Sprintf("%d is outside 7..30", e.SecretRecoveryWindowDays),
				Fix: "use a number of days from 7 to 30 (Secrets Manager's range)"}
		}
	}
	return nil
}

// state: the backend, and its key in the environment's account.
func state(file string, raw *stateFile, e *Environment) (err error) {
	if e.State, err = stateSettings(file, raw); err != nil {
		return err
	}
	if e.State.Backend == StateS3 && !strings.Contains(e.State.KMSKeyArn, ":"+e.AccountID+":") {
		return &Error{File: file, Field: "state.kms_key_arn", Problem: "is not a key of the environment's account " + e.AccountID,
			Fix: "use the state_kms_key_arn output of this environment's state-bootstrap stack"}
	}
	return nil
}

// repository: the only repository whose workflows may deploy.
func repository(file string, raw settingsFile, e *Environment) error {
	e.GitHubRepository = *raw.GitHubRepository
	if !repositoryPattern.MatchString(e.GitHubRepository) {
		return &Error{File: file, Field: "github_repository", Problem: fmt.Sprintf("%q is not owner/name", e.GitHubRepository),
			Fix: "write the GitHub repository as owner/name, e.g. phase-mirror/fp-calibration-infra"}
	}
	e.GitHubOIDCProvider = OIDCProviderCreate
	if raw.GitHubOIDCProvider == nil {
		return nil
	}
	switch e.GitHubOIDCProvider = *raw.GitHubOIDCProvider; e.GitHubOIDCProvider {
	case OIDCProviderCreate, OIDCProviderExisting:
		return nil
	}
	return &Error{File: file, Field: "github_oidc_provider", Problem: fmt.Sprintf("%q is neither %q nor %q", e.GitHubOIDCProvider, OIDCProviderCreate, OIDCProviderExisting),
		Fix: `"existing" if aws iam list-open-id-connect-providers lists .../oidc-provider/token.actions.githubusercontent.com in the account, else "create"`}
}
