// Package cmk is the customer-managed KMS key that encrypts every resource
// of an environment, and the key policy that grows with each grant.
package cmk

import (
	"errors"
	"fmt"
	"slices"

	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmsalias"
	"github.com/cdktf/cdktf-provider-aws-go/aws/v19/kmskey"
	"github.com/hashicorp/terraform-cdk-go/cdktf"

	"github.com/phase-mirror/fp-calibration-infra/constructs/iamdoc"
	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// Props configures a customer-managed key.
type Props struct {
	// AliasName is the key's alias, e.g. "alias/phase-mirror-secrets-staging". Required.
	AliasName string
	// Description says what the key protects. Required.
	Description string
	// Names places the key: its AccountID owns it (the root administers it)
	// and its Region is where it lives, for kms:ViaService conditions. Required.
	Names names.Env
	// DeletionWindowDays is the waiting period before deletion (default 30).
	DeletionWindowDays int
	// Destroyable leaves lifecycle.prevent_destroy off (default: Terraform
	// refuses to destroy the key).
	Destroyable bool
	// AccountUseViaServices lists the services (e.g. "dynamodb", "ssm") through
	// which principals of the account that IAM authorises may use the key: what
	// Terraform itself needs to create encrypted tables and parameters, and
	// operators to set the redaction nonce. Nothing may use the key directly.
	AccountUseViaServices []string
}

// AdminActions are what the account's administrators (IAM principals the
// account root delegates to) may do to the key: manage it, never use it. The
// actions are named one by one: a wildcard such as kms:Create* would include
// kms:CreateGrant, through which an administrator could grant itself
// decryption. (PutKeyPolicy stays, so the key cannot be locked out; a policy
// change is visible in CloudTrail and in the next plan.)
var AdminActions = []string{
	"kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias", "kms:DescribeKey", "kms:EnableKey", "kms:DisableKey",
	"kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus",
	"kms:ListAliases", "kms:ListGrants", "kms:ListKeyPolicies", "kms:ListKeyRotations", "kms:ListResourceTags",
	"kms:PutKeyPolicy", "kms:UpdateKeyDescription", "kms:RevokeGrant", "kms:TagResource", "kms:UntagResource",
	"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
}

// Key action sets used by grants.
var (
	DecryptActions = []string{"kms:Decrypt"}
	// SecretWriterActions are what rotating a Secrets Manager secret needs.
	SecretWriterActions = []string{"kms:Decrypt", "kms:GenerateDataKey"}
	// LogsActions are what CloudWatch Logs needs to encrypt a log group.
	LogsActions = []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"}
	// ServiceUseActions are what an AWS service needs to encrypt resources for its callers.
	ServiceUseActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"}
)

// Key is a customer-managed KMS key with automatic rotation, an alias and an
// explicit key policy that grows with each grant.
type Key struct {
	constructs.Construct
	props  Props
	key    kmskey.KmsKey
	arn    *string // the key's ARN, one token asked of jsii once (every encrypted resource names it)
	alias  kmsalias.KmsAlias
	policy *iamdoc.Document
	// granted holds the actions granted per statement id, so a grantee granted
	// several uses through one service (read one table, write another) gets
	// one statement with their union.
	granted map[string][]string
}

// New creates the key, its alias and its base policy.
func New(scope constructs.Construct, id string, props Props) (*Key, error) {
	switch {
	case props.AliasName == "":
		return nil, errors.New("cmk.Props.AliasName is required")
	case props.Description == "":
		return nil, errors.New("cmk.Props.Description is required")
	case props.Names.AccountID == "":
		return nil, errors.New("cmk.Props.Names.AccountID is required")
	case props.Names.Region == "":
		return nil, errors.New("cmk.Props.Names.Region is required")
	}
	if props.DeletionWindowDays == 0 {
		props.DeletionWindowDays = 30
	}
	if props.DeletionWindowDays < 7 || props.DeletionWindowDays > 30 {
		return nil, fmt.Errorf("cmk.Props.DeletionWindowDays is %d; use 7 to 30", props.DeletionWindowDays)
	}
	k := &Key{props: props, granted: map[string][]string{}}
	constructs.NewConstruct_Override(k, scope, jsii.String(id))

	k.policy = iamdoc.NewDocument(k, "policy", iamdoc.DocumentProps{})
	k.AddToResourcePolicy(iamdoc.Statement{
		Sid:        "KeyAdministrationByAccount",
		Principals: []iamdoc.Principal{{Type: "AWS", Identifiers: []string{props.Names.AccountRoot()}}},
		Actions:    AdminActions,
		Resources:  []string{"*"},
	})
	if len(props.AccountUseViaServices) > 0 {
		endpoints := make([]string, 0, len(props.AccountUseViaServices))
		for _, s := range props.AccountUseViaServices {
			endpoints = append(endpoints, props.Names.ServiceEndpoint(s))
		}
		k.AddToResourcePolicy(iamdoc.Statement{
			Sid:        "AccountUseOnlyThroughServices",
			Principals: []iamdoc.Principal{{Type: "AWS", Identifiers: []string{props.Names.AccountRoot()}}},
			Actions:    ServiceUseActions,
			Resources:  []string{"*"},
			Conditions: []iamdoc.Condition{
				{Test: "StringEquals", Variable: "kms:ViaService", Values: endpoints},
				{Test: "StringEquals", Variable: "kms:CallerAccount", Values: []string{props.Names.AccountID}},
			},
		})
	}

	var lifecycle *cdktf.TerraformResourceLifecycle
	if !props.Destroyable {
		lifecycle = &cdktf.TerraformResourceLifecycle{PreventDestroy: jsii.Bool(true)}
	}
	k.key = kmskey.NewKmsKey(k, jsii.String("key"), &kmskey.KmsKeyConfig{
		Description:          jsii.String(props.Description),
		EnableKeyRotation:    jsii.Bool(true),
		DeletionWindowInDays: jsii.Number(float64(props.DeletionWindowDays)),
		Policy:               k.policy.JSON(),
		Lifecycle:            lifecycle,
	})
	k.arn = k.key.Arn()
	k.alias = kmsalias.NewKmsAlias(k, jsii.String("alias"), &kmsalias.KmsAliasConfig{
		Name:        jsii.String(props.AliasName),
		TargetKeyId: k.key.KeyId(),
	})
	return k, nil
}

// Arn is the key's ARN.
func (k *Key) Arn() *string { return k.arn }

// AliasName is the key's alias name.
func (k *Key) AliasName() *string { return k.alias.Name() }

// Grant lets grantee use the key for actions, only through the named
// services (at least one: direct use of the key is never granted). It writes
// the same permission on both sides, the grantee's identity policy and the
// key policy, each conditioned on kms:ViaService; grants to one grantee
// through the same services merge into one statement.
func (k *Key) Grant(g iamdoc.Grantee, actions []string, viaService string, more ...string) {
	viaServices := append([]string{viaService}, more...)
	endpoints := make([]string, 0, len(viaServices))
	for _, s := range viaServices {
		endpoints = append(endpoints, k.props.Names.ServiceEndpoint(s))
	}
	sid := fmt.Sprintf("%sUsesKeyVia%s", g.GranteeName(), joinTitle(viaServices))
	for _, a := range actions {
		if !slices.Contains(k.granted[sid], a) {
			k.granted[sid] = append(k.granted[sid], a)
		}
	}
	via := iamdoc.Condition{Test: "StringEquals", Variable: "kms:ViaService", Values: endpoints}
	g.AddToPrincipalPolicy(iamdoc.Statement{
		Sid: sid, Actions: k.granted[sid], Resources: []string{*k.Arn()}, Conditions: []iamdoc.Condition{via},
	})
	k.AddToResourcePolicy(iamdoc.Statement{
		Sid:        sid,
		Principals: []iamdoc.Principal{{Type: "AWS", Identifiers: []string{g.PrincipalArn()}}},
		Actions:    k.granted[sid],
		Resources:  []string{"*"},
		Conditions: []iamdoc.Condition{via, {Test: "StringEquals", Variable: "kms:CallerAccount", Values: []string{k.props.Names.AccountID}}},
	})
}

// AddToResourcePolicy adds a statement to the key policy. A statement whose
// Sid is already there is merged into it (the union of actions, principals'
// identifiers and the values of the same condition), so a permission that
// grows with each caller (one more log group, one more role) stays one
// statement and a second call never duplicates a Sid.
func (k *Key) AddToResourcePolicy(st iamdoc.Statement) {
	if have, ok := k.policy.Get(st.Sid); ok {
		st = iamdoc.Merge(have, st)
	}
	k.policy.Put(st)
}

func joinTitle(words []string) string {
	out := ""
	for _, w := range words {
		if w == "" {
			continue
		}
		out += string(w[0]-'a'+'A') + w[1:]
	}
	return out
}
