package drill

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// encryption plays the two encryption changes of the adoption that moto
// 5.2.1 does not: a table's switch from the AWS-owned key to the
// environment's (it answers UpdateTable with an SSESpecification but keeps
// the table's encryption) and a log group's AssociateKmsKey (HTTP 500). The
// fake keeps what those calls set, answers AssociateKmsKey and
// DisassociateKmsKey itself, and puts what it keeps into the emulator's
// DescribeTable, UpdateTable and DescribeLogGroups answers. A table or log
// group created or deleted again starts without it.
type encryption struct {
	mu     sync.Mutex
	tables map[string]map[string]any // table -> its SSEDescription; nil: the AWS-owned key
	groups map[string]string         // log group -> its kmsKeyId; "": none
}

func newEncryption() *encryption {
	return &encryption{tables: map[string]map[string]any{}, groups: map[string]string{}}
}

// answer keeps what a request sets: it answers AssociateKmsKey and
// DisassociateKmsKey, and leaves every other request, its body as it came,
// for the emulator.
func (e *encryption) answer(w http.ResponseWriter, req *http.Request) bool {
	target := req.Header.Get("X-Amz-Target")
	switch target {
	case "DynamoDB_20120810.UpdateTable", "DynamoDB_20120810.CreateTable", "DynamoDB_20120810.DeleteTable",
		"Logs_20140328.AssociateKmsKey", "Logs_20140328.DisassociateKmsKey", "Logs_20140328.CreateLogGroup", "Logs_20140328.DeleteLogGroup":
	default:
		return false
	}
	body, _ := io.ReadAll(req.Body)
	req.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		TableName        string
		SSESpecification *struct {
			Enabled        *bool
			SSEType        string
			KMSMasterKeyID string `json:"KMSMasterKeyId"`
		}
		LogGroupName string `json:"logGroupName"`
		KmsKeyID     string `json:"kmsKeyId"`
	}
	_ = json.Unmarshal(body, &in)
	e.mu.Lock()
	defer e.mu.Unlock()
	switch target {
	case "DynamoDB_20120810.UpdateTable":
		if sse := in.SSESpecification; sse != nil {
			if sse.Enabled != nil && *sse.Enabled {
				e.tables[in.TableName] = map[string]any{"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": sse.KMSMasterKeyID}
			} else {
				e.tables[in.TableName] = nil
			}
		}
	case "DynamoDB_20120810.CreateTable", "DynamoDB_20120810.DeleteTable":
		delete(e.tables, in.TableName)
	case "Logs_20140328.CreateLogGroup", "Logs_20140328.DeleteLogGroup":
		delete(e.groups, in.LogGroupName)
	default: // AssociateKmsKey, DisassociateKmsKey: answered here
		if in.LogGroupName == "" {
			writeJSON(w, "application/x-amz-json-1.1", http.StatusBadRequest, awsError("InvalidParameterException", "logGroupName is required"))
			return true
		}
		e.groups[in.LogGroupName] = in.KmsKeyID // "" for DisassociateKmsKey
		writeJSON(w, "application/x-amz-json-1.1", http.StatusOK, map[string]any{})
		return true
	}
	return false
}

// patch puts what the fake keeps into the emulator's answers.
func (e *encryption) patch(resp *http.Response) error {
	if resp.Request == nil || resp.StatusCode != http.StatusOK {
		return nil
	}
	var field string
	switch resp.Request.Header.Get("X-Amz-Target") {
	case "DynamoDB_20120810.DescribeTable":
		field = "Table"
	case "DynamoDB_20120810.UpdateTable":
		field = "TableDescription"
	case "Logs_20140328.DescribeLogGroups":
		field = "logGroups"
	default:
		return nil
	}
	return rewriteJSON(resp, func(out map[string]any) bool {
		e.mu.Lock()
		defer e.mu.Unlock()
		changed := false
		if field == "logGroups" {
			groups, _ := out[field].([]any)
			for _, g := range groups {
				group, _ := g.(map[string]any)
				name, _ := group["logGroupName"].(string)
				if key, ok := e.groups[name]; ok {
					if key == "" {
						delete(group, "kmsKeyId")
					} else {
						group["kmsKeyId"] = key
					}
					changed = true
				}
			}
			return changed
		}
		table, _ := out[field].(map[string]any)
		name, _ := table["TableName"].(string)
		sse, ok := e.tables[name]
		if table == nil || !ok {
			return false
		}
		if sse == nil {
			delete(table, "SSEDescription")
		} else {
			table["SSEDescription"] = sse
		}
		return true
	})
}

// TestEncryptionFakeKeepsTheAdoptionsKeyChanges: a table's SSE switch and a
// log group's AssociateKmsKey show in the emulator's later answers (with a
// DynamoDB answer's CRC32 made again), the AWS-owned key and
// DisassociateKmsKey take the key away, a table or log group made again
// starts without it, and other requests reach the emulator unchanged.
func TestEncryptionFakeKeepsTheAdoptionsKeyChanges(t *testing.T) {
	e := newEncryption()
	send := func(target, body string) (*httptest.ResponseRecorder, bool, string) {
		req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", target)
		w := httptest.NewRecorder()
		answered := e.answer(w, req)
		left, _ := io.ReadAll(req.Body)
		return w, answered, string(left)
	}
	answer := func(target, body string) (map[string]any, http.Header) {
		req := httptest.NewRequest(http.MethodPost, "https://127.0.0.1/", nil)
		req.Header.Set("X-Amz-Target", target)
		resp := &http.Response{StatusCode: http.StatusOK, Request: req, Header: http.Header{"X-Amz-Crc32": {"1"}}, Body: io.NopCloser(strings.NewReader(body))}
		if err := e.patch(resp); err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatal(err)
		}
		if resp.Header.Get("X-Amz-Crc32") != "1" && resp.Header.Get("X-Amz-Crc32") != strconv.FormatUint(uint64(crc32.ChecksumIEEE(raw)), 10) {
			t.Errorf("%s: the CRC32 header does not match the patched body", target)
		}
		return out, resp.Header
	}
	sse := func() any {
		out, _ := answer("DynamoDB_20120810.DescribeTable", `{"Table":{"TableName":"t","TableStatus":"ACTIVE"}}`)
		return out["Table"].(map[string]any)["SSEDescription"]
	}
	if sse() != nil {
		t.Errorf("a table never switched has %v", sse())
	}
	const update = `{"TableName":"t","SSESpecification":{"Enabled":true,"SSEType":"KMS","KMSMasterKeyId":"arn:aws:kms:us-east-1:1:key/k"}}`
	if _, answered, left := send("DynamoDB_20120810.UpdateTable", update); answered || left != update {
		t.Errorf("UpdateTable: answered %v, reaches the emulator with %q", answered, left)
	}
	if got := fmt.Sprint(sse()); got != "map[KMSMasterKeyArn:arn:aws:kms:us-east-1:1:key/k SSEType:KMS Status:ENABLED]" {
		t.Errorf("DescribeTable after the switch: %s", got)
	}
	if out, h := answer("DynamoDB_20120810.UpdateTable", `{"TableDescription":{"TableName":"t"}}`); out["TableDescription"].(map[string]any)["SSEDescription"] == nil || h.Get("X-Amz-Crc32") == "1" {
		t.Errorf("UpdateTable's answer: %v, CRC32 %s", out, h.Get("X-Amz-Crc32"))
	}
	send("DynamoDB_20120810.UpdateTable", `{"TableName":"t","SSESpecification":{"Enabled":false}}`)
	if sse() != nil {
		t.Errorf("after the switch back to the AWS-owned key: %v", sse())
	}
	send("DynamoDB_20120810.UpdateTable", update)
	send("DynamoDB_20120810.DeleteTable", `{"TableName":"t"}`)
	if sse() != nil {
		t.Errorf("a table deleted and made again keeps %v", sse())
	}

	key := func() any {
		out, _ := answer("Logs_20140328.DescribeLogGroups", `{"logGroups":[{"logGroupName":"/aws/lambda/f"},{"logGroupName":"/other"}]}`)
		groups := out["logGroups"].([]any)
		if other := groups[1].(map[string]any)["kmsKeyId"]; other != nil {
			t.Errorf("another log group got %v", other)
		}
		return groups[0].(map[string]any)["kmsKeyId"]
	}
	if w, answered, _ := send("Logs_20140328.AssociateKmsKey", `{"logGroupName":"/aws/lambda/f","kmsKeyId":"arn:k"}`); !answered || w.Code != http.StatusOK || key() != "arn:k" {
		t.Errorf("AssociateKmsKey: answered %v, %d, then %v", answered, w.Code, key())
	}
	if w, answered, _ := send("Logs_20140328.AssociateKmsKey", `{"kmsKeyId":"arn:k"}`); !answered || w.Code != http.StatusBadRequest {
		t.Errorf("AssociateKmsKey without a log group: answered %v, %d", answered, w.Code)
	}
	send("Logs_20140328.DisassociateKmsKey", `{"logGroupName":"/aws/lambda/f"}`)
	if key() != nil {
		t.Errorf("after DisassociateKmsKey: %v", key())
	}
	send("Logs_20140328.AssociateKmsKey", `{"logGroupName":"/aws/lambda/f","kmsKeyId":"arn:k"}`)
	if _, answered, _ := send("Logs_20140328.DeleteLogGroup", `{"logGroupName":"/aws/lambda/f"}`); answered || key() != nil {
		t.Errorf("DeleteLogGroup: answered %v, the key after it %v", answered, key())
	}
	if _, answered, left := send("DynamoDB_20120810.PutItem", `{"TableName":"t"}`); answered || left != `{"TableName":"t"}` {
		t.Errorf("PutItem: answered %v, reaches the emulator with %q", answered, left)
	}
}
