package policy

import "fmt"

// SupportedRuntimes are the Lambda runtimes the project accepts: OS-only
// runtimes that AWS supports, for Go functions.
var SupportedRuntimes = []string{"provided.al2023", "provided.al2"}

// LambdaSupportedRuntime: functions run on a supported runtime.
var LambdaSupportedRuntime = Rule{
	Name: "LambdaSupportedRuntime", Control: "FSBP Lambda.2",
	Fix: "use runtime provided.al2023 (Go on Amazon Linux 2023)",
	Check: only("aws_lambda_function", func(r Resource, _ *Stack) (Outcome, string) {
		rt := stringAt(r.Body, "runtime")
		for _, ok := range SupportedRuntimes {
			if rt == ok {
				return Compliant, ""
			}
		}
		return NonCompliant, fmt.Sprintf("runtime %q is not one of %v", rt, SupportedRuntimes)
	}),
}
