package engine

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/docstore"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// The store keeps a copy of each resource's current version in a
// docstore beside its database (reads by id look there first; see package
// docstore). The writer and imports put every new version into it after
// their DuckDB commit and before they acknowledge; the copy is marked
// current with a token that Close writes both into the database and into
// the copy, so a copy that missed writes (a crash) or belongs to another
// state of the database (a restored backup) is emptied and filled again
// from the tables in the background. While it fills, and after any failure
// to write it, reads go to DuckDB. It holds every resource ever stored:
// its current version, or its deletion, so a resource it lacks was never
// stored (nor imported, once the import is in it).

// docsDir is where the copy of the store whose database is at path lives.
func docsDir(path string) string { return strings.TrimSuffix(path, ".duckdb") + ".docs" }

// docsTokenKey names the copy's token in the database. Copies marked with
// the earlier key ("docs_token") did not hold deletions older than their
// fill: they are filled again.
const docsTokenKey = "docs_token_2"

const docsTokenKeyBefore = "docs_token"

// openDocs opens the copy and starts filling it when it is not current;
// called before the writer starts.
func (s *Store) openDocs(ctx context.Context) error {
	var token string
	err := s.db.QueryRowContext(ctx, fmt.Sprintf("SELECT value FROM %s.settings WHERE key = ?", internalSchema), docsTokenKey).Scan(&token)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("docs token: %w", err)
	}
	docs, current, err := docstore.Open(docsDir(s.path), token)
	if err != nil {
		return err
	}
	s.docs = docs
	// The token is good for one open: a database written by anything
	// that does not keep the copy (a crash before Close, an older
	// fhirlake) holds none, so its copy is not trusted next time.
	if _, err := s.db.ExecContext(ctx, fmt.Sprintf("DELETE FROM %s.settings WHERE key IN (?, ?)", internalSchema), docsTokenKey, docsTokenKeyBefore); err != nil {
		docs.Close("")
		return fmt.Errorf("docs token: %w", err)
	}
	// The pending writes are the newest versions of their resources: in
	// first, so a fill does not put older ones from the tables, and so a
	// current copy has them too when they came from elsewhere than the
	// write log (the pending table of a store written before it).
	var pending []staged
	for k, e := range s.pending.latest {
		pending = append(pending, staged{k, e})
	}
	s.putDocs(pending)
	if current {
		s.docsUsable()
		return nil
	}
	types, err := s.TypesWithData(ctx)
	if err != nil {
		docs.Close("")
		return err
	}
	if len(types) == 0 {
		s.docsUsable()
		return nil
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		start := time.Now()
		n, err := s.fillDocs(types)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				s.log.Error("fill the copy for reads by id", "err", err)
			}
			return
		}
		s.docsUsable()
		s.log.Info("copy for reads by id filled", "resources", n, "took", time.Since(start).Round(time.Millisecond))
	}()
	return nil
}

// fillDocs puts the current rows of the tables into the copy, and the
// deletions of resources without one from the histories, each unless the
// writer has put a newer version meanwhile.
func (s *Store) fillDocs(types []string) (int, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	l := s.docs.NewLoader()
	defer l.Close()
	n := 0
	for _, typ := range types {
		schema, err := s.b.Schema(typ)
		if err != nil {
			return n, err
		}
		rows, err := s.db.QueryContext(ctx, "SELECT id, version_id, last_updated, to_json(t)::VARCHAR FROM main."+fhirflat.QuoteIdent(schema.Table)+" t")
		if err != nil {
			return n, fmt.Errorf("fill %s: %w", typ, err)
		}
		for rows.Next() {
			var id string
			var d docstore.Doc
			var row sql.RawBytes
			if err := rows.Scan(&id, &d.VersionID, &d.LastUpdated, &row); err != nil {
				rows.Close()
				return n, fmt.Errorf("fill %s: %w", typ, err)
			}
			d.Row = row
			if err := l.Add(typ, id, d); err != nil {
				rows.Close()
				return n, err
			}
			n++
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return n, fmt.Errorf("fill %s: %w", typ, err)
		}
		deleted, err := s.fillDeletions(ctx, schema)
		if err != nil {
			return n, fmt.Errorf("fill %s: %w", typ, err)
		}
		n += deleted
	}
	return n, l.Flush()
}

// fillDeletions puts into the copy the resources of a type whose latest
// version is a deletion (they are only in the history table).
func (s *Store) fillDeletions(ctx context.Context, schema *fhirflat.Schema) (int, error) {
	rows, err := s.db.QueryContext(ctx, fmt.Sprintf(`SELECT id, max(version_id), arg_max(last_updated, version_id) FROM main.%s
WHERE id NOT IN (SELECT id FROM main.%s) GROUP BY id HAVING arg_max(deleted, version_id)`,
		fhirflat.QuoteIdent(fhirflat.HistoryTable(schema.ResourceType)), fhirflat.QuoteIdent(schema.Table)))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	b := s.docs.NewerBatch()
	n := 0
	for rows.Next() {
		var id string
		d := docstore.Doc{Deleted: true}
		if err := rows.Scan(&id, &d.VersionID, &d.LastUpdated); err != nil {
			return n, err
		}
		if err := b.Put(schema.ResourceType, id, d); err != nil {
			return n, err
		}
		if n++; n%10000 == 0 {
			if err := b.Commit(); err != nil {
				return n, err
			}
			b = s.docs.NewerBatch()
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, b.Commit()
}

// copyAnswer is what the copy for reads by id says about a resource.
type copyAnswer uint8

const (
	copyCannotSay copyAnswer = iota // not in use, unreadable, or an import is being put in it: ask the database
	copyHas                         // its latest version, which may be a deletion
	copyLacks                       // it was never stored
)

// lookupDoc finds a resource in the copy. A resource the copy lacks is
// trusted never to have been stored only while the copy is in use and no
// import is between its commit and the copy (importing): every other way
// into the tables passes the copy first.
func (s *Store) lookupDoc(typ, id string) (docstore.Doc, copyAnswer) {
	if !s.docsReady.Load() {
		return docstore.Doc{}, copyCannotSay
	}
	d, ok, err := s.docs.Get(typ, id)
	switch {
	case err != nil:
		s.log.Warn("read from the copy for reads by id", "err", err)
		return docstore.Doc{}, copyCannotSay
	case ok:
		return d, copyHas
	case s.importing.Load() == 0 && s.docsReady.Load():
		return docstore.Doc{}, copyLacks
	}
	return docstore.Doc{}, copyCannotSay
}

// readDoc reads a resource from the copy: with copyHas, the resource or a
// *GoneError; with copyLacks, a *NotFoundError.
func (s *Store) readDoc(schema *fhirflat.Schema, typ, id string) (*Resource, copyAnswer, error) {
	d, said := s.lookupDoc(typ, id)
	switch {
	case said == copyLacks:
		return nil, said, &NotFoundError{Type: typ, ID: id}
	case said != copyHas:
		return nil, said, nil
	case d.Deleted:
		return nil, said, &GoneError{Type: typ, ID: id, VersionID: d.VersionID}
	}
	r, err := s.fromPending(schema, key{typ, id}, &pendingEntry{versionID: d.VersionID, lastUpdated: d.LastUpdated, row: d.Row})
	if err != nil {
		s.log.Warn("read from the copy for reads by id", "type", typ, "id", id, "err", err)
		return nil, copyCannotSay, nil
	}
	return r, copyHas, nil
}

// docsUsable lets reads use the copy, unless a write to it has failed.
func (s *Store) docsUsable() {
	s.docsMu.Lock()
	defer s.docsMu.Unlock()
	if !s.docsBroken.Load() {
		s.docsReady.Store(true)
	}
}

// docsFailed stops reads from using the copy after a write to it failed:
// it no longer holds every new version. The next open fills it again.
func (s *Store) docsFailed(err error) {
	s.docsMu.Lock()
	s.docsBroken.Store(true)
	s.docsReady.Store(false)
	s.docsMu.Unlock()
	s.log.Error("write to the copy for reads by id; reads go to the database until the store reopens", "err", err)
}

// putDocs puts the versions the writer committed.
func (s *Store) putDocs(rows []staged) {
	if s.docsBroken.Load() {
		return
	}
	b := s.docs.NewBatch()
	for _, st := range rows {
		e := st.entry
		put := b.Put
		if e.versionID == 1 { // no version was stored before (write.go)
			put = b.PutFirst
		}
		if err := put(st.k.typ, st.k.id, docstore.Doc{VersionID: e.versionID, LastUpdated: e.lastUpdated, Deleted: e.deleted, Row: e.row}); err != nil {
			s.docsFailed(err)
			return
		}
	}
	if err := b.Commit(); err != nil {
		s.docsFailed(err)
	}
}

// importedFile is a file an import committed, with the versions its rows got.
type importedFile struct {
	typ      string
	file     ImportFile
	versions map[string]int64 // ids that had versions before; others are version 1
}

// putImported puts the rows of committed import files, in the order they
// were loaded (a later file's version of a resource is the newer one).
func (s *Store) putImported(files []importedFile, now time.Time) {
	if s.docsBroken.Load() {
		return
	}
	b := s.docs.NewBatch()
	for _, f := range files {
		if err := putImportFile(s.docs, b, f, now); err != nil {
			s.docsFailed(err)
			return
		}
	}
	if err := b.Commit(); err != nil {
		s.docsFailed(err)
	}
}

// putImportFile puts the rows of one file. The copy takes the file
// itself when it can (a rename) and keeps only where each row is.
func putImportFile(docs *docstore.Store, b *docstore.Batch, f importedFile, now time.Time) error {
	lengths, err := lineLengths(f.file.Path, len(f.file.IDs))
	if err != nil {
		return err
	}
	doc := func(id string) (docstore.Doc, bool) {
		if v, ok := f.versions[id]; ok {
			return docstore.Doc{VersionID: v, LastUpdated: now}, false
		}
		return docstore.Doc{VersionID: 1, LastUpdated: now}, true
	}
	if seg, err := docs.TakeSegment(f.file.Path); err == nil {
		off := int64(0)
		for i, id := range f.file.IDs {
			d, fresh := doc(id)
			if err := b.PutInSegment(f.typ, id, d, seg, off, int64(lengths[i]), fresh); err != nil {
				return err
			}
			off += int64(lengths[i]) + 1
		}
		return nil
	}
	// another file system: the rows themselves go into the copy
	in, err := os.Open(f.file.Path)
	if err != nil {
		return err
	}
	defer in.Close()
	r := bufio.NewReaderSize(in, 1<<20)
	var row []byte
	for i, id := range f.file.IDs {
		row = slices.Grow(row[:0], lengths[i]+1)[:lengths[i]+1]
		if _, err := io.ReadFull(r, row); err != nil {
			return fmt.Errorf("%s: %w", f.file.Path, err)
		}
		d, _ := doc(id)
		d.Row = row[:lengths[i]]
		if err := b.Put(f.typ, id, d); err != nil {
			return err
		}
	}
	return nil
}

// lineLengths returns the length of each line of a file of n lines.
func lineLengths(path string, n int) ([]int, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	lengths := make([]int, 0, n)
	buf := make([]byte, 1<<20)
	cur := 0
	for {
		k, err := in.Read(buf)
		chunk := buf[:k]
		for {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				cur += len(chunk)
				break
			}
			lengths = append(lengths, cur+i)
			cur = 0
			chunk = chunk[i+1:]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	if cur != 0 || len(lengths) != n {
		return nil, fmt.Errorf("%s: %d rows (and %d bytes after the last line) for %d ids", path, len(lengths), cur, n)
	}
	return lengths, nil
}

// closeDocs marks the copy current with a new token, stored in the
// database first; called with the writer and merger stopped.
func (s *Store) closeDocs() error {
	token := ""
	if s.docsReady.Load() && !s.docsBroken.Load() {
		var raw [16]byte
		_, _ = rand.Read(raw[:])
		t := hex.EncodeToString(raw[:])
		_, err := s.db.Exec(fmt.Sprintf("INSERT OR REPLACE INTO %s.settings VALUES (?, ?)", internalSchema), docsTokenKey, t)
		if err != nil {
			s.log.Warn("record the copy's token", "err", err)
		} else {
			token = t
		}
	}
	return s.docs.Close(token)
}

// CurrentVersions returns resources of a type at the given versions from
// the read cache or the copy for reads by id, in order, for a search that
// picked ids and versions in SQL. ok is false when any of them is not
// there at that version; the caller then reads the page from the tables.
func (s *Store) CurrentVersions(typ string, ids []string, versions []int64) (out []*Resource, ok bool) {
	schema, err := s.b.Schema(typ)
	if err != nil {
		return nil, false
	}
	out = make([]*Resource, len(ids))
	for i, id := range ids {
		k := key{typ, id}
		if r := s.cache.get(k); r != nil && r.VersionID == versions[i] {
			out[i] = r
			continue
		}
		gen := s.cache.generation()
		r, said, err := s.readDoc(schema, typ, id)
		if said != copyHas || err != nil || r.VersionID != versions[i] {
			return nil, false
		}
		s.cache.put(k, r, gen)
		out[i] = r
	}
	return out, true
}
