package ingestbench

import (
	"runtime/debug"
	"syscall"
	"time"
)

// Settle readies the machine for a timed load: the files earlier steps
// wrote (the generated input, a previous load's database) are written
// out first, so that the kernel's writeback of them does not compete with
// the load being timed, and Go's freed memory goes back to the system.
func Settle() {
	syscall.Sync()
	debug.FreeOSMemory()
}

// CPUTime is the CPU time the process has used so far, user and system,
// on every thread (Go's and DuckDB's): a load's cost on a machine whose
// speed varies from run to run, where its wall time alone misleads.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
