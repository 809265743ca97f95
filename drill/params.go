package drill

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// requestParams is a request's parameters as one canonical JSON object: the
// form (query protocol, and a REST request's query string) flattened to
// string values, then a JSON body's top-level fields. Long strings (a
// function's zip) are cut: no check reads them.
func requestParams(form url.Values, body []byte) string {
	out := map[string]any{}
	for k, v := range form {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	var doc map[string]any
	if json.Unmarshal(body, &doc) == nil {
		for k, v := range doc {
			out[k] = trim(v)
		}
	}
	raw, _ := json.Marshal(out)
	return string(raw)
}

func trim(v any) any {
	switch x := v.(type) {
	case string:
		if len(x) > 2048 {
			return x[:2048]
		}
	case map[string]any:
		for k, e := range x {
			x[k] = trim(e)
		}
	case []any:
		for i, e := range x {
			x[i] = trim(e)
		}
	}
	return v
}

// params decodes a call's parameters.
type params map[string]any

func (c Call) params() params {
	p := params{}
	_ = json.Unmarshal([]byte(c.Params), &p)
	return p
}

// str is a top-level string parameter, or a nested one by path ("SSESpecification.KMSMasterKeyId").
func (p params) str(path string) string {
	var cur any = map[string]any(p)
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[part]
	}
	s, _ := cur.(string)
	return s
}

// members are the values of a query-protocol list ("AlarmNames.member.1", ...)
// or of a JSON list of strings.
func (p params) members(name string) []string {
	out := []string{}
	if list, ok := p[name].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	for k, v := range p {
		if strings.HasPrefix(k, name+".member.") {
			out = append(out, v.(string))
		}
	}
	slices.Sort(out)
	return out
}

// tags are a request's tags by key, from the shapes AWS APIs use: a map
// ("Tags": {"k": "v"}, "tags"), a list of {Key, Value} or {TagKey,
// TagValue}, or query-protocol members ("Tags.member.1.Key").
func (p params) tags() map[string]string {
	out := map[string]string{}
	for _, field := range []string{"Tags", "tags"} {
		switch t := p[field].(type) {
		case map[string]any:
			for k, v := range t {
				out[k], _ = v.(string)
			}
		case []any:
			for _, e := range t {
				m, _ := e.(map[string]any)
				for _, kv := range [][2]string{{"Key", "Value"}, {"TagKey", "TagValue"}} {
					if k, ok := m[kv[0]].(string); ok {
						out[k], _ = m[kv[1]].(string)
					}
				}
			}
		}
	}
	for k, v := range p {
		if strings.HasPrefix(k, "Tags.member.") && strings.HasSuffix(k, ".Key") {
			out[v.(string)], _ = p[strings.TrimSuffix(k, ".Key")+".Value"].(string)
		}
	}
	return out
}
