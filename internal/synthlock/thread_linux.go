package synthlock

import "syscall"

// YieldThread gives the calling thread Idle (Linux: the priority is per
// thread, and a process started from it inherits it). The caller locks its
// goroutine to the thread first (runtime.LockOSThread) and never unlocks
// it, so the thread ends with the goroutine.
func YieldThread() error {
	return syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), Idle)
}
