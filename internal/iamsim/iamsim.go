// Package iamsim runs IAM policy simulations with @cloud-copilot/iam-simulate
// (an AGPL-3.0 dev dependency installed by `npm ci`, used by the tests only,
// never shipped): the stack tests judge the synthesized policies with it, and
// the deploy drill every call a deploy and a plan made.
package iamsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Simulation is one request and the policies that judge it (the simulator's
// Simulation shape).
type Simulation struct {
	Request struct {
		Principal string `json:"principal"`
		Action    string `json:"action"`
		Resource  struct {
			Resource  string `json:"resource"`
			AccountID string `json:"accountId"`
		} `json:"resource"`
		ContextVariables map[string]any `json:"contextVariables"`
	} `json:"request"`
	IdentityPolicies           []map[string]any `json:"identityPolicies"`
	PermissionBoundaryPolicies []map[string]any `json:"permissionBoundaryPolicies"`
	ServiceControlPolicies     []any            `json:"serviceControlPolicies"`
	ResourceControlPolicies    []any            `json:"resourceControlPolicies"`
	ResourcePolicy             map[string]any   `json:"resourcePolicy,omitempty"`
}

// Result is a simulation's verdict: "Allowed", "ExplicitlyDenied",
// "ImplicitlyDenied", or "Error" with Errors.
type Result struct {
	Result string          `json:"result"`
	Errors json.RawMessage `json:"errors"`
}

// New is a simulation of principal calling action on resource in account,
// judged by the identity policy (and the resource policy, when not nil).
func New(principal, action, resource, account string, context map[string]any, identity, resourcePolicy map[string]any) Simulation {
	var s Simulation
	s.Request.Principal, s.Request.Action = principal, action
	s.Request.Resource.Resource, s.Request.Resource.AccountID = resource, account
	s.Request.ContextVariables = map[string]any{}
	for k, v := range context {
		s.Request.ContextVariables[k] = v
	}
	s.IdentityPolicies = []map[string]any{}
	if identity != nil {
		s.IdentityPolicies = append(s.IdentityPolicies, map[string]any{"name": "inline", "policy": identity})
	}
	s.PermissionBoundaryPolicies, s.ServiceControlPolicies, s.ResourceControlPolicies = []map[string]any{}, []any{}, []any{}
	s.ResourcePolicy = resourcePolicy
	return s
}

// contextValue is a request context value as the simulator compares it: a
// string, or a list of strings (a JSON true would never equal "true").
func contextValue(v any) any {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case []string:
		out := make([]any, 0, len(x))
		for _, e := range x {
			out = append(out, e)
		}
		return out
	}
	return fmt.Sprint(v)
}

// Run judges the simulations, one result each, in one Node process. The
// conditions on kms:EncryptionContext:<key>, which the simulator drops, are
// decided first (withEncryptionContext).
func Run(sims []Simulation) ([]Result, error) {
	for i, s := range sims {
		for k, v := range s.Request.ContextVariables {
			s.Request.ContextVariables[k] = contextValue(v)
		}
		var err error
		if sims[i].ResourcePolicy, err = withEncryptionContext(s.ResourcePolicy, s.Request.ContextVariables); err != nil {
			return nil, err
		}
		for j, p := range s.IdentityPolicies {
			doc, _ := p["policy"].(map[string]any)
			if doc, err = withEncryptionContext(doc, s.Request.ContextVariables); err != nil {
				return nil, err
			}
			sims[i].IdentityPolicies[j] = map[string]any{"name": p["name"], "policy": doc}
		}
	}
	in, err := json.Marshal(sims)
	if err != nil {
		return nil, err
	}
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("node", filepath.Join(filepath.Dir(self), "simulate.mjs"))
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("iam simulator: %v\n%s(run `npm ci` to install @cloud-copilot/iam-simulate)", err, stderr.String())
	}
	var results []Result
	if err := json.Unmarshal(out, &results); err != nil || len(results) != len(sims) {
		return nil, fmt.Errorf("iam simulator output: %v (%d results for %d simulations)", err, len(results), len(sims))
	}
	return results, nil
}

// encryptionContext is the family of KMS condition keys the simulator drops
// (it reports them as ignored context keys): kms:EncryptionContext:<key>.
const encryptionContext = "kms:encryptioncontext:"

// withEncryptionContext decides, in a copy of policy, the StringEquals (and
// exact ArnEquals) conditions on kms:EncryptionContext:<key> that the
// simulator cannot: a
// statement whose condition the request's context meets loses it; one whose
// condition it does not meet is dropped (it cannot apply). Any other
// operator on that family is an error: nothing is judged on a guess.
func withEncryptionContext(policy map[string]any, context map[string]any) (map[string]any, error) {
	if policy == nil {
		return nil, nil
	}
	statements, _ := policy["Statement"].([]any)
	kept := []any{}
	for _, raw := range statements {
		st, _ := raw.(map[string]any)
		applies, copied, err := decideEncryptionContext(st, context)
		if err != nil {
			return nil, err
		}
		if applies {
			kept = append(kept, copied)
		}
	}
	out := map[string]any{}
	for k, v := range policy {
		out[k] = v
	}
	out["Statement"] = kept
	return out, nil
}

func decideEncryptionContext(st map[string]any, context map[string]any) (bool, map[string]any, error) {
	conds, _ := st["Condition"].(map[string]any)
	copied := map[string]any{}
	for k, v := range st {
		copied[k] = v
	}
	newConds := map[string]any{}
	for op, raw := range conds {
		keys, _ := raw.(map[string]any)
		rest := map[string]any{}
		for key, want := range keys {
			if !strings.HasPrefix(strings.ToLower(key), encryptionContext) {
				rest[key] = want
				continue
			}
			if op != "StringEquals" && op != "ArnEquals" {
				return false, nil, fmt.Errorf("iamsim: %s on %s is not evaluated (only StringEquals and ArnEquals)", op, key)
			}
			if !contextHas(context, key, want) {
				return false, nil, nil
			}
		}
		if len(rest) > 0 {
			newConds[op] = rest
		}
	}
	if len(newConds) > 0 {
		copied["Condition"] = newConds
	} else {
		delete(copied, "Condition")
	}
	return true, copied, nil
}

// contextHas: the context's value of key (matched without case, as IAM
// matches key names) is one of want's values.
func contextHas(context map[string]any, key string, want any) bool {
	for k, v := range context {
		if !strings.EqualFold(k, key) {
			continue
		}
		values, ok := want.([]any)
		if !ok {
			values = []any{want}
		}
		for _, w := range values {
			if fmt.Sprint(w) == fmt.Sprint(v) {
				return true
			}
		}
	}
	return false
}
