package policy

import (
	"fmt"
	"strings"
)

// IAMNoWildcardAction: identity policies allow no "*" and no "service:*".
var IAMNoWildcardAction = Rule{
	Name: "IAMNoWildcardAction", Control: "IAM.1, IAM.21",
	Fix: "list the actions the role needs (grants in the constructs do)",
	Check: func(r Resource, s *Stack) (Outcome, string) {
		statements, ok := identityStatements(r, s)
		if !ok {
			return NotApplicable, ""
		}
		for _, st := range statements {
			if !allows(st) {
				continue
			}
			for _, a := range stringList(st["actions"]) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					return NonCompliant, fmt.Sprintf("statement %v allows %q", st["sid"], a)
				}
			}
		}
		return Compliant, ""
	},
}
