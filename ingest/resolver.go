package ingest

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// A conditional reference (Practitioner?identifier=system|value) or a
// conditional create (ifNoneExist: identifier=system|value) names
// resources by identifier. Import resolves those against the resources
// already stored and those of earlier Bundles of the same job.

// condQuery is a search by identifier.
type condQuery struct {
	typ       string
	system    string
	value     string
	anySystem bool // identifier=value: any system
}

func (q condQuery) String() string {
	if q.anySystem {
		return q.typ + "?identifier=" + q.value
	}
	return q.typ + "?identifier=" + q.system + "|" + q.value
}

// parseConditional reads a conditional reference Type?identifier=...
func parseConditional(ref string) (condQuery, error) {
	typ, query, ok := strings.Cut(ref, "?")
	if !ok || typ == "" {
		return condQuery{}, fmt.Errorf("%q is not a conditional reference (Type?search)", ref)
	}
	return parseSearch(typ, query)
}

// parseSearch reads the search of a conditional reference or create. Only
// a single identifier parameter is supported.
func parseSearch(typ, query string) (condQuery, error) {
	if strings.Contains(query, "&") {
		return condQuery{}, fmt.Errorf("conditional search %q has several parameters; import resolves only identifier=[system|]value", query)
	}
	name, value, ok := strings.Cut(query, "=")
	if !ok || name != "identifier" {
		return condQuery{}, fmt.Errorf("conditional search %q is not supported; import resolves only identifier=[system|]value", query)
	}
	v, err := url.PathUnescape(value)
	if err != nil {
		return condQuery{}, fmt.Errorf("conditional search %q: %w", query, err)
	}
	q := condQuery{typ: typ}
	if i := unescapedPipe(v); i >= 0 {
		q.system, q.value = unescapeToken(v[:i]), unescapeToken(v[i+1:])
	} else {
		q.value, q.anySystem = unescapeToken(v), true
	}
	if q.value == "" {
		return condQuery{}, fmt.Errorf("conditional search %q has no identifier value", query)
	}
	return q, nil
}

func unescapedPipe(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if s[i] == '|' {
			return i
		}
	}
	return -1
}

func unescapeToken(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	r := strings.NewReplacer(`\|`, `|`, `\,`, `,`, `\$`, `$`, `\\`, `\`)
	return r.Replace(s)
}

// identifier is one Identifier of a resource.
type identifier struct{ system, value string }

// identIndex holds the identifiers of the resources of a job's Bundles
// that the assembler has accepted, in input order.
type identIndex struct {
	mu      sync.Mutex
	byValue map[string][]identRef // typ + "\x00" + value
	// assembled is the sequence number of the last unit the assembler took.
	assembled int64
	cond      *sync.Cond
	aborted   bool
}

type identRef struct{ system, id string }

func newIdentIndex() *identIndex {
	x := &identIndex{byValue: map[string][]identRef{}}
	x.cond = sync.NewCond(&x.mu)
	return x
}

func (x *identIndex) add(typ, id string, ids []identifier) {
	x.mu.Lock()
	for _, i := range ids {
		k := typ + "\x00" + i.value
		x.byValue[k] = append(x.byValue[k], identRef{system: i.system, id: id})
	}
	x.mu.Unlock()
}

// advance records that unit seq has been assembled.
func (x *identIndex) advance(seq int64) {
	x.mu.Lock()
	x.assembled = seq
	x.cond.Broadcast()
	x.mu.Unlock()
}

// abort wakes waiters when the pipeline stops.
func (x *identIndex) abort() {
	x.mu.Lock()
	x.aborted = true
	x.cond.Broadcast()
	x.mu.Unlock()
}

// waitFor waits until every unit before seq is assembled.
func (x *identIndex) waitFor(seq int64) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	for x.assembled < seq-1 && !x.aborted {
		x.cond.Wait()
	}
	return !x.aborted
}

func (x *identIndex) lookup(q condQuery) []string {
	x.mu.Lock()
	defer x.mu.Unlock()
	var out []string
	for _, r := range x.byValue[q.typ+"\x00"+q.value] {
		if q.anySystem || r.system == q.system {
			out = append(out, r.id)
		}
	}
	return out
}

// resolver answers conditional searches for the Bundle unit seq: from
// the job's index (waiting for earlier units when nothing matches yet)
// and from the store.
type resolver struct {
	index *identIndex
	store *engine.Store
}

// resolve returns the ids matching each query, sorted and distinct.
func (r *resolver) resolve(ctx context.Context, seq int64, qs []condQuery) (map[condQuery][]string, error) {
	out := make(map[condQuery][]string, len(qs))
	var missing []condQuery
	for _, q := range qs {
		if ids := r.index.lookup(q); len(ids) > 0 {
			out[q] = ids
		} else {
			missing = append(missing, q)
		}
	}
	if len(missing) > 0 {
		if !r.index.waitFor(seq) {
			return nil, context.Canceled
		}
		for _, q := range missing {
			out[q] = r.index.lookup(q)
		}
	}
	stored, err := r.stored(ctx, qs)
	if err != nil {
		return nil, err
	}
	for q, ids := range stored {
		out[q] = append(out[q], ids...)
	}
	for q, ids := range out {
		sort.Strings(ids)
		out[q] = compactStrings(ids)
	}
	return out, nil
}

func compactStrings(s []string) []string {
	if len(s) < 2 {
		return s
	}
	j := 1
	for i := 1; i < len(s); i++ {
		if s[i] != s[j-1] {
			s[j] = s[i]
			j++
		}
	}
	return s[:j]
}

// stored looks the queries up in the store's tables, one query per type.
func (r *resolver) stored(ctx context.Context, qs []condQuery) (map[condQuery][]string, error) {
	if r.store == nil || len(qs) == 0 {
		return nil, nil
	}
	byType := map[string][]condQuery{}
	for _, q := range qs {
		byType[q.typ] = append(byType[q.typ], q)
	}
	if err := r.store.Sync(ctx); err != nil {
		return nil, err
	}
	out := map[condQuery][]string{}
	for typ, list := range byType {
		schema, err := r.store.Builder().Schema(typ)
		if err != nil {
			return nil, fmt.Errorf("%s is not a resource type", typ)
		}
		layout, err := r.store.Layout(typ)
		if err != nil {
			return nil, err
		}
		idf := schema.Field("identifier")
		if idf == nil || !layout.Has(idf) || idf.Field("value") == nil || !layout.Has(idf.Field("value")) {
			continue // no stored resource of this type has an identifier value
		}
		hasSystem := idf.Field("system") != nil && layout.Has(idf.Field("system"))
		values := make([]string, 0, len(list))
		for _, q := range list {
			values = append(values, fhirflat.QuoteString(q.value))
		}
		system := "NULL"
		if hasSystem {
			system = "i.system"
		}
		query := fmt.Sprintf(`SELECT id, %s, i.value FROM (SELECT id, unnest(identifier) AS i FROM main.%s) WHERE i.value IN (%s)`,
			system, fhirflat.QuoteIdent(schema.Table), strings.Join(values, ", "))
		rows, err := r.store.DB().QueryContext(ctx, query)
		if err != nil {
			return nil, fmt.Errorf("look up %s identifiers: %w", typ, err)
		}
		found := map[string][]identRef{}
		for rows.Next() {
			var id string
			var sys, val *string
			if err := rows.Scan(&id, &sys, &val); err != nil {
				rows.Close()
				return nil, err
			}
			if val == nil {
				continue
			}
			ref := identRef{id: id}
			if sys != nil {
				ref.system = *sys
			}
			found[*val] = append(found[*val], ref)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, q := range list {
			for _, ref := range found[q.value] {
				if q.anySystem || ref.system == q.system {
					out[q] = append(out[q], ref.id)
				}
			}
		}
	}
	return out, nil
}
