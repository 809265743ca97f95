package stackbase

import (
	"testing"

	"github.com/phase-mirror/fp-calibration-infra/internal/jsiirt"
)

// These tests link the cdktf bindings: jsii's runtime folder goes at the end.
func TestMain(m *testing.M) { jsiirt.TestMain(m) }
