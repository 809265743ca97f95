package drill

import (
	"strings"

	"github.com/phase-mirror/fp-calibration-infra/constructs/names"
)

// tableOps are the DynamoDB operations the stacks' deploys and plans make,
// each authorized on the table it names (TableName, or ResourceArn for tags).
var tableOps = []string{"CreateTable", "UpdateTable", "DeleteTable", "DescribeTable", "DescribeContinuousBackups", "UpdateContinuousBackups",
	"DescribeTimeToLive", "UpdateTimeToLive", "ListTagsOfResource", "TagResource", "UntagResource", "DescribeContributorInsights",
	"UpdateContributorInsights", "DescribeKinesisStreamingDestination", "GetItem", "PutItem", "DeleteItem"}

func dynamodbChecks(c Call, p params, at Place, look Lookup) ([]Check, error) {
	if !contains(tableOps, c.Operation) {
		return nil, unknown(c)
	}
	table := p.str("ResourceArn")
	if name := p.str("TableName"); name != "" {
		table = at.arn("dynamodb", "table/"+name)
	}
	if table == "" {
		return nil, unknown(c)
	}
	checks := own(c, table)
	if contains([]string{"GetItem", "PutItem", "DeleteItem"}, c.Operation) {
		// The only items a CI role touches are the state lock table's,
		// encrypted with the state key: DynamoDB decrypts it for the caller.
		checks = append(checks, keyUse(look.StateKeyARN(), at.via("dynamodb"), "kms:Decrypt")...)
	}
	if c.Operation == "UpdateContributorInsights" {
		// The account's first enabling creates DynamoDB's service-linked role
		// with the caller's permission.
		checks = append(checks, Check{Action: "iam:CreateServiceLinkedRole",
			Resource: names.Env{AccountID: at.AccountID}.ContributorInsightsRoleARN(),
			Context:  map[string]any{"iam:AWSServiceName": names.ContributorInsightsService}})
	}
	// A table encrypted with a customer managed key: the caller's key use
	// through DynamoDB (AWS KMS Developer Guide, "How Amazon DynamoDB uses AWS KMS").
	if key := p.str("SSESpecification.KMSMasterKeyId"); key != "" {
		checks = append(checks, keyUse(look.KeyARN(key), at.via("dynamodb"),
			"kms:DescribeKey", "kms:CreateGrant", "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")...)
	}
	return checks, nil
}

func kmsChecks(c Call, p params, at Place, look Lookup) ([]Check, error) {
	ctx := map[string]any{"kms:CallerAccount": at.AccountID}
	with := func(checks []Check) []Check {
		for i := range checks {
			if checks[i].Context == nil {
				checks[i].Context = map[string]any{}
			}
			for k, v := range ctx {
				checks[i].Context[k] = v
			}
		}
		return checks
	}
	switch c.Operation {
	case "CreateKey":
		// Tagging at creation is also kms:TagResource (AWS KMS Developer Guide).
		tags := tagContext(p.tags())
		create := tagContext(p.tags())
		if create == nil {
			create = map[string]any{}
		}
		for param, key := range map[string]string{"BypassPolicyLockoutSafetyCheck": "kms:BypassPolicyLockoutSafetyCheck",
			"MultiRegion": "kms:MultiRegion", "Origin": "kms:KeyOrigin", "KeySpec": "kms:KeySpec", "KeyUsage": "kms:KeyUsage"} {
			if v, ok := p[param]; ok {
				create[key] = v
			}
		}
		checks := []Check{{Action: "kms:CreateKey", Resource: "*", Context: create}}
		if tags != nil {
			checks = append(checks, Check{Action: "kms:TagResource", Resource: "*", Context: tagContext(p.tags())})
		}
		return with(checks), nil
	case "ListAliases":
		return with(own(c, "*")), nil
	case "CreateAlias", "UpdateAlias":
		alias := at.arn("kms", p.str("AliasName"))
		return with(append(own(c, alias), own(c, look.KeyARN(p.str("TargetKeyId")))...)), nil
	case "DeleteAlias":
		alias := p.str("AliasName")
		return with(append(own(c, at.arn("kms", alias)), own(c, look.KeyARN(alias))...)), nil
	case "TagResource":
		checks := own(c, look.KeyARN(p.str("KeyId")))
		checks[0].Context = tagContext(p.tags())
		return with(checks), nil
	case "DescribeKey":
		checks := own(c, look.KeyARN(p.str("KeyId")))
		if id := p.str("KeyId"); strings.HasPrefix(id, names.AliasPrefix) {
			ctx["kms:RequestAlias"] = id
		}
		return with(checks), nil
	case "GetKeyPolicy", "GetKeyRotationStatus", "ListResourceTags", "PutKeyPolicy", "EnableKeyRotation",
		"DisableKeyRotation", "UpdateKeyDescription", "ScheduleKeyDeletion", "UntagResource", "ListKeyRotations":
		return with(own(c, look.KeyARN(p.str("KeyId")))), nil
	}
	return nil, unknown(c)
}

// iamRoleOps are authorized on the role named RoleName.
var iamRoleOps = []string{"GetRole", "GetRolePolicy", "PutRolePolicy", "DeleteRolePolicy", "ListRolePolicies", "ListAttachedRolePolicies",
	"ListInstanceProfilesForRole", "ListRoleTags"}

func iamChecks(c Call, p params, at Place, look Lookup) ([]Check, error) {
	switch {
	case contains(iamRoleOps, c.Operation):
		role := p.str("RoleName")
		checks := own(c, at.global("iam", "role/"+role))
		if b := look.RoleBoundary(role); b != "" {
			checks[0].Context = map[string]any{"iam:PermissionsBoundary": b}
		}
		return checks, nil
	case c.Operation == "ListOpenIDConnectProviders":
		return own(c, "*"), nil
	}
	return nil, unknown(c)
}

// lambdaFunctionOps are authorized on the function in the path.
var lambdaFunctionOps = []string{"GetFunction", "GetFunctionConfiguration", "DeleteFunction", "ListVersionsByFunction", "UpdateFunctionConfiguration",
	"UpdateFunctionCode", "AddPermission", "GetPolicy", "RemovePermission", "GetFunctionCodeSigningConfig"}

func lambdaChecks(c Call, p params, at Place, _ Lookup) ([]Check, error) {
	function := func(name string) string {
		if strings.HasPrefix(name, "arn:") {
			return name
		}
		return at.arn("lambda", "function:"+name)
	}
	passRole := func(role string) Check {
		return Check{Action: "iam:PassRole", Resource: role, Context: map[string]any{"iam:PassedToService": "lambda.amazonaws.com"}}
	}
	switch {
	case c.Operation == "CreateFunction":
		return append(own(c, function(p.str("FunctionName"))), passRole(p.str("Role"))), nil
	case c.Operation == "ListTags" || c.Operation == "TagResource" || c.Operation == "UntagResource":
		return own(c, strings.TrimPrefix(c.Path, "/2017-03-31/tags/")), nil
	case contains(lambdaFunctionOps, c.Operation):
		name := segment(c.Path, "/2015-03-31/functions/")
		if name == "" {
			name = segment(c.Path, "/2020-06-30/functions/")
		}
		checks := own(c, function(name))
		switch c.Operation {
		case "AddPermission":
			checks[0].Context = map[string]any{"lambda:Principal": p.str("Principal")}
		case "UpdateFunctionConfiguration":
			if role := p.str("Role"); role != "" {
				checks = append(checks, passRole(role))
			}
		}
		return checks, nil
	}
	return nil, unknown(c)
}

func s3Checks(c Call, p params, _ Place, look Lookup) ([]Check, error) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(c.Path, "/"), "/")
	object := "arn:aws:s3:::" + bucket + "/" + key
	// The state bucket encrypts with its key (SSE-KMS): S3 uses it for the caller.
	via := map[string]any{"kms:ViaService": "s3." + regionOf(look.StateKeyARN()) + ".amazonaws.com", "kms:CallerAccount": accountOf(look.StateKeyARN())}
	switch c.Operation {
	case "ListObjects":
		return []Check{{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + bucket, Context: map[string]any{"s3:prefix": p.str("prefix")}}}, nil
	case "GetObject", "HeadObject":
		return append([]Check{{Action: "s3:GetObject", Resource: object}}, keyUse(look.StateKeyARN(), via, "kms:Decrypt")...), nil
	case "PutObject":
		return append(own(c, object), keyUse(look.StateKeyARN(), via, "kms:GenerateDataKey")...), nil
	case "DeleteObject":
		return own(c, object), nil
	}
	return nil, unknown(c)
}

func regionOf(arn string) string  { return field(arn, 3) }
func accountOf(arn string) string { return field(arn, 4) }
func field(arn string, i int) string {
	parts := strings.Split(arn, ":")
	if len(parts) <= i {
		return ""
	}
	return parts[i]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
