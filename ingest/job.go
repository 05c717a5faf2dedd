package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// plan is a job's input, listed once when the job first starts, so a
// resumed job reads the same files in the same order and cuts them into
// the same chunks.
type plan struct {
	Files   []Object     `json:"files"`
	Skipped []string     `json:"skipped,omitempty"`
	Chunk   chunkOptions `json:"chunk"`
	Bytes   int64        `json:"bytes"` // total size of Files
}

// checkpointValue is stored with each chunk, in the chunk's transaction.
type checkpointValue struct {
	Chunk    int64              `json:"chunk"`
	Next     cursor             `json:"next"`
	Progress engine.JobProgress `json:"progress"`
}

func checkpointName(jobID string) string { return "ingest/" + jobID }

// permanentError ends a job as FAILED (other errors, such as the server
// stopping, leave it to be resumed).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(format string, args ...any) error {
	return &permanentError{fmt.Errorf(format, args...)}
}

// jobRun is one run of a job (a resumed job has several).
type jobRun struct {
	r       *Runner
	job     *engine.Job
	store   *engine.Store
	src     Source
	dest    Dest
	plan    *plan
	start   time.Time
	base    int64 // resources imported before this run
	readNow atomic.Int64
	readAll atomic.Int64

	mu        sync.Mutex
	asm       *assembler
	committed engine.JobProgress
}

// progress is the job's progress now: what is committed, and what has been
// read and checked.
func (j *jobRun) progress() (engine.JobProgress, string) {
	j.mu.Lock()
	p := j.committed
	asm := j.asm
	j.mu.Unlock()
	if asm != nil {
		live := asm.snapshot()
		p.ScannedFiles, p.ScannedMB, p.ResourcesScanned = live.ScannedFiles, live.ScannedMB, live.ResourcesScanned
		p.ResourcesWithError, p.FilesWithError = live.ResourcesWithError, live.FilesWithError
	}
	if secs := time.Since(j.start).Seconds(); secs > 0 {
		p.Throughput = float64(p.ResourcesImported-j.base) / secs
	}
	msg := ""
	if j.plan != nil {
		read := j.readAll.Load() + j.readNow.Load()
		msg = fmt.Sprintf("%.1f of %.1f MB read from %d files", float64(read)/1e6, float64(j.plan.Bytes)/1e6, len(j.plan.Files))
	}
	return p, msg
}

// run carries a job out. It returns nil once the job has ended (its
// record says how), and an error when it was stopped before (it resumes
// on the next start).
func (r *Runner) run(ctx context.Context, job *engine.Job) error {
	j := &jobRun{r: r, job: job, start: time.Now()}
	r.setRunning(job.ID, j)
	defer r.setRunning(job.ID, nil)
	err := j.execute(ctx)
	var pe *permanentError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe), ctx.Err() == nil && !errors.Is(err, context.Canceled):
		r.log.Error("import job failed", "job", job.ID, "datastore", job.DatastoreID, "err", err)
		job.Status = engine.JobFailed
		job.Message = messageText(err.Error())
		job.EndTime = time.Now().UTC()
		if p, _ := j.progress(); true {
			job.Progress = p
		}
		if uerr := r.eng.UpdateJob(context.Background(), job); uerr != nil {
			return uerr
		}
		j.cleanup()
		return nil
	}
	return err
}

func (j *jobRun) execute(ctx context.Context) error {
	r, job := j.r, j.job
	level, err := fhirflat.ParseLevel(job.Import.ValidationLevel)
	if err != nil {
		return permanent("%v", err)
	}
	if j.store, err = r.eng.Store(ctx, job.DatastoreID); err != nil {
		return permanent("data store %s: %v", job.DatastoreID, err)
	}
	in, err := ParseLocation(job.Import.InputURI)
	if err != nil {
		return permanent("input: %v", err)
	}
	out, err := ParseLocation(job.Import.OutputURI)
	if err != nil {
		return permanent("output: %v", err)
	}
	if j.src, err = r.storage.Source(ctx, in); err != nil {
		return permanent("%v", err)
	}
	if j.dest, err = r.storage.Dest(ctx, out.Join(JobFolder(job.DatastoreID, job.ID))); err != nil {
		return permanent("%v", err)
	}
	dir := r.eng.Layout().JobDir(job.DatastoreID, job.ID)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if j.plan, err = j.loadPlan(ctx, dir); err != nil {
		return err
	}
	var cp checkpointValue
	value, ok, err := j.store.Checkpoint(ctx, checkpointName(job.ID))
	if err != nil {
		return err
	}
	if ok {
		if err := json.Unmarshal([]byte(value), &cp); err != nil {
			return permanent("checkpoint of job %s: %v", job.ID, err)
		}
	}
	j.committed, j.base = cp.Progress, cp.Progress.ResourcesImported
	for i := 0; i < cp.Next.File && i < len(j.plan.Files); i++ {
		j.readAll.Add(j.plan.Files[i].Size)
	}
	job.Status = engine.JobInProgress
	job.Progress, job.Message = j.progress()
	if err := r.eng.UpdateJob(ctx, job); err != nil {
		return err
	}
	if cp.Next.File < len(j.plan.Files) {
		if err := j.pipeline(ctx, dir, level, cp); err != nil {
			return err
		}
	}
	return j.finish(ctx)
}

// loadPlan reads the job's plan, or lists the input and writes it.
func (j *jobRun) loadPlan(ctx context.Context, dir string) (*plan, error) {
	path := filepath.Join(dir, "plan.json")
	if data, err := os.ReadFile(path); err == nil {
		var p plan
		if err := json.Unmarshal(data, &p); err != nil {
			return nil, permanent("plan of job %s: %v", j.job.ID, err)
		}
		return &p, nil
	}
	all, err := j.src.List(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, permanent("%v", err)
	}
	files, skipped := orderInput(all)
	if len(files) == 0 {
		return nil, permanent("no .ndjson, .ndjson.gz, .json or .json.gz files under %s", j.job.Import.InputURI)
	}
	p := &plan{Files: files, Chunk: j.r.chunk}
	for _, f := range files {
		p.Bytes += f.Size
	}
	for _, s := range skipped {
		p.Skipped = append(p.Skipped, j.src.URI(s.Key))
	}
	data, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path+".tmp", data, 0o600); err != nil {
		return nil, err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return nil, err
	}
	return p, nil
}

// pipeline reads from the checkpoint on, committing chunk after chunk.
func (j *jobRun) pipeline(ctx context.Context, dir string, level fhirflat.Level, cp checkpointValue) error {
	chunks := make(chan *sealedChunk, 1)
	index := newIdentIndex()
	asm := &assembler{index: index, dir: dir, opts: j.plan.Chunk, split: j.store.LoadFiles(), block: j.r.split, out: chunks, progress: cp.Progress, next: cp.Chunk + 1, cur: cp.Next, fileIDs: newIDSet(dir)}
	j.mu.Lock()
	j.asm = asm
	j.mu.Unlock()
	budget := j.r.budget
	rd := &reader{src: j.src, files: j.plan.Files, from: cp.Next, budget: semaphore.NewWeighted(budget), limit: budget,
		readNow: &j.readNow, readAll: &j.readAll}
	res := &resolver{index: index, store: j.store}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return runPipeline(gctx, rd, j.r.workers, func() *worker {
			return &worker{nz: j.store.Builder().NewNormalizer(level), resolver: res}
		}, asm)
	})
	g.Go(func() error { return j.load(gctx, chunks) })
	err := g.Wait()
	j.mu.Lock()
	j.asm = nil
	j.mu.Unlock()
	return err
}

// load commits sealed chunks in order: output parts first, then the rows
// and the checkpoint in one transaction.
func (j *jobRun) load(ctx context.Context, chunks <-chan *sealedChunk) error {
	for s := range chunks {
		if err := s.success.put(ctx, j.dest, partName("SUCCESS", s.no)); err != nil {
			return permanent("%v", err)
		}
		if err := s.failure.put(ctx, j.dest, partName("FAILURE", s.no)); err != nil {
			return permanent("%v", err)
		}
		value, err := json.Marshal(checkpointValue{Chunk: s.no, Next: s.end, Progress: s.progress})
		if err != nil {
			return err
		}
		started := time.Now()
		batch := engine.ImportBatch{Present: s.present, MaxRowBytes: s.maxRow, Checkpoint: checkpointName(j.job.ID), Value: string(value)}
		if len(s.files) > 0 {
			batch.Files, batch.Later = s.files[0], s.files[1:]
		}
		if _, err := j.store.Import(ctx, batch); err != nil {
			if ctx.Err() != nil || errors.Is(err, engine.ErrClosed) {
				return err
			}
			return permanent("load chunk %d: %v", s.no, err)
		}
		took := time.Since(started)
		n := s.progress.ResourcesImported - j.committed.ResourcesImported
		j.r.log.Debug("chunk committed", "job", j.job.ID, "chunk", s.no, "resources", n, "took", took)
		if j.r.onChunk != nil {
			j.r.onChunk(ChunkStats{Job: j.job.ID, Chunk: s.no, Resources: n, Load: took})
		}
		os.RemoveAll(s.dir)
		j.mu.Lock()
		j.committed = s.progress
		j.mu.Unlock()
		j.r.persist(j)
	}
	return nil
}

// finish writes the manifest and records the job's end.
func (j *jobRun) finish(ctx context.Context) error {
	p, _ := j.progress()
	if err := writeManifest(ctx, j.dest, j.job, p, j.plan.Skipped); err != nil {
		return permanent("%v", err)
	}
	job := j.job
	job.Progress = p
	job.EndTime = time.Now().UTC()
	job.Status = engine.JobCompleted
	job.Message = fmt.Sprintf("%d resources imported from %d files", p.ResourcesImported, p.ImportedFiles)
	if p.ResourcesWithError > 0 || p.FilesWithError > 0 {
		job.Status = engine.JobCompletedWithErrors
		job.Message = fmt.Sprintf("%d resources imported and %d rejected: see %s", p.ResourcesImported, p.ResourcesWithError, j.dest.URI("FAILURE/"))
	}
	job.Message = messageText(job.Message)
	if err := j.r.eng.UpdateJob(context.Background(), job); err != nil {
		return err
	}
	j.cleanup()
	return nil
}

// cleanup removes the job's checkpoint and work files once its end is recorded.
func (j *jobRun) cleanup() {
	if j.store != nil {
		if err := j.store.DeleteCheckpoints(context.Background(), checkpointName(j.job.ID)); err != nil {
			j.r.log.Warn("delete checkpoint", "job", j.job.ID, "err", err)
		}
	}
	os.RemoveAll(j.r.eng.Layout().JobDir(j.job.DatastoreID, j.job.ID))
}

// messageText keeps a message within HealthLake's Message pattern
// ([\p{L}\p{Z}\p{N}_.:/=+\-%@]*, at most 2048 characters).
func messageText(s string) string {
	out := make([]rune, 0, len(s))
	for _, c := range s {
		switch {
		case unicode.In(c, unicode.L, unicode.Z, unicode.N), strings.ContainsRune("_.:/=+-%@", c):
			out = append(out, c)
		default:
			out = append(out, ' ')
		}
		if len(out) >= 2048 {
			break
		}
	}
	return string(out)
}

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }

func fhirflatLevel(s string) (fhirflat.Level, error) { return fhirflat.ParseLevel(s) }
