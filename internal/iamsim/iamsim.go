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

// Run judges the simulations, one result each, in one Node process.
func Run(sims []Simulation) ([]Result, error) {
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
