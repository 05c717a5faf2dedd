//go:build !linux

package engine

// DuckDB links jemalloc only in its Linux builds.
func skipLazyFree() error { return nil }

func muzzyDecay(int) (int64, bool, error) { return 0, false, nil }
