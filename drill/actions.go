package drill

import (
	"net/http"
	"regexp"
	"strings"
)

// Call is one AWS API request a deploy or a plan made, as the recording proxy
// saw it.
type Call struct {
	Service   string // the request's signing name ("dynamodb", "monitoring", ...)
	Operation string // the API operation ("CreateTable")
	// Method and Path are the HTTP request's; Params its parameters as
	// canonical JSON (requestParams).
	Method, Path, Params string
}

// String is "service:Operation".
func (c Call) String() string { return c.Service + ":" + c.Operation }

// iamPrefix maps signing names that differ from the IAM service prefix.
var iamPrefix = map[string]string{"monitoring": "cloudwatch"}

// restOperations names the operations of the REST services (S3, Lambda) by
// method and path; the other services name theirs in the request.
var restOperations = []struct {
	service, method string
	path            *regexp.Regexp
	operation       string
}{
	{"s3", http.MethodGet, regexp.MustCompile(`^/[^/]+/?$`), "ListObjects"},
	{"s3", http.MethodHead, regexp.MustCompile(`^/[^/]+/.+`), "HeadObject"},
	{"s3", http.MethodGet, regexp.MustCompile(`^/[^/]+/.+`), "GetObject"},
	{"s3", http.MethodPut, regexp.MustCompile(`^/[^/]+/.+`), "PutObject"},
	{"s3", http.MethodDelete, regexp.MustCompile(`^/[^/]+/.+`), "DeleteObject"},
	{"lambda", http.MethodPost, regexp.MustCompile(`^/2015-03-31/functions/?$`), "CreateFunction"},
	{"lambda", http.MethodGet, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/?$`), "GetFunction"},
	{"lambda", http.MethodDelete, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/?$`), "DeleteFunction"},
	{"lambda", http.MethodGet, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/versions$`), "ListVersionsByFunction"},
	{"lambda", http.MethodGet, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/configuration$`), "GetFunctionConfiguration"},
	{"lambda", http.MethodPut, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/configuration$`), "UpdateFunctionConfiguration"},
	{"lambda", http.MethodPut, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/code$`), "UpdateFunctionCode"},
	{"lambda", http.MethodPost, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/policy$`), "AddPermission"},
	{"lambda", http.MethodGet, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/policy$`), "GetPolicy"},
	{"lambda", http.MethodDelete, regexp.MustCompile(`^/2015-03-31/functions/[^/]+/policy/.+`), "RemovePermission"},
	{"lambda", http.MethodGet, regexp.MustCompile(`^/2020-06-30/functions/[^/]+/code-signing-config$`), "GetFunctionCodeSigningConfig"},
	{"lambda", http.MethodGet, regexp.MustCompile(`^/2017-03-31/tags/.+`), "ListTags"},
	{"lambda", http.MethodPost, regexp.MustCompile(`^/2017-03-31/tags/.+`), "TagResource"},
}

// operationOf names a request's operation: X-Amz-Target for the JSON
// protocols, Action for the query protocol, method and path for REST.
func operationOf(service string, r *http.Request, form func() string) string {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		return target[strings.LastIndex(target, ".")+1:]
	}
	if action := form(); action != "" {
		return action
	}
	for _, op := range restOperations {
		if op.service == service && op.method == r.Method && op.path.MatchString(r.URL.Path) {
			return op.operation
		}
	}
	return r.Method + " " + r.URL.Path
}

// Mutating reports whether a call changes something (what a plan role must
// never be allowed to do).
func (c Call) Mutating() bool {
	for _, read := range []string{"Get", "List", "Describe", "Head"} {
		if strings.HasPrefix(c.Operation, read) {
			return false
		}
	}
	return true
}
