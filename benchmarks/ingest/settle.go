package ingestbench

import (
	"runtime/debug"
	"syscall"
)

// Settle readies the machine for a timed load: the files earlier steps
// wrote (the generated input, a previous load's database) are written
// out first, so that the kernel's writeback of them does not compete with
// the load being timed, and Go's freed memory goes back to the system.
func Settle() {
	syscall.Sync()
	debug.FreeOSMemory()
}
