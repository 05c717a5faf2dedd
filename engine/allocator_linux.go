package engine

/*
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>

// DuckDB's builds for Linux link jemalloc under this prefix; weak, so a
// build without it links and the setting is skipped.
extern int duckdb_je_mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen) __attribute__((weak));

static int has_jemalloc(void) { return duckdb_je_mallctl != NULL; }

static int set_decay(const char *name, ssize_t ms) {
	return duckdb_je_mallctl(name, NULL, NULL, &ms, sizeof(ms));
}

static int get_decay(const char *name, ssize_t *ms) {
	size_t n = sizeof(*ms);
	return duckdb_je_mallctl(name, ms, &n, NULL, 0);
}

static int narenas(unsigned *n) {
	size_t len = sizeof(*n);
	return duckdb_je_mallctl("arenas.narenas", n, &len, NULL, 0);
}

// muzzy_all sets the muzzy decay of every arena made so far and of those
// made later; it returns the first error (0: none).
static int muzzy_all(ssize_t ms) {
	int rc = set_decay("arenas.muzzy_decay_ms", ms);
	if (rc != 0) return rc;
	unsigned n = 0;
	if ((rc = narenas(&n)) != 0) return rc;
	char name[64];
	for (unsigned i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "arena.%u.muzzy_decay_ms", i);
		set_decay(name, ms); // an arena not made yet takes the default above
	}
	return 0;
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// skipLazyFree sets jemalloc's muzzy decay to 0 in every arena.
func skipLazyFree() error {
	if C.has_jemalloc() == 0 {
		return nil
	}
	if rc := C.muzzy_all(0); rc != 0 {
		return fmt.Errorf("jemalloc: set muzzy_decay_ms: error %d", int(rc))
	}
	return nil
}

// muzzyDecay reads the muzzy decay (ms) of new arenas, or of arena i when
// i >= 0; ok is false without jemalloc.
func muzzyDecay(i int) (ms int64, ok bool, err error) {
	if C.has_jemalloc() == 0 {
		return 0, false, nil
	}
	name := "arenas.muzzy_decay_ms"
	if i >= 0 {
		name = fmt.Sprintf("arena.%d.muzzy_decay_ms", i)
	}
	cname := C.CString(name)
	defer C.free(unsafe.Pointer(cname))
	var v C.ssize_t
	if rc := C.get_decay(cname, &v); rc != 0 {
		return 0, true, fmt.Errorf("jemalloc: read %s: error %d", name, int(rc))
	}
	return int64(v), true, nil
}
