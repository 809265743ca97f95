package policy

import "fmt"

// IAMNoUnconditionedWildcardResource: an identity policy may allow on "*" only
// under a condition that scopes it (e.g. cloudwatch:namespace).
var IAMNoUnconditionedWildcardResource = Rule{
	Name: "IAMNoUnconditionedWildcardResource", Control: "project",
	Fix: "name the resources, or add a condition that scopes the request",
	Check: func(r Resource, s *Stack) (Outcome, string) {
		return checkAllowStatements(r, s, func(st map[string]any) string {
			conditions, _ := st["condition"].([]any)
			for _, res := range stringList(st["resources"]) {
				if res == "*" && len(conditions) == 0 {
					return fmt.Sprintf("statement %v allows %v on every resource without a condition", st["sid"], stringList(st["actions"]))
				}
			}
			return ""
		})
	},
}
