package stackbase

import (
	"crypto/md5"
	"encoding/hex"
	"strings"

	"github.com/aws/jsii-runtime-go"
	"github.com/hashicorp/terraform-cdk-go/cdktf"
)

// LogicalID is the name cdktf 0.20 gives a resource at the construct path
// components (below its stack): a single component as it is; otherwise the
// components, each dropped when the one before ends with it, joined by "_",
// and the first 8 hex digits (upper case) of the MD5 of the path. Used only to
// name where a resource was before a refactoring moved it.
func LogicalID(components ...string) string {
	if len(components) == 1 {
		return components[0]
	}
	sum := md5.Sum([]byte(strings.Join(components, "/")))
	var human []string
	for i, c := range components {
		if i > 0 && strings.HasSuffix(components[i-1], c) {
			continue
		}
		human = append(human, c)
	}
	return strings.Join(human, "_") + "_" + strings.ToUpper(hex.EncodeToString(sum[:]))[:8]
}

// MovedFrom adds a moved block to resource, from the address it had at the
// construct path components (below its stack), so that a state written before
// a refactoring follows it instead of destroying and recreating it.
func MovedFrom(resource cdktf.TerraformResource, components ...string) {
	resource.MoveFromId(jsii.String(*resource.TerraformResourceType() + "." + LogicalID(components...)))
}
