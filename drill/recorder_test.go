package drill

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/iamsim"
)

// recorder is a TLS proxy on loopback between the AWS clients and the
// emulator that answers what the emulator lacks (fakes) and, when it keeps
// them, records the service and operation of every request.
type recorder struct {
	Endpoint string
	keep     bool
	srv      *http.Server
	mu       sync.Mutex
	calls    []Call
}

var signingService = regexp.MustCompile(`Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request`)

func startRecorder(e *emulator, keep bool) (*recorder, error) { return startProxy(e, keep, true) }

// startProxy starts a proxy in front of the account's emulator; with fakes,
// it answers what the emulator lacks.
func startProxy(e *emulator, keep, withFakes bool) (*recorder, error) {
	target, err := url.Parse(e.moto.URL)
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
	direct := proxy.Director
	proxy.Director = func(req *http.Request) {
		direct(req)
		req.Header.Set("x-moto-account-id", e.accountID) // the account moto answers as
	}
	proxy.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
	if withFakes {
		proxy.ModifyResponse = e.fakes.patch
	}
	cert, err := tls.LoadX509KeyPair(e.CABundle, e.KeyFile)
	if err != nil {
		return nil, err
	}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		return nil, err
	}
	r := &recorder{Endpoint: fmt.Sprintf("https://127.0.0.1:%d", l.Addr().(*net.TCPAddr).Port), keep: keep}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.keep {
			r.record(req)
		}
		if !withFakes || !e.fakes.answer(w, req) {
			proxy.ServeHTTP(w, req)
		}
	})}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

func (r *recorder) record(req *http.Request) {
	m := signingService.FindStringSubmatch(req.Header.Get("Authorization"))
	if m == nil {
		return // not an AWS API call (the emulator's own endpoints)
	}
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	form := url.Values{}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, _ = url.ParseQuery(string(body))
	}
	for k, v := range req.URL.Query() {
		form[k] = v
	}
	call := Call{Service: m[1], Operation: operationOf(m[1], req, func() string { return form.Get("Action") }),
		Method: req.Method, Path: req.URL.Path, Params: requestParams(form, body)}
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

// checkRoles judges every call of the deploy with the deploy role's policy,
// and every call of the plan with the plan role's, in the IAM simulator: each
// authorization the call needs (drill/authz.go: its action on its resources,
// with the request's context, and the key use or role passing AWS authorizes
// with it), with the resource policy that applies (the environment key's, the
// state key's, the state bucket's), as the emulator holds them. No mutating
// call of the deploy may be allowed to the plan role.
func checkRoles(t *testing.T, deploy, plan []Call, stateKey string) {
	t.Helper()
	at := Place{Region: staging.Region, AccountID: staging.AccountID}
	look := newEmulatorLookup(t, at, stateKey)
	identity := map[string]map[string]any{}
	for _, role := range []string{"deploy", "plan"} {
		identity[role] = rolePolicyDoc(t, "phase-mirror-"+role+"-"+staging.Name, "scoped-to-"+staging.Name)
	}
	envKey := look.KeyARN("alias/phase-mirror-secrets-" + staging.Name)
	t.Logf("environment key %s (policy statements %v); state key %s (policy statements %v)",
		envKey, sids(look.resourcePolicy(envKey)), stateKey, sids(look.resourcePolicy(stateKey)))
	var sims []iamsim.Simulation
	var what []string
	var want []bool
	judge := func(role string, c Call, ch Check, allowed bool) {
		principal := "arn:aws:sts::" + at.AccountID + ":assumed-role/phase-mirror-" + role + "-" + staging.Name + "/github-actions"
		sims = append(sims, iamsim.New(principal, ch.Action, ch.Resource, at.AccountID, ch.Context, identity[role], look.resourcePolicy(ch.Resource)))
		what = append(what, fmt.Sprintf("%s role, %s: %s on %s %v", role, c, ch.Action, ch.Resource, ch.Context))
		want = append(want, allowed)
	}
	for role, calls := range map[string][]Call{"deploy": deploy, "plan": plan} {
		for _, c := range distinct(calls) {
			checks, err := c.Checks(at, look)
			if err != nil {
				t.Error(err)
				continue
			}
			for _, ch := range checks {
				judge(role, c, ch, true)
			}
			if role == "deploy" && c.Mutating() && len(checks) > 0 {
				judge("plan", c, checks[0], false)
			}
		}
	}
	results, err := iamsim.Run(sims)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if (r.Result == "Allowed") != want[i] {
			t.Errorf("%s: %s %s, want allowed %v", what[i], r.Result, r.Errors, want[i])
		}
	}
	t.Logf("deploy: %d calls, %d distinct operations; plan: %d calls, %d distinct operations; %d simulations",
		len(deploy), len(operations(deploy)), len(plan), len(operations(plan)), len(sims))
}

// operations are the distinct service:Operation names of calls.
func operations(calls []Call) map[string]bool {
	out := map[string]bool{}
	for _, c := range calls {
		out[c.String()] = true
	}
	return out
}

// sids are a policy's statement ids.
func sids(policy map[string]any) []string {
	out := []string{}
	statements, _ := policy["Statement"].([]any)
	for _, st := range statements {
		sid, _ := st.(map[string]any)["Sid"].(string)
		out = append(out, sid)
	}
	return out
}
