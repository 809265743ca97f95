// Package names is the one place where the physical names of the service's
// resources and their ARN patterns are written. Constructs take their names
// from here (through their props), the deploy and plan roles' scopes are built
// from the same functions with "*" in place of what varies, and a test checks
// that no other non-test file spells a name.
//
// Names the application depends on (tables, nonce, salt secret, metric
// namespace, dashboard) come from the facts of the HCL version; a test holds
// them against that file's literal values.
package names

import "strings"

// MetricNamespace is where the application publishes its custom metrics
// (dimension Environment), in every environment.
const MetricNamespace = "PhaseMirror/FPCalibration"

// Env names one environment's resources in one account.
type Env struct {
	// Project prefixes most names ("phase-mirror").
	Project string
	// Environment suffixes every name ("staging").
	Environment string
	// Region and AccountID place the ARNs.
	Region, AccountID string
}

// Named is "<project>-<what>-<env>", the service's naming convention; with
// "*" for what, the pattern of every such name of the environment.
func (e Env) Named(what string) string { return e.Project + "-" + what + "-" + e.Environment }

// Tables.

// ConsentTable holds each organization's consent, by orgId.
func (e Env) ConsentTable() string { return e.Named("consent-store") }

// CalibrationTable holds calibration events, by id, with the rule index.
func (e Env) CalibrationTable() string { return e.Named("calibration-store") }

// FPEventsTable holds false-positive events, by id.
func (e Env) FPEventsTable() string { return e.Named("fp-events") }

// BlockCounterTable is the legacy circuit breaker: its name predates the
// project prefix and the application uses it as is.
func (e Env) BlockCounterTable() string { return "mirror-dissonance-block-counter-" + e.Environment }

// NonceParameter is the SSM SecureString holding the redaction nonce.
func (e Env) NonceParameter() string { return "/guardian/redaction_nonce-" + e.Environment }

// SaltSecret is the Secrets Manager secret holding the HMAC salt.
func (e Env) SaltSecret() string {
	return "/" + e.Project + "/fp-calibration/hmac-salt-" + e.Environment
}

// SaltParameterReference is the salt secret's Parameter Store reference path:
// the reserved prefix "/aws/reference/secretsmanager/" followed by the
// secret's name, which itself starts with "/" (hence the "//").
func (e Env) SaltParameterReference() string {
	return "/aws/reference/secretsmanager/" + e.SaltSecret()
}

// KeyAlias is the alias of the environment's customer managed key.
func (e Env) KeyAlias() string { return "alias/" + e.Named("secrets") }

// LambdaRole is the execution role of the function short-named fn
// ("fp-ingestion"); LambdaRole("*") is the pattern of all of them.
func (e Env) LambdaRole(fn string) string { return e.Named(fn + "-lambda") }

// LambdaBoundary is the permissions boundary of the environment's Lambda roles.
func (e Env) LambdaBoundary() string { return e.Named("lambda-boundary") }

// LogGroup is a Lambda function's log group.
func LogGroup(function string) string { return "/aws/lambda/" + function }

// SaltAgeCheckRule is the EventBridge rule that invokes the rotator's age check.
func (e Env) SaltAgeCheckRule() string { return e.Named("salt-rotation-age-check") }

// Topic is the SNS topic of one alarm severity; Topic("*") is the pattern.
func (e Env) Topic(severity string) string { return e.Named(severity + "-alerts") }

// Alarm is an alarm of the environment; Alarm("*") is the pattern.
func (e Env) Alarm(what string) string { return e.Named(what) }

// SavedQuery is a saved Logs Insights query of the environment, in its folder.
func (e Env) SavedQuery(what string) string { return e.Project + "/" + e.Environment + "/" + what }

// Dashboard is the CloudWatch dashboard the operators know.
func (e Env) Dashboard() string { return "PhaseMirror-FPCalibration-" + e.Environment }

// State storage and CI identities (the state-bootstrap stack).

// BootstrapStack is the stack holding the state storage of the environment's account.
func (e Env) BootstrapStack() string { return "state-bootstrap-" + e.Environment }

// StateBucket is the S3 bucket of the Terraform state.
func (e Env) StateBucket() string {
	return e.Project + "-tfstate-" + e.AccountID + "-" + e.Region
}

// StateKeyAlias is the alias of the key encrypting the state.
func (e Env) StateKeyAlias() string { return "alias/" + e.Named("terraform-state") }

// StateLockTable is the DynamoDB lock table of the state. It is kept outside
// the Named pattern, which the deploy role may manage tables by.
func (e Env) StateLockTable() string { return "terraform-locks-" + e.Project + "-" + e.Environment }

// StatePrefix is the folder of the environment's state objects under a key prefix.
func (e Env) StatePrefix(keyPrefix string) string { return keyPrefix + "/" + e.Environment + "/" }

// StateObject is the environment's state object under a key prefix.
func (e Env) StateObject(keyPrefix string) string {
	return e.StatePrefix(keyPrefix) + "terraform.tfstate"
}

// DeployRole is the role the deployment workflow assumes.
func (e Env) DeployRole() string { return e.Named("deploy") }

// PlanRole is the read-only role that plans on main assume.
func (e Env) PlanRole() string { return e.Named("plan") }

// LambdaRolePolicy is the name of a Lambda role's inline policy, the sum of its grants.
const LambdaRolePolicy = "least-privilege"

// CIRolePolicy is the name of the deploy and plan roles' inline policy.
func (e Env) CIRolePolicy() string { return "scoped-to-" + e.Environment }

// ServicePrincipal is an AWS service's principal ("lambda" -> lambda.amazonaws.com),
// also the audience GitHub's OIDC tokens carry for STS ("sts").
func ServicePrincipal(service string) string { return service + ".amazonaws.com" }

// AliasPrefix starts every KMS alias name.
const AliasPrefix = "alias/"

// DynamoDBManagedKeyAlias is the AWS managed key of DynamoDB, which the AWS
// provider describes when it refreshes a table encrypted with another key.
const DynamoDBManagedKeyAlias = AliasPrefix + "aws/dynamodb"

// ContributorInsightsService is the service whose service-linked role
// (AWSServiceRoleForDynamoDBCloudWatchContributorInsights) DynamoDB creates
// the first time Contributor Insights is enabled in an account.
const ContributorInsightsService = "contributorinsights.dynamodb.amazonaws.com"

// ContributorInsightsRoleARN is that service-linked role's ARN.
func (e Env) ContributorInsightsRoleARN() string {
	return e.GlobalARN("iam", "role/aws-service-role/"+ContributorInsightsService+"/AWSServiceRoleForDynamoDBCloudWatchContributorInsights")
}

// ARNs.

// ARN is a regional ARN of this account.
func (e Env) ARN(service, resource string) string {
	return strings.Join([]string{"arn:aws", service, e.Region, e.AccountID, resource}, ":")
}

// GlobalARN is an ARN of this account without a region (IAM, dashboards).
func (e Env) GlobalARN(service, resource string) string {
	return strings.Join([]string{"arn:aws", service, "", e.AccountID, resource}, ":")
}

// AccountRoot is the account's root principal: the account as a whole.
func (e Env) AccountRoot() string { return e.GlobalARN("iam", "root") }

// RoleARN is the ARN of a role (or role pattern) of this account.
func (e Env) RoleARN(name string) string { return e.GlobalARN("iam", "role/"+name) }

// PolicyARN is the ARN of a managed policy of this account.
func (e Env) PolicyARN(name string) string { return e.GlobalARN("iam", "policy/"+name) }

// TableARN is a table's ARN; TableIndexesARN covers its indexes.
func (e Env) TableARN(name string) string { return e.ARN("dynamodb", "table/"+name) }

// TableIndexesARN is the pattern of a table's global secondary indexes.
func (e Env) TableIndexesARN(name string) string { return e.TableARN(name) + "/index/*" }

// LogGroupARNs are a log group's ARN and the pattern of its streams.
func (e Env) LogGroupARNs(group string) []string {
	arn := e.ARN("logs", "log-group:"+group)
	return []string{arn, arn + ":*"}
}

// SecretARN is the pattern of a secret's ARN: Secrets Manager appends "-" and
// six random characters to the name.
func (e Env) SecretARN(name string) string { return e.ARN("secretsmanager", "secret:"+name+"-??????") }

// ParameterARN is the ARN of an SSM parameter whose name starts with "/".
func (e Env) ParameterARN(name string) string { return e.ARN("ssm", "parameter"+name) }

// FunctionARN is a Lambda function's ARN.
func (e Env) FunctionARN(name string) string { return e.ARN("lambda", "function:"+name) }

// TopicARN is an SNS topic's ARN.
func (e Env) TopicARN(name string) string { return e.ARN("sns", name) }

// AlarmARN is a CloudWatch alarm's ARN.
func (e Env) AlarmARN(name string) string { return e.ARN("cloudwatch", "alarm:"+name) }

// DashboardARN is a CloudWatch dashboard's ARN (dashboards are global).
func (e Env) DashboardARN(name string) string { return e.GlobalARN("cloudwatch", "dashboard/"+name) }

// RuleARN is an EventBridge rule's ARN on the default bus.
func (e Env) RuleARN(name string) string { return e.ARN("events", "rule/"+name) }

// KeysARN is the pattern of every KMS key of the account in the region.
func (e Env) KeysARN() string { return e.ARN("kms", "key/*") }

// AliasARN is a KMS alias's ARN.
func (e Env) AliasARN(alias string) string { return e.ARN("kms", alias) }

// BucketARN is an S3 bucket's ARN; BucketARN(bucket)+"/"+key names objects.
func BucketARN(bucket string) string { return "arn:aws:s3:::" + bucket }

// ServiceEndpoint is the host a service calls KMS from, for kms:ViaService.
func (e Env) ServiceEndpoint(service string) string {
	return ServicePrincipal(service + "." + e.Region)
}
