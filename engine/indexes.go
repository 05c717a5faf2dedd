package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/duckdb/duckdb-go/v2"
)

// The primary-key indexes DuckDB keeps in memory, in the tables of stores
// made by an earlier fhirlake (tables now have none: fhirflat.CreateTable
// says why; a table rebuilt to grow a nested field loses its key).
//
// DuckDB loads a table's primary-key index (an adaptive radix tree, about
// 90 bytes a row for UUID ids) whole the first time a statement uses it
// and keeps it until a checkpoint writes it back to the file; meanwhile it
// counts against memory_limit and cannot be evicted. Merges and imports use
// the indexes of the types they write, and the store checkpoints only when
// its WAL reaches 1 GB, so it would come to hold the index of every type it
// wrote; once together they pass the limit, every write fails with DuckDB's
// out-of-memory error. A checkpoint before a merge or an import lets go of
// the indexes of the other types, so what has to fit is the index of the
// types being written, not of all of them. An import that runs out of
// memory all the same is loaded again after a checkpoint (import.go).

// indexShare: checkpoint once resident indexes hold more than a
// 1/indexShare of memory_limit and some belong to types not being written.
// Half leaves the other half to the load's working memory; checkpointing
// earlier costs memory too (a checkpoint during a 5.1M import raised the
// process's RSS by about 250 MB, outside DuckDB's buffers).
const indexShare = 2

// residentIndexes is what the store knows of its resident indexes. Only
// the merge connection's owner (mergeMu) uses it.
type residentIndexes struct {
	limit   int64               // memory_limit in bytes; 0: unknown
	written map[string]struct{} // types merged or imported since the last checkpoint
}

// readMemoryLimit reads DuckDB's memory_limit.
func (s *Store) readMemoryLimit(ctx context.Context) error {
	var v string
	if err := s.db.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&v); err != nil {
		return fmt.Errorf("memory limit: %w", err)
	}
	n, err := parseByteSize(v)
	if err != nil {
		return fmt.Errorf("memory limit: %w", err)
	}
	s.indexes.limit = n
	return nil
}

// relieveIndexes checkpoints, before types are written, when the resident
// indexes pass their share of the limit and some are of other types.
// Called with mergeMu held, outside a transaction. A failed checkpoint is
// only logged: the write may still fit.
func (s *Store) relieveIndexes(ctx context.Context, types []string) {
	if s.indexes.written == nil {
		s.indexes.written = map[string]struct{}{}
	}
	defer func() {
		for _, t := range types {
			s.indexes.written[t] = struct{}{}
		}
	}()
	if s.indexes.limit <= 0 || !hasOther(s.indexes.written, types) {
		return
	}
	var resident int64
	if err := s.mergeConn.QueryRowContext(ctx, "SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory() WHERE tag = 'ART_INDEX'").Scan(&resident); err != nil {
		s.log.Warn("resident indexes", "err", err)
		return
	}
	if resident*indexShare <= s.indexes.limit {
		return
	}
	s.checkpointForMemory(ctx)
}

// checkpointForMemory checkpoints, which lets go of every resident index
// and compresses the rows waiting in the WAL, and says whether it did.
// Called with mergeMu held, outside a transaction.
func (s *Store) checkpointForMemory(ctx context.Context) bool {
	if _, err := s.mergeConn.ExecContext(ctx, "CHECKPOINT"); err != nil {
		s.log.Warn("checkpoint to free memory", "err", err)
		return false
	}
	s.log.Debug("checkpointed to free memory", "limit", s.indexes.limit)
	clear(s.indexes.written)
	return true
}

// hasOther says whether set has a member not in types.
func hasOther(set map[string]struct{}, types []string) bool {
	if len(set) > len(types) {
		return true
	}
	for t := range set {
		if !slices.Contains(types, t) {
			return true
		}
	}
	return false
}

// outOfMemory says whether err is DuckDB running out of its memory limit
// (at commit it reports a transaction error that failed to allocate).
func outOfMemory(err error) bool {
	var de *duckdb.Error
	return errors.As(err, &de) && (de.Type == duckdb.ErrorTypeOutOfMemory || strings.Contains(de.Msg, "failed to allocate"))
}

// withMemoryHint adds what to do to an error of DuckDB running out of its
// memory limit.
func (s *Store) withMemoryHint(err error) error {
	if !outOfMemory(err) {
		return err
	}
	limit := "its memory limit"
	if s.indexes.limit > 0 {
		limit = fmt.Sprintf("its memory limit (%d MiB)", s.indexes.limit>>20)
	}
	return fmt.Errorf("%w [the data store's DuckDB ran out of %s; give it more with fhirlake serve --memory-limit]", err, limit)
}

// parseByteSize reads a size as DuckDB prints it ("953.6 MiB", "1.0 GiB",
// "512 bytes") or as it is set ("2GB").
func parseByteSize(v string) (int64, error) {
	s := strings.TrimSpace(v)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || num < 0 {
		return 0, fmt.Errorf("size %q: no number", v)
	}
	unit := strings.ToLower(strings.TrimSpace(s[i:]))
	mult := map[string]float64{
		"": 1, "b": 1, "byte": 1, "bytes": 1,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}[unit]
	if mult == 0 {
		return 0, fmt.Errorf("size %q: unknown unit %q", v, unit)
	}
	n := num * mult
	if n >= 1<<62 {
		return 0, fmt.Errorf("size %q: too large", v)
	}
	return int64(n), nil
}
