package app

import (
	"strings"
	"testing"
)

// What cdktf 0.20.11 renders for a stack with required_version set.
const brokenTerraformBlock = `terraform {
  required_providers {
    aws = {
      version = "~> 5.100"
      source  = "aws"
    }
  }
  backend "local" {
    path = "x.tfstate"
  }

  0 = "required_version"
}
`

func TestRepairHCLWritesTheTerraformBlockAttributes(t *testing.T) {
	got, err := repairHCLTerraformBlock(brokenTerraformBlock, map[string]any{"required_version": ">= 1.11"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got, "\n  required_version = \">= 1.11\"\n") || strings.Contains(got, `0 = "required_version"`) {
		t.Errorf("not repaired:\n%s", got)
	}
	if !strings.Contains(got, `path = "x.tfstate"`) {
		t.Errorf("repair changed other lines:\n%s", got)
	}
}

func TestRepairHCLRefusesAnAttributeItCannotFill(t *testing.T) {
	if _, err := repairHCLTerraformBlock(brokenTerraformBlock, map[string]any{}); err == nil {
		t.Error("an attribute without a value was left broken silently")
	}
	if _, err := repairHCLTerraformBlock(brokenTerraformBlock, map[string]any{"required_version": []any{"x"}}); err == nil {
		t.Error("a list value was written into the terraform block")
	}
}
