package drill

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a TLS proxy on loopback between the AWS clients and the
// emulator that records the service and operation of every request.
type recorder struct {
	Endpoint string
	srv      *http.Server
	mu       sync.Mutex
	calls    []Call
}

var signingService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

func startRecorder(e *emulator) (*recorder, error) {
	target, err := url.Parse(e.Endpoint)
	if err != nil {
		return nil, err
	}
	ca, err := os.ReadFile(e.CABundle)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	cert, err := tls.LoadX509KeyPair(e.CABundle, e.KeyFile)
	if err != nil {
		return nil, err
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	r := &recorder{Endpoint: fmt.Sprintf("https://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port)}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.record(req)
		proxy.ServeHTTP(w, req)
	})}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

func (r *recorder) record(req *http.Request) {
	m := signingService.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		return // not an AWS API call (the emulator's own endpoints)
	}
	form := func() string {
		if action := req.URL.Query().Get("Action"); action != "" {
			return action
		}
		if !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || req.Body == nil {
			return ""
		}
		body, err := io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
		if err != nil {
			return ""
		}
		values, _ := url.ParseQuery(string(body))
		return values.Get("Action")
	}
	call := Call{Service: m[1], Operation: operationOf(m[1], req, form)}
	r.mu.Lock()
	r.calls = append(r.calls, call)
	r.mu.Unlock()
}

// Take returns the calls recorded since the last Take.
func (r *recorder) Take() []Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.calls
	r.calls = nil
	return out
}

func (r *recorder) Stop() { _ = r.srv.Close() }

// rolePolicy reads a role's inline policy from the emulator, as the provider
// rendered and IAM stored it.
func rolePolicy(t *testing.T, role, name string) []statement {
	t.Helper()
	cmd := exec.Command("aws", "iam", "get-role-policy", "--role-name", role, "--policy-name", name, "--output", "json")
	cmd.Env = append(withoutAWS(os.Environ()), emu.Env(staging.Region)...)
	raw, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("get-role-policy %s: %v\n%s", role, err, raw)
	}
	var out struct {
		PolicyDocument json.RawMessage
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	doc := out.PolicyDocument
	var text string
	if json.Unmarshal(doc, &text) == nil { // URL-encoded or plain JSON string
		if decoded, err := url.QueryUnescape(text); err == nil {
			text = decoded
		}
		doc = json.RawMessage(text)
	}
	var policy struct {
		Statement []statement
	}
	if err := json.Unmarshal(doc, &policy); err != nil {
		t.Fatalf("policy of %s: %v\n%s", role, err, doc)
	}
	return policy.Statement
}

// statement is the part of an IAM statement the action check reads.
type statement struct {
	Sid       string
	Effect    string
	Action    stringList
	Principal struct {
		AWS stringList
	}
}

// keyPolicyFor reads the statements of a key's policy (from the emulator)
// that name role: a key policy that names a role grants by itself.
func keyPolicyFor(t *testing.T, alias, roleArn string) []statement {
	t.Helper()
	cmd := exec.Command("aws", "kms", "get-key-policy", "--key-id", alias, "--policy-name", "default", "--query", "Policy", "--output", "text")
	cmd.Env = append(withoutAWS(os.Environ()), emu.Env(staging.Region)...)
	raw, err := cmd.Output()
	if err != nil {
		t.Fatalf("get-key-policy %s: %v", alias, err)
	}
	var policy struct {
		Statement []statement
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatalf("key policy of %s: %v\n%s", alias, err, raw)
	}
	out := []statement{}
	for _, st := range policy.Statement {
		if slices.Contains(st.Principal.AWS, roleArn) {
			out = append(out, st)
		}
	}
	return out
}

type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = []string{one}
		return nil
	}
	var many []string
	err := json.Unmarshal(b, &many)
	*s = many
	return err
}

// allows reports whether some Allow statement names action (IAM action
// patterns: * and ?, case-insensitive). Resources and conditions are not
// evaluated here; the IAM simulator cases of __tests__ do that.
func allows(policy []statement, action string) bool {
	for _, st := range policy {
		if st.Effect != "Allow" {
			continue
		}
		for _, pattern := range st.Action {
			if actionMatch(strings.ToLower(pattern), strings.ToLower(action)) {
				return true
			}
		}
	}
	return false
}

func actionMatch(pattern, s string) bool {
	re := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	return regexp.MustCompile(re).MatchString(s)
}

// distinct lists the distinct calls, sorted.
func distinct(calls []Call) []Call {
	seen := map[Call]bool{}
	out := []Call{}
	for _, c := range calls {
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b Call) int { return strings.Compare(a.String(), b.String()) })
	return out
}

// checkRoles: every action a deploy's calls need is allowed to the deploy
// role, every call of a plan to the plan role, and no mutating call of the
// deploy to the plan role. Every operation must be known to the table.
func checkRoles(t *testing.T, deploy, plan []Call) {
	t.Helper()
	// A role's permissions: its inline policy and what the environment key's
	// policy grants it by name.
	role := func(name string) []statement {
		arn := "arn:aws:iam::" + staging.AccountID + ":role/" + name
		return append(rolePolicy(t, name, "scoped-to-"+staging.Name), keyPolicyFor(t, "alias/phase-mirror-secrets-"+staging.Name, arn)...)
	}
	deployPolicy, planPolicy := role("phase-mirror-deploy-"+staging.Name), role("phase-mirror-plan-"+staging.Name)
	for _, c := range append(distinct(deploy), distinct(plan)...) {
		if strings.Contains(c.Operation, " ") {
			t.Errorf("%s: unknown REST operation; name it in restOperations (drill/actions.go)", c)
		}
	}
	for _, c := range distinct(deploy) {
		for _, a := range c.Actions() {
			if !allows(deployPolicy, a) {
				t.Errorf("the deploy made %s, which needs %s: the deploy role does not allow it", c, a)
			}
		}
		if c.Mutating() {
			for _, a := range c.Actions()[:1] {
				if allows(planPolicy, a) {
					t.Errorf("the plan role allows %s (%s), a change", a, c)
				}
			}
		}
	}
	for _, c := range distinct(plan) {
		for _, a := range c.Actions() {
			if !allows(planPolicy, a) {
				t.Errorf("the plan made %s, which needs %s: the plan role does not allow it", c, a)
			}
		}
	}
	t.Logf("deploy: %d calls, %d distinct operations; plan: %d calls, %d distinct operations",
		len(deploy), len(distinct(deploy)), len(plan), len(distinct(plan)))
}
