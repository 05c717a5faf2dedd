// Package engine stores FHIR data stores: a catalog of data stores, and for
// each one a DuckDB database with a typed table per resource type.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// Config configures an Engine.
type Config struct {
	Dir   string // the data directory
	Store StoreOptions
	// Preload fills a new data store whose PreloadDataConfig asks for
	// synthetic data; nil makes such a request fail.
	Preload func(ctx context.Context, s *Store, preloadType string) error
	// OnCreate sets up a new data store before it becomes ACTIVE (the
	// default views).
	OnCreate func(ctx context.Context, s *Store) error
	Logger   *slog.Logger
}

// Engine manages the data stores under one data directory.
type Engine struct {
	cfg     Config
	layout  Layout
	catalog *catalog
	b       *fhirflat.Builder
	log     *slog.Logger

	mu     sync.Mutex
	stores map[string]*Store // open (ACTIVE) stores
	wg     sync.WaitGroup    // background creations and deletions
	ctx    context.Context
	cancel context.CancelFunc
}

// Open opens the data directory, its catalog and every active data store,
// and finishes creations and deletions a previous run left half done.
func Open(ctx context.Context, cfg Config) (*Engine, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Store.Logger = cfg.Logger
	layout := Layout{Dir: cfg.Dir}
	if err := layout.Ensure(); err != nil {
		return nil, err
	}
	cat, err := openCatalog(ctx, layout.Catalog())
	if err != nil {
		return nil, err
	}
	_ = os.Chmod(layout.Catalog(), 0o600)
	e := &Engine{cfg: cfg, layout: layout, catalog: cat, b: fhirflat.Default(), log: cfg.Logger, stores: map[string]*Store{}}
	e.ctx, e.cancel = context.WithCancel(context.Background())
	all, err := cat.list(ctx)
	if err != nil {
		cat.close()
		return nil, err
	}
	for _, d := range all {
		switch d.Status {
		case Active:
			s, err := OpenStore(ctx, d.ID, layout.Store(d.ID), layout.Staging(d.ID), e.b, cfg.Store)
			if err != nil {
				e.Close()
				return nil, err
			}
			e.stores[d.ID] = s
		case Creating:
			e.startCreate(d)
		case Deleting:
			e.startDelete(d.ID)
		}
	}
	return e, nil
}

// Close stops background work and closes every store and the catalog.
func (e *Engine) Close() error {
	e.cancel()
	e.wg.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	var first error
	for id, s := range e.stores {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
		delete(e.stores, id)
	}
	if err := e.catalog.close(); err != nil && first == nil {
		first = err
	}
	return first
}

// Layout tells where the engine keeps its files.
func (e *Engine) Layout() Layout { return e.layout }

// CreateRequest is what a new data store is made from.
type CreateRequest struct {
	Name                          string
	TypeVersion                   string
	ClientToken                   string
	SseConfiguration              json.RawMessage
	PreloadDataConfig             json.RawMessage
	IdentityProviderConfiguration json.RawMessage
	Tags                          []Tag
}

// NewID returns a data store or job id: 32 lower-case hex digits.
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// CreateDatastore records a new data store as CREATING and creates it in
// the background. A request with a ClientToken already used returns the
// data store that token created.
func (e *Engine) CreateDatastore(ctx context.Context, req CreateRequest) (*Datastore, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if req.ClientToken != "" {
		d, err := e.catalog.byClientToken(ctx, req.ClientToken)
		if err != nil || d != nil {
			return d, err
		}
	}
	d := &Datastore{
		ID: NewID(), Name: req.Name, Status: Creating, TypeVersion: req.TypeVersion,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond), ClientToken: req.ClientToken,
		SseConfiguration: req.SseConfiguration, PreloadDataConfig: req.PreloadDataConfig,
		IdentityProviderConfiguration: req.IdentityProviderConfiguration,
	}
	if err := e.catalog.insert(ctx, d, req.Tags); err != nil {
		return nil, err
	}
	e.startCreate(d)
	return d, nil
}

func (e *Engine) startCreate(d *Datastore) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := e.create(e.ctx, d); err != nil {
			e.log.Error("create data store failed", "datastore", d.ID, "err", err)
			cause := &ErrorCause{ErrorMessage: err.Error(), ErrorCategory: "NON_RETRYABLE_ERROR"}
			if err := e.catalog.setStatus(context.Background(), d.ID, CreateFailed, cause); err != nil {
				e.log.Error("record failure", "datastore", d.ID, "err", err)
			}
		}
	}()
}

func (e *Engine) create(ctx context.Context, d *Datastore) error {
	// A creation interrupted by a restart starts again from an empty database.
	for _, f := range e.layout.StoreFiles(d.ID) {
		_ = os.RemoveAll(f)
	}
	s, err := OpenStore(ctx, d.ID, e.layout.Store(d.ID), e.layout.Staging(d.ID), e.b, e.cfg.Store)
	if err != nil {
		return err
	}
	if preload := preloadType(d.PreloadDataConfig); preload != "" {
		if e.cfg.Preload == nil {
			s.Close()
			return fmt.Errorf("preloading %s data is not available", preload)
		}
		if err := e.cfg.Preload(ctx, s, preload); err != nil {
			s.Close()
			return fmt.Errorf("preload %s: %w", preload, err)
		}
		if err := s.Sync(ctx); err != nil {
			s.Close()
			return err
		}
	}
	if e.cfg.OnCreate != nil {
		if err := e.cfg.OnCreate(ctx, s); err != nil {
			s.Close()
			return err
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := ctx.Err(); err != nil {
		s.Close()
		return err
	}
	if err := e.catalog.setStatus(context.Background(), d.ID, Active, nil); err != nil {
		s.Close()
		return err
	}
	e.stores[d.ID] = s
	return nil
}

func preloadType(cfg json.RawMessage) string {
	var p struct{ PreloadDataType string }
	if len(cfg) == 0 || json.Unmarshal(cfg, &p) != nil {
		return ""
	}
	return p.PreloadDataType
}

// Datastore returns a data store's record.
func (e *Engine) Datastore(ctx context.Context, id string) (*Datastore, error) {
	return e.catalog.get(ctx, id)
}

// Datastores lists every data store, oldest first.
func (e *Engine) Datastores(ctx context.Context) ([]*Datastore, error) {
	return e.catalog.list(ctx)
}

// Store returns the open store of an ACTIVE data store.
func (e *Engine) Store(ctx context.Context, id string) (*Store, error) {
	e.mu.Lock()
	s := e.stores[id]
	e.mu.Unlock()
	if s != nil {
		return s, nil
	}
	if _, err := e.catalog.get(ctx, id); err != nil {
		return nil, err
	}
	return nil, ErrStoreNotActive
}

// ActiveStores lists the open stores with their records.
func (e *Engine) ActiveStores(ctx context.Context) ([]*Datastore, error) {
	all, err := e.catalog.list(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Datastore
	for _, d := range all {
		if d.Status == Active {
			out = append(out, d)
		}
	}
	return out, nil
}

// DeleteDatastore marks an ACTIVE (or failed) data store DELETING and
// removes it in the background; its record stays, as DELETED.
func (e *Engine) DeleteDatastore(ctx context.Context, id string) (*Datastore, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, err := e.catalog.get(ctx, id)
	if err != nil {
		return nil, err
	}
	switch d.Status {
	case Active, CreateFailed:
	default:
		return nil, &StateError{ID: id, Status: d.Status}
	}
	if err := e.catalog.setStatus(ctx, id, Deleting, nil); err != nil {
		return nil, err
	}
	d.Status = Deleting
	e.startDelete(id)
	return d, nil
}

// StateError says an operation does not fit a data store's state.
type StateError struct{ ID, Status string }

func (e *StateError) Error() string {
	return fmt.Sprintf("data store %s is %s", e.ID, e.Status)
}

func (e *Engine) startDelete(id string) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.mu.Lock()
		s := e.stores[id]
		delete(e.stores, id)
		e.mu.Unlock()
		if s != nil {
			if err := s.Close(); err != nil {
				e.log.Warn("close deleted store", "datastore", id, "err", err)
			}
		}
		for _, f := range append(e.layout.StoreFiles(id), e.layout.Staging(id)) {
			if err := os.RemoveAll(f); err != nil && !errors.Is(err, os.ErrNotExist) {
				e.log.Error("delete data store files", "datastore", id, "err", err)
				return
			}
		}
		if err := e.catalog.setStatus(context.Background(), id, Deleted, nil); err != nil {
			e.log.Error("record deletion", "datastore", id, "err", err)
		}
	}()
}

// Tags returns a data store's tags.
func (e *Engine) Tags(ctx context.Context, id string) ([]Tag, error) {
	if _, err := e.catalog.get(ctx, id); err != nil {
		return nil, err
	}
	return e.catalog.tags(ctx, id)
}

// TagDatastore adds or replaces tags.
func (e *Engine) TagDatastore(ctx context.Context, id string, tags []Tag) error {
	if _, err := e.catalog.get(ctx, id); err != nil {
		return err
	}
	return e.catalog.setTags(ctx, id, tags)
}

// UntagDatastore removes tags by key.
func (e *Engine) UntagDatastore(ctx context.Context, id string, keys []string) error {
	if _, err := e.catalog.get(ctx, id); err != nil {
		return err
	}
	return e.catalog.removeTags(ctx, id, keys)
}

// WaitActive waits until a data store leaves CREATING, and returns it.
func (e *Engine) WaitActive(ctx context.Context, id string) (*Datastore, error) {
	for {
		d, err := e.catalog.get(ctx, id)
		if err != nil || d.Status != Creating {
			return d, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
