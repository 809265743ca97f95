package service

import (
	"github.com/aws/jsii-runtime-go"

	"github.com/phase-mirror/fp-calibration-infra/constructs/access"
	"github.com/phase-mirror/fp-calibration-infra/constructs/cmk"
	"github.com/phase-mirror/fp-calibration-infra/constructs/function"
	"github.com/phase-mirror/fp-calibration-infra/constructs/salt"
	"github.com/phase-mirror/fp-calibration-infra/constructs/stackbase"
)

// Functions are the identities (role, log group, timeout) of the three Lambda functions.
type Functions struct {
	FPIngestion, CalibrationQuery, SaltRotator *function.Identity
}

// All lists the functions in a stable order.
func (f Functions) All() []*function.Identity {
	return []*function.Identity{f.FPIngestion, f.CalibrationQuery, f.SaltRotator}
}

// functions creates the identity of each function: its role's inline policy
// (the role, its trust and the boundary are the bootstrap's) and its log group.
func (s *Stack) functions(key *cmk.Key) (Functions, error) {
	fns, timeouts := s.Env.Functions, s.Env.FunctionTimeouts
	var out Functions
	for _, f := range []struct {
		id, short, name, grantee string
		timeout                  int
		dest                     **function.Identity
	}{
		{"fp_ingestion", access.FPIngestion, fns.FPIngestion, "FpIngestion", timeouts.FPIngestion, &out.FPIngestion},
		{"calibration_query", access.CalibrationQuery, fns.CalibrationQuery, "CalibrationQuery", timeouts.CalibrationQuery, &out.CalibrationQuery},
		{"salt_rotator", access.SaltRotator, fns.SaltRotator, "SaltRotator", salt.RotatorTimeoutSeconds, &out.SaltRotator},
	} {
		identity, err := function.New(s.TerraformStack, f.id, function.Props{
			Names: s.Names, Short: f.short, FunctionName: f.name, GranteeName: f.grantee,
			TimeoutSeconds: f.timeout, RetentionDays: s.Env.LogRetentionDays, Key: key,
		})
		if err != nil {
			return Functions{}, err
		}
		// Before the identities, the inline policies and log groups sat at the stack's root.
		identity.MovedFrom(f.id+"_role", f.id+"_logs")
		*f.dest = identity
	}
	return out, nil
}

// forgetBootstrapOwned writes removed blocks (destroy = false) for what an
// earlier version of this stack created and the bootstrap now owns: the
// Lambda roles (at the address they had inside the function identity, and at
// the stack's root before that) and their permissions boundary. A plan over
// such a state drops them from this state and leaves them in the account for
// the bootstrap to import (settings: adopt.lambda_roles, adopt.lambda_boundary).
func (s *Stack) forgetBootstrapOwned() {
	addresses := []string{"aws_iam_policy." + stackbase.LogicalID("lambda_boundary", "policy")}
	for _, id := range []string{"fp_ingestion", "calibration_query", "salt_rotator"} {
		addresses = append(addresses,
			"aws_iam_role."+stackbase.LogicalID(id, "role", "role"), "aws_iam_role."+stackbase.LogicalID(id+"_role", "role"))
	}
	removed := make([]map[string]any, 0, len(addresses))
	for _, a := range addresses {
		removed = append(removed, map[string]any{"from": a, "lifecycle": map[string]any{"destroy": false}})
	}
	s.TerraformStack.AddOverride(jsii.String("removed"), removed)
}
