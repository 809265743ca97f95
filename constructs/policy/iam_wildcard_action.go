package policy

import (
	"fmt"
	"strings"
)

// IAMNoWildcardAction: identity policies allow no "*" and no "service:*".
var IAMNoWildcardAction = Rule{
	Name: "IAMNoWildcardAction", Control: "FSBP IAM.1, IAM.21",
	Fix: "list the actions the role needs (grants in the constructs do)",
	Check: func(r Resource, s *Stack) (Outcome, string) {
		return checkAllowStatements(r, s, func(st map[string]any) string {
			for _, a := range stringList(st["actions"]) {
				if a == "*" || strings.HasSuffix(a, ":*") {
					return fmt.Sprintf("statement %v allows %q", st["sid"], a)
				}
			}
			return ""
		})
	},
}
