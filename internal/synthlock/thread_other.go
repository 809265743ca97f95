//go:build !linux

package synthlock

// YieldThread does nothing where the priority is not per thread: the light
// work runs at the process's own priority there.
func YieldThread() error { return nil }
