package drill

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
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
// (aws_dynamodb_contributor_insights). One store serves every proxy of an
// emulator, so every command of a drill sees the same account.
type fakes struct {
	mu       sync.Mutex
	next     int
	queries  map[string]queryDefinition // by queryDefinitionId
	insights map[string]bool            // "<table>/<index>" with Contributor Insights enabled
}

type queryDefinition struct {
	QueryDefinitionID string   `json:"queryDefinitionId"`
	Name              string   `json:"name"`
	QueryString       string   `json:"queryString"`
	LogGroupNames     []string `json:"logGroupNames,omitempty"`
	LastModified      int64    `json:"lastModified"`
}

func newFakes() *fakes {
	return &fakes{queries: map[string]queryDefinition{}, insights: map[string]bool{}}
}

// fakedOperations are the X-Amz-Target values fakes answers.
var fakedOperations = []string{
	"Logs_20140328.PutQueryDefinition", "Logs_20140328.DescribeQueryDefinitions", "Logs_20140328.DeleteQueryDefinition",
	"DynamoDB_20120810.UpdateContributorInsights", "DynamoDB_20120810.DescribeContributorInsights",
}

// answer writes the response of a faked operation and reports whether it
// did; any other request is left for the emulator, its body unread.
func (f *fakes) answer(w http.ResponseWriter, req *http.Request) bool {
	target := req.Header.Get("X-Amz-Target")
	if !slices.Contains(fakedOperations, target) {
		return false
	}
	body, _ := io.ReadAll(req.Body)
	var in map[string]any
	if err := json.Unmarshal(body, &in); err != nil {
		in = map[string]any{}
	}
	service, operation, _ := strings.Cut(target, ".")
	contentType := "application/x-amz-json-1.1"
	if strings.HasPrefix(service, "DynamoDB") {
		contentType = "application/x-amz-json-1.0"
	}
	f.mu.Lock()
	out, status := f.handle(operation, in)
	f.mu.Unlock()
	raw, _ := json.Marshal(out)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(raw)
	return true
}

func (f *fakes) handle(operation string, in map[string]any) (map[string]any, int) {
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
	return awsError("UnknownOperationException", operation), http.StatusBadRequest
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
		return f.handle(op, back)
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
