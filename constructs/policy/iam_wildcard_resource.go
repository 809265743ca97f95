package policy

import "fmt"

// IAMNoUnconditionedWildcardResource: an identity policy may allow on "*" only
// under a condition that scopes it (e.g. cloudwatch:namespace).
var IAMNoUnconditionedWildcardResource = Rule{
	Name: "IAMNoUnconditionedWildcardResource", Control: "IAM.21",
	Fix: "name the resources, or add a condition that scopes the request",
	Check: func(r Resource, s *Stack) (Outcome, string) {
		statements, ok := identityStatements(r, s)
		if !ok {
			return NotApplicable, ""
		}
		for _, st := range statements {
			if !allows(st) {
				continue
			}
			conditions, _ := st["condition"].([]any)
			for _, res := range stringList(st["resources"]) {
				if res == "*" && len(conditions) == 0 {
					return NonCompliant, fmt.Sprintf("statement %v allows %v on every resource without a condition", st["sid"], stringList(st["actions"]))
				}
			}
		}
		return Compliant, ""
	},
}
