package tests

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// StackJSON is a synthesized cdk.tf.json, parsed.
type StackJSON struct {
	Path      string
	Raw       []byte
	Terraform Obj
	Provider  map[string][]Obj
	Resources map[string]map[string]Obj // type -> logical name -> body
	Data      map[string]map[string]Obj
	Outputs   map[string]Obj
	Imports   []Obj // import blocks (settings: adopt.enabled)
	Moved     []Obj // moved blocks
}

// Obj is a JSON object with typed accessors for tests.
type Obj map[string]any

// LoadStack parses one cdk.tf.json.
func LoadStack(path string) (*StackJSON, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Terraform Obj                       `json:"terraform"`
		Provider  map[string][]Obj          `json:"provider"`
		Resource  map[string]map[string]Obj `json:"resource"`
		Data      map[string]map[string]Obj `json:"data"`
		Output    map[string]Obj            `json:"output"`
		Import    []Obj                     `json:"import"`
		Moved     []Obj                     `json:"moved"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &StackJSON{Path: path, Raw: raw, Terraform: doc.Terraform, Provider: doc.Provider,
		Resources: doc.Resource, Data: doc.Data, Outputs: doc.Output, Imports: doc.Import, Moved: doc.Moved}, nil
}

// Named is a resource with its logical name.
type Named struct {
	Type, Name string
	Body       Obj
}

// Ref is the Terraform reference to an attribute of the resource.
func (n Named) Ref(attr string) string { return "${" + n.Type + "." + n.Name + "." + attr + "}" }

// DataRef is the Terraform reference to an attribute of a data source.
func (n Named) DataRef(attr string) string {
	return "${data." + n.Type + "." + n.Name + "." + attr + "}"
}

// All returns every resource of a type, sorted by logical name.
func (s *StackJSON) All(typ string) []Named {
	out := []Named{}
	for name, body := range s.Resources[typ] {
		out = append(out, Named{typ, name, body})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Count is the number of resources of a type.
func (s *StackJSON) Count(typ string) int { return len(s.Resources[typ]) }

// One returns the only resource of typ whose attribute attr equals value.
func (s *StackJSON) One(t *testing.T, typ, attr, value string) Named {
	t.Helper()
	var found []Named
	for _, r := range s.All(typ) {
		if r.Body.Str(attr) == value {
			found = append(found, r)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s: want exactly one %s with %s = %q, found %d", s.Path, typ, attr, value, len(found))
	}
	return found[0]
}

// ByRef resolves a "${type.name.attr}" reference to the resource it names.
func (s *StackJSON) ByRef(t *testing.T, ref string) Named {
	t.Helper()
	n, err := s.resolve(ref)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// resolve is ByRef without a test: an error for a reference that names nothing.
func (s *StackJSON) resolve(ref string) (Named, error) {
	parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(ref, "${"), "}"), ".")
	if len(parts) < 3 {
		return Named{}, fmt.Errorf("not a resource reference: %q", ref)
	}
	if parts[0] == "data" {
		body, ok := s.Data[parts[1]][parts[2]]
		if !ok {
			return Named{}, fmt.Errorf("reference %q names no data source", ref)
		}
		return Named{parts[1], parts[2], body}, nil
	}
	body, ok := s.Resources[parts[0]][parts[1]]
	if !ok {
		return Named{}, fmt.Errorf("reference %q names no resource", ref)
	}
	return Named{parts[0], parts[1], body}, nil
}

// Get walks a path of object keys and list indexes ("a", "0", "b").
func (o Obj) Get(path ...string) any {
	var cur any = map[string]any(o)
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case Obj:
			cur = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// Str is the string at path ("" when absent or not a string).
func (o Obj) Str(path ...string) string { s, _ := o.Get(path...).(string); return s }

// Bool is the bool at path (false when absent).
func (o Obj) Bool(path ...string) bool { b, _ := o.Get(path...).(bool); return b }

// Num is the number at path (0 when absent).
func (o Obj) Num(path ...string) float64 { n, _ := o.Get(path...).(float64); return n }

// List is the list at path.
func (o Obj) List(path ...string) []any { l, _ := o.Get(path...).([]any); return l }

// Strings is the list of strings at path.
func (o Obj) Strings(path ...string) []string {
	out := []string{}
	for _, v := range o.List(path...) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Objs is the list of objects at path.
func (o Obj) Objs(path ...string) []Obj {
	out := []Obj{}
	for _, v := range o.List(path...) {
		if m, ok := v.(map[string]any); ok {
			out = append(out, Obj(m))
		}
	}
	return out
}

func sortedCopy(in []string) []string {
	out := append([]string(nil), in...)
	sort.Strings(out)
	return out
}

func digest(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
