package engine

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// pendingIndex is the in-memory view of the pending table: the latest
// pending version of each resource, so reads see acknowledged writes
// before the merger has moved them into the typed tables.
type pendingIndex struct {
	mu      sync.RWMutex
	latest  map[key]*pendingEntry
	lastSeq int64 // highest seq committed to the pending table
	merged  int64 // highest seq moved into the typed tables
	count   int   // rows in the pending table
	cond    *sync.Cond
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

// loadPending rebuilds the index from the pending table after a restart.
func (s *Store) loadPending(ctx context.Context) error {
	s.pending.init()
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(
		"SELECT seq, type, id, version_id, last_updated, deleted, row, fields FROM %s.pending ORDER BY seq", internalSchema))
	if err != nil {
		return fmt.Errorf("load pending: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var e pendingEntry
		var k key
		var row *string
		var fields []byte
		if err := rows.Scan(&e.seq, &k.typ, &k.id, &e.versionID, &e.lastUpdated, &e.deleted, &row, &fields); err != nil {
			return fmt.Errorf("load pending: %w", err)
		}
		if row != nil {
			e.row = []byte(*row)
		}
		if fields != nil {
			b, err := fhirflat.BitsFromBytes(fields)
			if err != nil {
				return fmt.Errorf("load pending %s/%s: %w", k.typ, k.id, err)
			}
			s.pending.addFields(k.typ, b)
		}
		s.pending.latest[k] = &e
		s.pending.lastSeq = e.seq
		if e.lastUpdated.After(s.pending.lastTime) {
			s.pending.lastTime = e.lastUpdated
		}
		s.pending.count++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load pending: %w", err)
	}
	if s.pending.count == 0 {
		var maxSeq *int64
		// seq keeps growing across merges so that versions stay ordered
		if err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT value::BIGINT FROM %s.settings WHERE key = 'last_seq'", internalSchema)).Scan(&maxSeq); err == nil && maxSeq != nil {
			s.pending.lastSeq = *maxSeq
		}
	}
	s.pending.merged = s.pending.lastSeq - int64(s.pending.count)
	if s.pending.count > 0 {
		// the earliest pending seq minus one is what was merged before
		var minSeq int64
		if err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT min(seq) FROM %s.pending", internalSchema)).Scan(&minSeq); err == nil {
			s.pending.merged = minSeq - 1
		}
	}
	return nil
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
