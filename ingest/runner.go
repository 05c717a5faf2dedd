package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/fhirlake/fhirlake/engine"
)

// Config configures a Runner.
type Config struct {
	Engine  *engine.Engine
	Storage *Storage // nil: local files and S3 from the standard AWS chain
	// Workers check resources in parallel (default GOMAXPROCS).
	Workers int
	// ChunkResources and ChunkBytes bound a chunk: the resources (and
	// bytes of row JSON) committed in one transaction. Defaults 400,000
	// and 512 MiB: DuckDB writes a table's rows straight into compressed
	// row groups, in parallel, when one statement appends at least a row
	// group (122,880 rows); fewer go through its WAL and are compressed
	// at the next checkpoint. The first three chunks of a job are
	// 1/8, 1/4 and 1/2 of the bounds (ChunkRamp), so loading starts soon.
	// A job keeps the values it started with.
	ChunkResources int64
	ChunkBytes     int64
	// ChunkRamp is how many of a job's first chunks are smaller, each half
	// the next (default 3; negative: none).
	ChunkRamp int64
	// SplitRows is the block of a type's rows in a chunk dealt to each of
	// the files DuckDB's threads read (engine.Store.LoadFiles); default a
	// row group, 122,880 (chunk.go).
	SplitRows int
	// MemoryBudget bounds the input bytes being checked at once (default
	// 64 MiB); a line or file larger than that is read alone.
	MemoryBudget int64
	// OnChunk, when set, is told about each chunk committed (benchmarks).
	OnChunk func(ChunkStats)
	Logger  *slog.Logger
}

// ChunkStats describes a committed chunk.
type ChunkStats struct {
	Job       string
	Chunk     int64
	Resources int64         // resources imported by the chunk
	Load      time.Duration // in engine.Store.Import (DuckDB)
}

// Runner runs import jobs: one at a time per data store, in the order
// they were submitted (HealthLake's FIFO queue), each in the background.
// It implements the control API's import operations.
type Runner struct {
	eng     *engine.Engine
	storage *Storage
	workers int
	chunk   chunkOptions
	split   int // Config.SplitRows
	budget  int64
	onChunk func(ChunkStats)
	log     *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	queues  map[string][]*engine.Job // data store → jobs waiting, first running
	running map[string]*jobRun       // job id → its run
	ended   chan struct{}            // closed (and replaced) when a run ends
}

// NewRunner returns a Runner; Start resumes the jobs a previous run left.
func NewRunner(cfg Config) *Runner {
	if cfg.Storage == nil {
		cfg.Storage = NewStorage(S3Config{})
	}
	if cfg.Workers <= 0 {
		cfg.Workers = defaultWorkers()
	}
	if cfg.ChunkResources <= 0 {
		cfg.ChunkResources = 400_000
	}
	if cfg.ChunkBytes <= 0 {
		cfg.ChunkBytes = 512 << 20
	}
	if cfg.ChunkRamp == 0 {
		cfg.ChunkRamp = 3
	}
	if cfg.MemoryBudget <= 0 {
		cfg.MemoryBudget = 64 << 20
	}
	if cfg.SplitRows <= 0 {
		cfg.SplitRows = rowGroup
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	r := &Runner{eng: cfg.Engine, storage: cfg.Storage, workers: cfg.Workers,
		chunk:  chunkOptions{Resources: cfg.ChunkResources, Bytes: cfg.ChunkBytes, Ramp: max(0, cfg.ChunkRamp)},
		split:  cfg.SplitRows,
		budget: cfg.MemoryBudget, onChunk: cfg.OnChunk, log: cfg.Logger,
		queues: map[string][]*engine.Job{}, running: map[string]*jobRun{}, ended: make(chan struct{})}
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r
}

// Start queues the jobs left unfinished by a previous run (in the order
// they were submitted) and removes the work files of finished ones.
func (r *Runner) Start(ctx context.Context) error {
	jobs, err := r.eng.Jobs(ctx, "", engine.JobImport)
	if err != nil {
		return err
	}
	// Jobs that were running come first in their data store's queue.
	var resume []*engine.Job
	for _, j := range jobs {
		if j.Status == engine.JobInProgress {
			resume = append(resume, j)
		}
	}
	for _, j := range jobs {
		switch {
		case j.Finished():
			os.RemoveAll(r.eng.Layout().JobDir(j.DatastoreID, j.ID))
		case j.Status != engine.JobInProgress:
			resume = append(resume, j)
		}
	}
	for _, j := range resume {
		r.enqueue(j)
	}
	return nil
}

// Close stops running jobs (they resume on the next Start) and waits.
func (r *Runner) Close() error {
	r.cancel()
	r.wg.Wait()
	return nil
}

// StartImport records a new import job and queues it. A ClientToken
// already used on the data store returns that token's job.
func (r *Runner) StartImport(ctx context.Context, req engine.ImportRequest) (*engine.Job, error) {
	d, err := r.eng.Datastore(ctx, req.DatastoreID)
	if err != nil {
		return nil, err
	}
	if d.Status != engine.Active {
		return nil, &engine.JobRequestError{Msg: fmt.Sprintf("Datastore %s is %s: import jobs need an ACTIVE data store", d.ID, d.Status)}
	}
	if _, err := fhirflatLevel(req.Spec.ValidationLevel); err != nil {
		return nil, &engine.JobRequestError{Msg: err.Error()}
	}
	in, err := ParseLocation(req.Spec.InputURI)
	if err != nil {
		return nil, &engine.JobRequestError{Msg: "InputDataConfig.S3Uri: " + err.Error()}
	}
	if _, err := ParseLocation(req.Spec.OutputURI); err != nil {
		return nil, &engine.JobRequestError{Msg: "JobOutputDataConfig.S3Configuration.S3Uri: " + err.Error()}
	}
	if in.Scheme == "file" {
		if _, err := os.Stat(in.Path); err != nil {
			return nil, &engine.JobRequestError{Msg: fmt.Sprintf("InputDataConfig.S3Uri %s: %v", req.Spec.InputURI, errors.Unwrap(err))}
		}
	}
	job, existing, err := r.eng.SubmitJob(ctx, &engine.Job{DatastoreID: req.DatastoreID, Kind: engine.JobImport,
		Name: req.Name, ClientToken: req.ClientToken, Status: engine.JobSubmitted, Import: req.Spec})
	if err != nil || existing {
		return job, err
	}
	submitted := *job
	r.enqueue(job)
	return &submitted, nil
}

// enqueue adds a job to its data store's queue, starting the queue's
// goroutine when it is idle.
func (r *Runner) enqueue(job *engine.Job) {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queues[job.DatastoreID]
	r.queues[job.DatastoreID] = append(q, job)
	if len(q) > 0 {
		if job.Status == engine.JobSubmitted {
			job.Status = engine.JobQueued
			if err := r.eng.UpdateJob(r.ctx, job); err != nil {
				r.log.Warn("record queued job", "job", job.ID, "err", err)
			}
		}
		return
	}
	r.wg.Add(1)
	go r.serve(job.DatastoreID)
}

// serve runs a data store's jobs one after the other.
func (r *Runner) serve(datastoreID string) {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		q := r.queues[datastoreID]
		if len(q) == 0 || r.ctx.Err() != nil {
			delete(r.queues, datastoreID)
			r.mu.Unlock()
			return
		}
		job := q[0]
		r.mu.Unlock()
		err := r.run(r.ctx, job)
		r.mu.Lock()
		close(r.ended)
		r.ended = make(chan struct{})
		r.mu.Unlock()
		if err != nil && r.ctx.Err() == nil {
			r.log.Error("import job stopped", "job", job.ID, "err", err)
			// Not recorded as ended: wait a little and try again.
			select {
			case <-r.ctx.Done():
			case <-time.After(5 * time.Second):
			}
			continue
		}
		r.mu.Lock()
		if r.ctx.Err() == nil || job.Finished() {
			r.queues[datastoreID] = r.queues[datastoreID][1:]
		}
		r.mu.Unlock()
	}
}

func (r *Runner) setRunning(id string, j *jobRun) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if j == nil {
		delete(r.running, id)
		return
	}
	r.running[id] = j
}

// persist records a running job's progress.
func (r *Runner) persist(j *jobRun) {
	job := *j.job
	job.Progress, job.Message = j.progress()
	if err := r.eng.UpdateJob(context.Background(), &job); err != nil {
		r.log.Warn("record job progress", "job", job.ID, "err", err)
	}
}

// ImportJob returns a job, with its live progress while it runs.
func (r *Runner) ImportJob(ctx context.Context, datastoreID, jobID string) (*engine.Job, error) {
	job, err := r.eng.Job(ctx, datastoreID, jobID)
	if err != nil || job.Kind != engine.JobImport {
		if err == nil {
			err = engine.ErrNotFound
		}
		return nil, err
	}
	r.live(job)
	return job, nil
}

// ImportJobs lists a data store's import jobs, oldest first.
func (r *Runner) ImportJobs(ctx context.Context, datastoreID string) ([]*engine.Job, error) {
	jobs, err := r.eng.Jobs(ctx, datastoreID, engine.JobImport)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		r.live(j)
	}
	return jobs, nil
}

func (r *Runner) live(job *engine.Job) {
	r.mu.Lock()
	run := r.running[job.ID]
	r.mu.Unlock()
	if run != nil && !job.Finished() {
		job.Progress, job.Message = run.progress()
	}
}

// Wait waits until a job ends and returns it. It looks at the job's
// record when a run ends (and each second, for a job another process
// runs), not in a tight loop: each look is a query of the catalog, and
// polling every 20 ms took 3% of the CPU of an import.
func (r *Runner) Wait(ctx context.Context, datastoreID, jobID string) (*engine.Job, error) {
	for {
		r.mu.Lock()
		ended := r.ended
		r.mu.Unlock()
		job, err := r.ImportJob(ctx, datastoreID, jobID)
		if err != nil || job.Finished() {
			return job, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ended:
		case <-time.After(time.Second):
		}
	}
}
