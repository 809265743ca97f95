// Package childgc sets how often the Go programs the tests start (terraform,
// its AWS provider, go run and go build) collect garbage.
package childgc

import "os"

// Percent is the GOGC the tests' child processes get: a terraform command
// with the AWS provider spends about a fifth of its CPU in the collector at
// Go's default of 100, and 400 takes that back for about 8% more memory per
// process (docs/performance.md).
const Percent = "400"

// Set gives the child processes started from now on GOGC=Percent, unless
// GOGC is set already (a caller's choice wins). The test binary's own
// collector, started before, is unchanged.
func Set() {
	if os.Getenv("GOGC") == "" {
		os.Setenv("GOGC", Percent)
	}
}
