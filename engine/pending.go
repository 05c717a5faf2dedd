package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// pendingIndex holds the acknowledged writes the merger has not moved into
// the typed tables yet (their durable copy is the write log): every
// version in commit order for the merge, and the latest version of each
// resource, so reads see acknowledged writes before they are merged.
type pendingIndex struct {
	mu       sync.RWMutex
	unmerged []staged // in seq order
	latest   map[key]*pendingEntry
	lastSeq  int64 // highest seq committed to the write log
	merged   int64 // highest seq moved into the typed tables
	cond     *sync.Cond
	// failed counts the merger's merges that failed, and mergeErr is the
	// error of its last merge (nil when it succeeded): a Sync that sees a
	// merge fail after it began returns that error instead of waiting for
	// a merge that may never succeed (the disk full). A merge that
	// succeeds moves every write pending when it began, so such a Sync
	// finds its writes merged before it could find mergeErr cleared.
	failed   int64
	mergeErr error
	// lastTime is the lastUpdated of the writes at lastSeq, or of the
	// latest import: the writer's clock only moves forward, so every
	// write stamped at or before it is at or before lastSeq.
	lastTime time.Time
	// changed is, per type, the latest lastUpdated the typed tables may
	// hold (of merged or imported writes).
	changed map[string]time.Time
	// fields is, per type, every field the pending rows have: the columns
	// the merge must make sure the tables have.
	fields map[string]fhirflat.Bits
}

type key struct{ typ, id string }

type pendingEntry struct {
	seq         int64
	versionID   int64
	lastUpdated time.Time
	deleted     bool
	row         []byte // row JSON (nil when deleted)
	fields      fhirflat.Bits
}

func (p *pendingIndex) init() {
	p.latest = map[key]*pendingEntry{}
	p.fields = map[string]fhirflat.Bits{}
	p.cond = sync.NewCond(&p.mu)
	p.changed = map[string]time.Time{}
	p.lastTime = time.Now().UTC() // the writer stamps later writes later
}

func (p *pendingIndex) get(typ, id string) *pendingEntry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.latest[key{typ, id}]
}

// addFields records the fields of a pending row of a type; called with mu held.
func (p *pendingIndex) addFields(typ string, f fhirflat.Bits) {
	if f == nil {
		return
	}
	u := p.fields[typ]
	if len(u) < len(f) {
		grown := make(fhirflat.Bits, len(f))
		copy(grown, u)
		u = grown
		p.fields[typ] = u
	}
	u.Or(f)
}

// add records a write committed to the log; called with mu held.
func (p *pendingIndex) add(st staged) {
	p.unmerged = append(p.unmerged, st)
	p.latest[st.k] = st.entry
	p.addFields(st.k.typ, st.entry.fields)
	p.lastSeq = st.entry.seq
	if st.entry.lastUpdated.After(p.lastTime) {
		p.lastTime = st.entry.lastUpdated
	}
}

// version finds a pending version of a resource; called with mu held.
func (p *pendingIndex) version(k key, version int64) *pendingEntry {
	for i := len(p.unmerged) - 1; i >= 0; i-- {
		if st := p.unmerged[i]; st.k == k && st.entry.versionID == version {
			return st.entry
		}
	}
	return nil
}

// dropMerged forgets the writes up to seq upto, now in the tables; called
// with mu held.
func (p *pendingIndex) dropMerged(upto int64) {
	n := 0
	for n < len(p.unmerged) && p.unmerged[n].entry.seq <= upto {
		n++
	}
	rest := make([]staged, len(p.unmerged)-n, max(len(p.unmerged)-n, 64))
	copy(rest, p.unmerged[n:])
	p.unmerged = rest
	for k, e := range p.latest {
		if e.seq <= upto {
			delete(p.latest, k)
		}
	}
	p.merged = upto
}

// loadPending rebuilds the index after a restart from the write log: the
// writes after the last one the merges recorded. Rows left in the pending
// table by a store written before the log existed are read first and
// moved into the log.
func (s *Store) loadPending(ctx context.Context) error {
	s.pending.init()
	var merged *int64
	err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT value::BIGINT FROM %s.settings WHERE key = 'last_seq'", internalSchema)).Scan(&merged)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("load pending: %w", err)
	}
	if merged != nil {
		s.pending.lastSeq, s.pending.merged = *merged, *merged
	}
	legacy, err := s.pendingTableRows(ctx, s.pending.merged)
	if err != nil {
		return err
	}
	for _, st := range legacy {
		s.pending.add(st)
	}
	if s.wlog, err = openWriteLog(writesDir(s.path), s.pending.lastSeq, func(r logRecord) error {
		s.pending.add(staged{r.k, r.e})
		return nil
	}); err != nil {
		return fmt.Errorf("load pending: %w", err)
	}
	if len(legacy) > 0 {
		// in the log first: a crash in between reads them twice, and the
		// log skips the seqs it has
		if err := s.wlog.append(legacy); err != nil {
			return fmt.Errorf("load pending: %w", err)
		}
		if _, err := s.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.pending", internalSchema)); err != nil {
			return fmt.Errorf("load pending: %w", err)
		}
	}
	return nil
}

// pendingTableRows reads the rows after seq merged in the pending table.
func (s *Store) pendingTableRows(ctx context.Context, merged int64) ([]staged, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(
		"SELECT seq, type, id, version_id, last_updated, deleted, row, fields FROM %s.pending WHERE seq > ? ORDER BY seq", internalSchema), merged)
	if err != nil {
		return nil, fmt.Errorf("load pending: %w", err)
	}
	defer rows.Close()
	var out []staged
	for rows.Next() {
		e := &pendingEntry{}
		var k key
		var row *string
		var fields []byte
		if err := rows.Scan(&e.seq, &k.typ, &k.id, &e.versionID, &e.lastUpdated, &e.deleted, &row, &fields); err != nil {
			return nil, fmt.Errorf("load pending: %w", err)
		}
		if row != nil {
			e.row = []byte(*row)
		}
		if fields != nil {
			b, err := fhirflat.BitsFromBytes(fields)
			if err != nil {
				return nil, fmt.Errorf("load pending %s/%s: %w", k.typ, k.id, err)
			}
			e.fields = b
		}
		out = append(out, staged{k, e})
	}
	return out, rows.Err()
}

// tablesChanged records that writes of some types stamped up to t are in
// the typed tables; called with mu held.
func (p *pendingIndex) tablesChanged(types []string, t time.Time) {
	for _, typ := range types {
		if t.After(p.changed[typ]) {
			p.changed[typ] = t
		}
	}
	if t.After(p.lastTime) {
		p.lastTime = t
	}
}

// ChangedAfter says whether the typed table of a type may hold a write
// stamped after t: one merged or imported since the instant SyncAt gave.
// A search that read the table then reads it again as of t (search's
// snapshot), so that its first page is what the pages after it see.
func (s *Store) ChangedAfter(typ string, t time.Time) bool {
	s.pending.mu.RLock()
	defer s.pending.mu.RUnlock()
	return s.pending.changed[typ].After(t)
}
