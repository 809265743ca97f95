package iamdoc

import (
	"reflect"
	"testing"
)

// TestMergeIsTheUnionOfTwoStatements: what a resource policy's second
// statement with the same Sid becomes (cmk.Key.AddToResourcePolicy): one
// statement, nothing repeated, nothing lost.
func TestMergeIsTheUnionOfTwoStatements(t *testing.T) {
	a := Statement{Sid: "S", Actions: []string{"kms:Decrypt"}, Resources: []string{"*"},
		Principals: []Principal{{Type: "AWS", Identifiers: []string{"role/a"}}},
		Conditions: []Condition{{Test: "ArnEquals", Variable: "k", Values: []string{"x"}}}}
	b := Statement{Sid: "S", Actions: []string{"kms:Decrypt", "kms:Encrypt"}, Resources: []string{"*"},
		Principals: []Principal{{Type: "AWS", Identifiers: []string{"role/b"}}, {Type: "Service", Identifiers: []string{"logs"}}},
		Conditions: []Condition{{Test: "ArnEquals", Variable: "k", Values: []string{"y", "x"}}, {Test: "Bool", Variable: "b", Values: []string{"true"}}}}
	want := Statement{Sid: "S", Actions: []string{"kms:Decrypt", "kms:Encrypt"}, Resources: []string{"*"},
		Principals: []Principal{{Type: "AWS", Identifiers: []string{"role/a", "role/b"}}, {Type: "Service", Identifiers: []string{"logs"}}},
		Conditions: []Condition{{Test: "ArnEquals", Variable: "k", Values: []string{"x", "y"}}, {Test: "Bool", Variable: "b", Values: []string{"true"}}}}
	if got := Merge(a, b); !reflect.DeepEqual(got, want) {
		t.Errorf("Merge = %+v, want %+v", got, want)
	}
	if got := Merge(a, a); !reflect.DeepEqual(got, a) {
		t.Errorf("merging a statement with itself changed it: %+v", got)
	}
}
