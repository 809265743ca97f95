package drill

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakes answers, in the recording proxy, the operations moto 5.2.1 does not
// implement (HTTP 500 there), with the response shapes of the AWS API
// references and just enough state that Terraform's create, read and delete
// of the resources work and a second plan is empty: CloudWatch Logs saved
// queries (aws_cloudwatch_query_definition) and DynamoDB Contributor Insights
// (aws_dynamodb_contributor_insights), and S3 bucket policies
// (aws_s3_bucket_policy: moto would enforce them without their conditions),
// Secrets Manager's rotation (aws_secretsmanager_secret_rotation), and the
// adoption's encryption changes of tables and log groups.
// One store serves every proxy of an emulator, so every command of a drill
// sees the same account.
type fakes struct {
	mu         sync.Mutex
	next       int
	queries    map[string]queryDefinition // by queryDefinitionId
	insights   map[string]bool            // "<table>/<index>" with Contributor Insights enabled
	policies   map[string][]byte          // bucket -> its policy document
	rotation   *rotations                 // Secrets Manager's rotation (fakes_rotation_test.go)
	encryption *encryption                // the adoption's key changes (fakes_encryption_test.go)
}

type queryDefinition struct {
	QueryDefinitionID string   `json:"queryDefinitionId"`
	Name              string   `json:"name"`
	QueryString       string   `json:"queryString"`
	LogGroupNames     []string `json:"logGroupNames,omitempty"`
	LastModified      int64    `json:"lastModified"`
}

func newFakes() *fakes {
	return &fakes{queries: map[string]queryDefinition{}, insights: map[string]bool{}, policies: map[string][]byte{},
		rotation: newRotations(), encryption: newEncryption()}
}

// jsonContentTypes are the content types of the JSON protocols of the
// services fakes answers for, by X-Amz-Target prefix.
var jsonContentTypes = map[string]string{"Logs_20140328": "application/x-amz-json-1.1", "DynamoDB_20120810": "application/x-amz-json-1.0"}

// answer writes the response of a faked operation and reports whether it
// did; any other request is left for the emulator, its body as it came.
func (f *fakes) answer(w http.ResponseWriter, req *http.Request) bool {
	if f.answerBucketPolicy(w, req) || f.rotation.answer(w, req) || f.encryption.answer(w, req) {
		return true
	}
	service, operation, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
	contentType, ok := jsonContentTypes[service]
	if !ok {
		return false
	}
	body, _ := io.ReadAll(req.Body)
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		in = map[string]any{}
	}
	f.mu.Lock()
	out, status := f.respond(operation, in)
	f.mu.Unlock()
	if status == 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
		return false
	}
	writeJSON(w, contentType, status, out)
	return true
}

// respond answers one faked operation: its body and HTTP status; status 0
// for an operation it does not fake.
func (f *fakes) respond(operation string, in map[string]any) (map[string]any, int) {
	str := func(k string) string { s, _ := in[k].(string); return s }
	switch operation {
	case "PutQueryDefinition":
		if str("name") == "" || str("queryString") == "" {
			return awsError("InvalidParameterException", "name and queryString are required"), http.StatusBadRequest
		}
		id := str("queryDefinitionId")
		if _, ok := f.queries[id]; id != "" && !ok {
			return awsError("ResourceNotFoundException", "no query definition "+id), http.StatusBadRequest
		}
		if id == "" {
			f.next++
			id = fmt.Sprintf("00000000-0000-4000-8000-%012d", f.next)
		}
		q := queryDefinition{QueryDefinitionID: id, Name: str("name"), QueryString: str("queryString"), LastModified: time.Now().UnixMilli()}
		if groups, ok := in["logGroupNames"].([]any); ok {
			for _, g := range groups {
				q.LogGroupNames = append(q.LogGroupNames, fmt.Sprint(g))
			}
		}
		f.queries[id] = q
		return map[string]any{"queryDefinitionId": id}, http.StatusOK
	case "DescribeQueryDefinitions":
		list := []queryDefinition{}
		for _, q := range f.queries {
			if strings.HasPrefix(q.Name, str("queryDefinitionNamePrefix")) {
				list = append(list, q)
			}
		}
		slices.SortFunc(list, func(a, b queryDefinition) int { return strings.Compare(a.QueryDefinitionID, b.QueryDefinitionID) })
		return map[string]any{"queryDefinitions": list}, http.StatusOK
	case "DeleteQueryDefinition":
		_, ok := f.queries[str("queryDefinitionId")]
		if !ok {
			return awsError("ResourceNotFoundException", "no query definition "+str("queryDefinitionId")), http.StatusBadRequest
		}
		delete(f.queries, str("queryDefinitionId"))
		return map[string]any{"success": true}, http.StatusOK
	case "UpdateContributorInsights":
		key := str("TableName") + "/" + str("IndexName")
		status := "DISABLED"
		switch str("ContributorInsightsAction") {
		case "ENABLE":
			f.insights[key], status = true, "ENABLED"
		case "DISABLE":
			delete(f.insights, key)
		default:
			return awsError("ValidationException", "ContributorInsightsAction must be ENABLE or DISABLE"), http.StatusBadRequest
		}
		return withIndex(map[string]any{"TableName": str("TableName"), "ContributorInsightsStatus": status}, str("IndexName")), http.StatusOK
	case "DescribeContributorInsights":
		status := "DISABLED"
		if f.insights[str("TableName")+"/"+str("IndexName")] {
			status = "ENABLED"
		}
		return withIndex(map[string]any{"TableName": str("TableName"), "ContributorInsightsStatus": status,
			"ContributorInsightsRuleList": []string{}, "LastUpdateDateTime": float64(time.Now().Unix())}, str("IndexName")), http.StatusOK
	}
	return nil, 0
}

// rewriteJSON lets edit change a JSON answer; when it reports a change, the
// body is re-encoded with its length and, for DynamoDB, its CRC32 header.
func rewriteJSON(resp *http.Response, edit func(map[string]any) bool) error {
	if resp.Header.Get("Content-Encoding") != "" && resp.Header.Get("Content-Encoding") != "identity" {
		return nil // the emulator does not compress; nothing to patch if it starts
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	var out map[string]any
	if json.Unmarshal(body, &out) != nil || !edit(out) {
		return nil
	}
	raw, err := json.Marshal(out)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	resp.ContentLength = int64(len(raw))
	resp.Header.Set("Content-Length", strconv.Itoa(len(raw)))
	if resp.Header.Get("X-Amz-Crc32") != "" {
		resp.Header.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(raw)), 10))
	}
	return nil
}

// writeJSON writes a JSON protocol's answer.
func writeJSON(w http.ResponseWriter, contentType string, status int, out map[string]any) {
	raw, _ := json.Marshal(out)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// answerBucketPolicy answers PutBucketPolicy, GetBucketPolicy and
// DeleteBucketPolicy (path-style /<bucket>?policy, S3's REST protocol). The
// emulator never holds the policy, so it never enforces it; the drill's IAM
// simulations read it from here (BucketPolicy).
func (f *fakes) answerBucketPolicy(w http.ResponseWriter, req *http.Request) bool {
	if _, ok := req.URL.Query()["policy"]; !ok || !strings.Contains(req.Header.Get("Authorization"), "/s3/aws4_request") {
		return false
	}
	bucket := strings.Trim(req.URL.Path, "/")
	if bucket == "" || strings.Contains(bucket, "/") {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	switch req.Method {
	case http.MethodPut:
		body, _ := io.ReadAll(req.Body)
		if strings.Contains(req.Header.Get("Content-Encoding"), "aws-chunked") {
			body = unchunk(body)
		}
		if !json.Valid(body) {
			s3Error(w, http.StatusBadRequest, "MalformedPolicy", "Policies must be valid JSON", bucket)
			return true
		}
		f.policies[bucket] = body
		w.WriteHeader(http.StatusNoContent)
	case http.MethodGet:
		policy, ok := f.policies[bucket]
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchBucketPolicy", "The bucket policy does not exist", bucket)
			return true
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(policy)
	case http.MethodDelete:
		delete(f.policies, bucket)
		w.WriteHeader(http.StatusNoContent)
	default:
		return false
	}
	return true
}

// patch puts what the fakes keep into the emulator's answers.
func (f *fakes) patch(resp *http.Response) error {
	if err := f.rotation.patch(resp); err != nil {
		return err
	}
	return f.encryption.patch(resp)
}

// BucketPolicy is the policy a bucket has, "" when none.
func (f *fakes) BucketPolicy(bucket string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.policies[bucket])
}

// s3Error writes S3's XML error body.
func s3Error(w http.ResponseWriter, status int, code, message, bucket string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><BucketName>%s</BucketName></Error>`, code, message, bucket)
}

// unchunk decodes an aws-chunked body: <hex size>[;extensions]\r\n<data>\r\n
// ... up to the 0-size chunk (trailers after it are dropped).
func unchunk(body []byte) []byte {
	var out []byte
	for len(body) > 0 {
		line, rest, ok := strings.Cut(string(body), "\r\n")
		if !ok {
			break
		}
		sizeHex, _, _ := strings.Cut(line, ";")
		var size int
		if _, err := fmt.Sscanf(sizeHex, "%x", &size); err != nil || size == 0 || size > len(rest) {
			break
		}
		out = append(out, rest[:size]...)
		body = []byte(strings.TrimPrefix(rest[size:], "\r\n"))
	}
	return out
}

// withIndex adds IndexName to a Contributor Insights answer when the request named one.
func withIndex(out map[string]any, index string) map[string]any {
	if index != "" {
		out["IndexName"] = index
	}
	return out
}

// awsError is the JSON protocols' error body.
func awsError(code, message string) map[string]any {
	return map[string]any{"__type": code, "message": message}
}

// TestFakesKeepWhatTerraformReadsBack: what a create writes, a read returns
// (the provider's read-after-create and the next plan), and a delete removes
// it (the provider's wait for deletion); bad requests get the APIs' errors.
func TestFakesKeepWhatTerraformReadsBack(t *testing.T) {
	f := newFakes()
	call := func(op string, in map[string]any) (map[string]any, int) {
		raw, _ := json.Marshal(in)
		var back map[string]any
		_ = json.Unmarshal(raw, &back)
		return f.respond(op, back)
	}
	out, code := call("PutQueryDefinition", map[string]any{"name": "phase-mirror/staging/errors", "queryString": "fields @message", "logGroupNames": []string{"/aws/lambda/a"}})
	id, _ := out["queryDefinitionId"].(string)
	if code != http.StatusOK || id == "" {
		t.Fatalf("PutQueryDefinition: %d %v", code, out)
	}
	out, _ = call("DescribeQueryDefinitions", map[string]any{"queryDefinitionNamePrefix": "phase-mirror/staging/"})
	if list := out["queryDefinitions"].([]queryDefinition); len(list) != 1 || list[0].QueryDefinitionID != id || list[0].LogGroupNames[0] != "/aws/lambda/a" {
		t.Errorf("DescribeQueryDefinitions: %v", out)
	}
	if out, _ = call("DescribeQueryDefinitions", map[string]any{"queryDefinitionNamePrefix": "other/"}); len(out["queryDefinitions"].([]queryDefinition)) != 0 {
		t.Errorf("DescribeQueryDefinitions of another prefix: %v", out)
	}
	if _, code = call("DeleteQueryDefinition", map[string]any{"queryDefinitionId": id}); code != http.StatusOK {
		t.Errorf("DeleteQueryDefinition: %d", code)
	}
	if out, code = call("DeleteQueryDefinition", map[string]any{"queryDefinitionId": id}); code != http.StatusBadRequest || out["__type"] != "ResourceNotFoundException" {
		t.Errorf("DeleteQueryDefinition of a deleted one: %d %v", code, out)
	}
	if out, code = call("PutQueryDefinition", map[string]any{"name": "x"}); code != http.StatusBadRequest || out["__type"] != "InvalidParameterException" {
		t.Errorf("PutQueryDefinition without a query: %d %v", code, out)
	}

	status := func(index string) any {
		out, _ := call("DescribeContributorInsights", map[string]any{"TableName": "t", "IndexName": index})
		return out["ContributorInsightsStatus"]
	}
	if status("") != "DISABLED" {
		t.Errorf("a table never enabled is %v", status(""))
	}
	if out, _ = call("UpdateContributorInsights", map[string]any{"TableName": "t", "ContributorInsightsAction": "ENABLE"}); out["ContributorInsightsStatus"] != "ENABLED" || status("") != "ENABLED" || status("gsi") != "DISABLED" {
		t.Errorf("after ENABLE of the table: %v, table %v, index %v", out, status(""), status("gsi"))
	}
	call("UpdateContributorInsights", map[string]any{"TableName": "t", "IndexName": "gsi", "ContributorInsightsAction": "ENABLE"})
	call("UpdateContributorInsights", map[string]any{"TableName": "t", "ContributorInsightsAction": "DISABLE"})
	if status("") != "DISABLED" || status("gsi") != "ENABLED" {
		t.Errorf("after DISABLE of the table: table %v, index %v", status(""), status("gsi"))
	}
	if out, code = call("UpdateContributorInsights", map[string]any{"TableName": "t", "ContributorInsightsAction": "PAUSE"}); code != http.StatusBadRequest || out["__type"] != "ValidationException" {
		t.Errorf("an unknown action: %d %v", code, out)
	}
}

// TestFakeBucketPolicyRoundTrips: a policy put (plain or aws-chunked) is read
// back as written, deleted, then NoSuchBucketPolicy; other S3 requests and
// other services' requests are left to the emulator.
func TestFakeBucketPolicyRoundTrips(t *testing.T) {
	f := newFakes()
	const auth = "AWS4-HMAC-SHA256 Credential=drill/20261203/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
	send := func(method, target, body string, header map[string]string) (*httptest.ResponseRecorder, bool) {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		req.Header.Set("Authorization", auth)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		return w, f.answer(w, req)
	}
	policy := `{"Version":"2012-10-17","Statement":[]}`
	if w, ok := send(http.MethodPut, "https://127.0.0.1/state-bucket?policy=", policy, nil); !ok || w.Code != http.StatusNoContent {
		t.Fatalf("PutBucketPolicy: answered %v, %d", ok, w.Code)
	}
	if w, _ := send(http.MethodGet, "https://127.0.0.1/state-bucket?policy", "", nil); w.Code != http.StatusOK || w.Body.String() != policy {
		t.Errorf("GetBucketPolicy: %d %s", w.Code, w.Body)
	}
	chunked := fmt.Sprintf("%x;chunk-signature=0\r\n%s\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n", len(policy), policy)
	send(http.MethodPut, "https://127.0.0.1/other-bucket?policy", chunked, map[string]string{"Content-Encoding": "aws-chunked"})
	if got := f.BucketPolicy("other-bucket"); got != policy {
		t.Errorf("an aws-chunked PutBucketPolicy stored %q", got)
	}
	if w, _ := send(http.MethodPut, "https://127.0.0.1/state-bucket?policy", "not json", nil); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "MalformedPolicy") {
		t.Errorf("a malformed policy: %d %s", w.Code, w.Body)
	}
	send(http.MethodDelete, "https://127.0.0.1/state-bucket?policy", "", nil)
	if w, _ := send(http.MethodGet, "https://127.0.0.1/state-bucket?policy", "", nil); w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), "<Code>NoSuchBucketPolicy</Code>") {
		t.Errorf("GetBucketPolicy after delete: %d %s", w.Code, w.Body)
	}
	if _, ok := send(http.MethodGet, "https://127.0.0.1/state-bucket/terraform.tfstate", "", nil); ok {
		t.Error("an object read was answered by the fake")
	}
	other := httptest.NewRequest(http.MethodPost, "https://127.0.0.1/", strings.NewReader(`{"TableName":"t"}`))
	other.Header.Set("X-Amz-Target", "DynamoDB_20120810.DescribeTable")
	if f.answer(httptest.NewRecorder(), other) {
		t.Error("DescribeTable, which the emulator implements, was answered by a fake")
	} else if body, _ := io.ReadAll(other.Body); string(body) != `{"TableName":"t"}` {
		t.Errorf("DescribeTable reaches the emulator with the body %q", body)
	}
	req := httptest.NewRequest(http.MethodGet, "https://127.0.0.1/state-bucket?policy", nil)
	req.Header.Set("Authorization", strings.Replace(auth, "/s3/", "/sqs/", 1))
	if f.answer(httptest.NewRecorder(), req) {
		t.Error("a request of another service was answered by the bucket-policy fake")
	}
}
