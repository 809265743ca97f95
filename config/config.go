// Package config turns an environment settings file (environments/<env>.json)
// into a typed, validated Environment. It is the only place that reads settings:
// constructs receive an Environment and never look at files, flags or the
// process environment.
package config

// Environments lists the environments this project deploys, in synthesis order.
var Environments = []string{"staging", "production"}

// Environment is the validated settings of one deployment environment. Every
// field is set: optional settings carry their defaults after Load.
type Environment struct {
	// Name is "staging" or "production"; it suffixes every physical name.
	Name string
	// Region is the AWS region code the stack deploys to.
	Region string
	// ProjectName prefixes the service's resource names ("phase-mirror").
	ProjectName string
	// AccountID is the AWS account the environment lives in; the provider
	// refuses to act on any other (allowed_account_ids) and ARNs are built with it.
	AccountID string
	// AlertEmails receive the alarm notifications, per severity.
	AlertEmails AlertEmails
	// Functions are the Lambda function names the roles, log groups and alarms refer to.
	Functions FunctionNames
	// FunctionTimeouts are the application functions' timeouts, for the duration alarms.
	FunctionTimeouts FunctionTimeouts
	// DeletionProtection turns on DynamoDB deletion protection (required in production).
	DeletionProtection bool
	// LogRetentionDays is how long Lambda logs are kept.
	LogRetentionDays int
	// SecretRecoveryWindowDays is how long a deleted salt secret can be restored.
	SecretRecoveryWindowDays int
	// State selects where Terraform keeps this environment's state.
	State StateSettings
	// GitHubRepository ("owner/name") is the only repository whose workflows
	// may assume the environment's deploy and plan roles.
	GitHubRepository string
	// GitHubOIDCProvider says whether the bootstrap creates the account's
	// GitHub Actions OIDC provider (OIDCProviderCreate) or reads the one the
	// account already has (OIDCProviderExisting): IAM allows one per URL.
	GitHubOIDCProvider string
	// Adopt takes over the resources the hand-written HCL version created
	// under the same names (import blocks); off by default.
	Adopt AdoptSettings
	// SettingsFile is the file these settings were read from, for messages.
	SettingsFile string
	// Warnings are accepted but doubtful settings, to print at synthesis.
	Warnings []string
}

// FunctionTimeouts are the timeouts (seconds) the application's functions are deployed with.
type FunctionTimeouts struct {
	FPIngestion, CalibrationQuery int
}

// AlertEmails are the e-mail subscribers of the two alert topics.
type AlertEmails struct {
	Critical []string
	Warning  []string
}

// FunctionNames are the names of the service's Lambda functions.
type FunctionNames struct {
	FPIngestion      string
	CalibrationQuery string
	SaltRotator      string
}

// StateBackend names a Terraform state backend.
type StateBackend string

const (
	// StateLocal keeps state in a file beside the synthesized stack (the default).
	StateLocal StateBackend = "local"
	// StateS3 keeps state in S3 with native lock files.
	StateS3 StateBackend = "s3"
)

// LockMode is how the S3 backend locks the state.
type LockMode string

const (
	// LockFile is S3 native locking: a lock object beside the state
	// (use_lockfile, Terraform >= 1.10). The default.
	LockFile LockMode = "lockfile"
	// LockDynamoDB is a DynamoDB lock table made by the state-bootstrap stack
	// (the backend's dynamodb_table), for teams whose tooling expects one.
	LockDynamoDB LockMode = "dynamodb"
)

// The settings values of github_oidc_provider.
const (
	OIDCProviderCreate   = "create"
	OIDCProviderExisting = "existing"
)

// AdoptSettings selects what a first plan imports instead of creating.
type AdoptSettings struct {
	// Enabled turns on the service stack's import blocks (tables, nonce
	// parameter, salt secret, key and alias, topics and dashboard).
	Enabled bool
	// LambdaRoles: the bootstrap imports the three Lambda roles (made by the
	// HCL version, or by a version of this project before the bootstrap owned them).
	LambdaRoles bool
	// LambdaBoundary: the bootstrap imports the Lambda roles' permissions
	// boundary (made by a version of this project before the bootstrap owned it).
	LambdaBoundary bool
	// Alarms are alarm names of this stack that already exist and are
	// imported too (the HCL version's alarm names are not recorded).
	Alarms []string
	// LogGroups are log group names of this stack that already exist and are
	// imported too (the Lambda runtime makes /aws/lambda/<function> on a
	// function's first run; the HCL version made none).
	LogGroups []string
}

// StateSettings selects the state backend of one environment.
type StateSettings struct {
	Backend StateBackend
	// Lock is how S3 state is locked; with the local backend it only tells
	// the state-bootstrap stack to make the lock table ahead of the switch.
	Lock LockMode
	// Bucket, Region, KeyPrefix and KMSKeyArn are set when Backend is StateS3.
	Bucket    string
	Region    string
	KeyPrefix string
	// KMSKeyArn is the state bucket's customer-managed key (SSE-KMS of the state objects).
	KMSKeyArn string
}

// IsProduction reports whether the environment holds production data.
func (e Environment) IsProduction() bool { return e.Name == "production" }
