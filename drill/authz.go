package drill

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Check is one authorization AWS makes for a call: the action on one
// resource, with the request's context keys.
type Check struct {
	Action   string
	Resource string
	Context  map[string]any
}

// Place is where the calls are made (ARNs of the account and region).
type Place struct{ Region, AccountID string }

func (p Place) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + p.Region + ":" + p.AccountID + ":" + resource
}

func (p Place) global(service, resource string) string {
	return "arn:aws:" + service + "::" + p.AccountID + ":" + resource
}

// via is the context of a KMS call a service makes on the caller's behalf.
func (p Place) via(service string) map[string]any {
	return map[string]any{"kms:ViaService": service + "." + p.Region + ".amazonaws.com", "kms:CallerAccount": p.AccountID}
}

// Lookup resolves what a request names but AWS authorizes by ARN or by a
// property of the resource.
type Lookup interface {
	// KeyARN is the ARN of the key a key id, key ARN or alias names.
	KeyARN(id string) string
	// RoleBoundary is the ARN of a role's permissions boundary ("" for none).
	RoleBoundary(role string) string
	// StateKeyARN is the key the state bucket encrypts objects with.
	StateKeyARN() string
	// NonceKey is the key a SecureString parameter is encrypted with.
	NonceKey(parameter string) string
}

// Checks are the authorizations AWS makes for the call: its own action on
// the resources it names, and the actions AWS also authorizes for the caller
// when the call runs (a key used through a service, a role passed). An
// operation the mapping does not know is an error: the caller fails.
func (c Call) Checks(at Place, look Lookup) ([]Check, error) {
	handler, ok := handlers[c.Service]
	if !ok {
		return nil, fmt.Errorf("%s: no authorization mapping for service %q (drill/authz.go)", c, c.Service)
	}
	checks, err := handler(c, c.params(), at, look)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (drill/authz.go)", c, err)
	}
	for i := range checks {
		if checks[i].Context == nil {
			checks[i].Context = map[string]any{}
		}
		checks[i].Context["aws:SecureTransport"] = true
	}
	return checks, nil
}

type handler func(c Call, p params, at Place, look Lookup) ([]Check, error)

var handlers = map[string]handler{
	"dynamodb": dynamodbChecks, "kms": kmsChecks, "iam": iamChecks, "lambda": lambdaChecks, "s3": s3Checks,
	"ssm": ssmChecks, "secretsmanager": secretsChecks, "sns": snsChecks, "monitoring": cloudwatchChecks,
	"logs": logsChecks, "events": eventsChecks, "sts": stsChecks,
}

// own is the call's own action on resources.
func own(c Call, resources ...string) []Check {
	prefix := c.Service
	if p, ok := iamPrefix[prefix]; ok {
		prefix = p
	}
	out := []Check{}
	for _, r := range resources {
		out = append(out, Check{Action: prefix + ":" + c.Operation, Resource: r})
	}
	return out
}

// keyUse is the caller's use of a key through a service, for each action.
func keyUse(keyARN string, ctx map[string]any, actions ...string) []Check {
	out := []Check{}
	for _, a := range actions {
		out = append(out, Check{Action: a, Resource: keyARN, Context: maps.Clone(ctx)})
	}
	return out
}

// tagContext is the context of a request that sets tags.
func tagContext(tags map[string]string) map[string]any {
	if len(tags) == 0 {
		return nil
	}
	ctx := map[string]any{}
	keys := []any{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		ctx["aws:RequestTag/"+k] = tags[k]
		keys = append(keys, k)
	}
	ctx["aws:TagKeys"] = keys
	return ctx
}

func unknown(c Call) error { return fmt.Errorf("unknown operation %s", c.Operation) }

func stsChecks(c Call, _ params, _ Place, _ Lookup) ([]Check, error) {
	if c.Operation == "GetCallerIdentity" {
		return nil, nil // needs no permission
	}
	return nil, unknown(c)
}

// name returns the last path segment after prefix ("/2015-03-31/functions/NAME/...").
func segment(path, prefix string) string {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, "/")
	return name
}
