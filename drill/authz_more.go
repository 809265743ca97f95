package drill

import "strings"

func ssmChecks(c Call, p params, at Place, look Lookup) ([]Check, error) {
	parameter := func(name string) string {
		if !strings.HasPrefix(name, "/") {
			name = "/" + name
		}
		return at.arn("ssm", "parameter"+name)
	}
	// SSM encrypts and decrypts a SecureString with its key for the caller,
	// naming the parameter in the encryption context.
	secure := func(name, key string, actions ...string) []Check {
		ctx := at.via("ssm")
		ctx["kms:EncryptionContext:PARAMETER_ARN"] = parameter(name)
		return keyUse(look.KeyARN(key), ctx, actions...)
	}
	switch c.Operation {
	case "DescribeParameters":
		return own(c, "*"), nil
	case "PutParameter":
		checks := own(c, parameter(p.str("Name")))
		if p.str("Type") == "SecureString" {
			checks = append(checks, secure(p.str("Name"), p.str("KeyId"), "kms:Encrypt", "kms:GenerateDataKey")...)
		}
		return checks, nil
	case "GetParameter":
		checks := own(c, parameter(p.str("Name")))
		if p["WithDecryption"] == true {
			// The provider reads the nonce, a SecureString under the environment key.
			checks = append(checks, secure(p.str("Name"), look.NonceKey(p.str("Name")), "kms:Decrypt")...)
		}
		return checks, nil
	case "DeleteParameter":
		return own(c, parameter(p.str("Name"))), nil
	case "ListTagsForResource", "AddTagsToResource", "RemoveTagsFromResource":
		return own(c, parameter(p.str("ResourceId"))), nil
	}
	return nil, unknown(c)
}

func secretsChecks(c Call, p params, at Place, look Lookup) ([]Check, error) {
	secret := func(id string) string {
		if strings.HasPrefix(id, "arn:") {
			return id
		}
		return at.arn("secretsmanager", "secret:"+id+"-AbCdEf") // AWS adds six random characters
	}
	switch c.Operation {
	case "CreateSecret":
		checks := own(c, secret(p.str("Name")))
		if key := p.str("KmsKeyId"); key != "" {
			checks = append(checks, keyUse(look.KeyARN(key), at.via("secretsmanager"), "kms:GenerateDataKey", "kms:Decrypt")...)
		}
		return checks, nil
	case "RotateSecret":
		// RotateSecret also needs lambda:InvokeFunction on the rotation function.
		checks := own(c, secret(p.str("SecretId")))
		if fn := p.str("RotationLambdaARN"); fn != "" {
			checks[0].Context = map[string]any{"secretsmanager:RotationLambdaARN": fn}
			checks = append(checks, Check{Action: "lambda:InvokeFunction", Resource: fn})
		}
		return checks, nil
	case "DeleteSecret":
		checks := own(c, secret(p.str("SecretId")))
		if force, ok := p["ForceDeleteWithoutRecovery"].(bool); ok {
			checks[0].Context = map[string]any{"secretsmanager:ForceDeleteWithoutRecovery": force}
		}
		return checks, nil
	case "DescribeSecret", "GetResourcePolicy", "UpdateSecret", "TagResource", "UntagResource", "CancelRotateSecret":
		return own(c, secret(p.str("SecretId"))), nil
	}
	return nil, unknown(c)
}

func snsChecks(c Call, p params, at Place, _ Lookup) ([]Check, error) {
	switch c.Operation {
	case "CreateTopic":
		return own(c, at.arn("sns", p.str("Name"))), nil
	case "Subscribe":
		checks := own(c, p.str("TopicArn"))
		checks[0].Context = map[string]any{"sns:Protocol": p.str("Protocol"), "sns:Endpoint": p.str("Endpoint")}
		return checks, nil
	case "GetTopicAttributes", "SetTopicAttributes", "DeleteTopic", "ListSubscriptionsByTopic":
		return own(c, p.str("TopicArn")), nil
	case "GetSubscriptionAttributes", "SetSubscriptionAttributes", "Unsubscribe":
		// Authorized on the subscription's topic (IAM's resource type "topic").
		sub := p.str("SubscriptionArn")
		return own(c, sub[:max(strings.LastIndex(sub, ":"), 0)]), nil
	case "ListTagsForResource", "TagResource", "UntagResource":
		return own(c, p.str("ResourceArn")), nil
	}
	return nil, unknown(c)
}

func cloudwatchChecks(c Call, p params, at Place, _ Lookup) ([]Check, error) {
	alarm := func(name string) string { return at.arn("cloudwatch", "alarm:"+name) }
	dashboard := func(name string) string { return at.global("cloudwatch", "dashboard/"+name) }
	var resources []string
	switch c.Operation {
	case "PutMetricAlarm":
		checks := own(c, alarm(p.str("AlarmName")))
		if actions := p.members("AlarmActions"); len(actions) > 0 {
			values := []any{}
			for _, a := range actions {
				values = append(values, a)
			}
			checks[0].Context = map[string]any{"cloudwatch:AlarmActions": values}
		}
		return checks, nil
	case "DescribeAlarms", "DeleteAlarms":
		for _, n := range p.members("AlarmNames") {
			resources = append(resources, alarm(n))
		}
	case "PutDashboard", "GetDashboard":
		resources = []string{dashboard(p.str("DashboardName"))}
	case "DeleteDashboards":
		for _, n := range p.members("DashboardNames") {
			resources = append(resources, dashboard(n))
		}
	case "ListTagsForResource", "TagResource", "UntagResource":
		resources = []string{p.str("ResourceARN")}
	default:
		return nil, unknown(c)
	}
	if len(resources) == 0 {
		return nil, unknown(c)
	}
	return own(c, resources...), nil
}

func logsChecks(c Call, p params, at Place, _ Lookup) ([]Check, error) {
	group := func(name string) string { return at.arn("logs", "log-group:"+name) }
	switch c.Operation {
	case "DescribeLogGroups", "PutQueryDefinition", "DescribeQueryDefinitions", "DeleteQueryDefinition":
		return own(c, "*"), nil
	case "CreateLogGroup", "DeleteLogGroup", "PutRetentionPolicy", "DeleteRetentionPolicy", "AssociateKmsKey", "DisassociateKmsKey",
		"ListTagsLogGroup", "TagLogGroup", "UntagLogGroup":
		return own(c, group(p.str("logGroupName"))), nil
	case "ListTagsForResource", "TagResource", "UntagResource":
		return own(c, strings.TrimSuffix(p.str("resourceArn"), ":*")), nil
	}
	return nil, unknown(c)
}

func eventsChecks(c Call, p params, at Place, _ Lookup) ([]Check, error) {
	rule := func(name string) string { return at.arn("events", "rule/"+name) }
	switch c.Operation {
	case "PutRule", "DescribeRule", "DeleteRule":
		return own(c, rule(p.str("Name"))), nil
	case "ListTargetsByRule", "RemoveTargets":
		return own(c, rule(p.str("Rule"))), nil
	case "PutTargets":
		arns := []any{}
		targets, _ := p["Targets"].([]any)
		for _, t := range targets {
			arn, _ := t.(map[string]any)["Arn"].(string)
			arns = append(arns, arn)
		}
		return []Check{{Action: "events:PutTargets", Resource: rule(p.str("Rule")), Context: map[string]any{"events:TargetArn": arns}}}, nil
	case "ListTagsForResource", "TagResource", "UntagResource":
		return own(c, p.str("ResourceARN")), nil
	}
	return nil, unknown(c)
}
