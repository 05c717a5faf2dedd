package engine

// DuckDB's jemalloc gives freed pages back in two steps a second apart
// each (its decay settings): first with MADV_FREE, which leaves them in
// the process's resident set until the kernel needs the memory, then with
// MADV_DONTNEED. With 24 GiB free the kernel never needs it, so an import
// showed about 100 MiB more RSS than it used (5.1M resources, three
// alternating pairs: peaks 1,527-1,653 MiB without the MADV_FREE step,
// 1,622-1,737 MiB with it, at the same speed; set in this init, 1,579 vs
// 1,673 MiB in a fourth pair). Without that step freed pages leave the
// resident set after the first second.
func init() { lazyFreeErr = skipLazyFree() }

// lazyFreeErr is why freed pages may stay resident (OpenStore logs it).
var lazyFreeErr error
