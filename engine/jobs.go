package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Job states, as HealthLake names them.
const (
	JobSubmitted           = "SUBMITTED"
	JobQueued              = "QUEUED"
	JobInProgress          = "IN_PROGRESS"
	JobCompleted           = "COMPLETED"
	JobCompletedWithErrors = "COMPLETED_WITH_ERRORS"
	JobFailed              = "FAILED"
)

// JobImport is the kind of an import job.
const JobImport = "IMPORT"

// Job is an import (or export) job's record in the catalog. Records
// survive restarts; the runner (package ingest) resumes unfinished jobs.
type Job struct {
	ID          string
	DatastoreID string
	Kind        string // JobImport
	Name        string
	Status      string
	ClientToken string
	SubmitTime  time.Time
	EndTime     time.Time // zero until the job ends
	Message     string
	Import      ImportSpec
	Progress    JobProgress
}

// Finished reports whether the job has ended.
func (j *Job) Finished() bool {
	switch j.Status {
	case JobCompleted, JobCompletedWithErrors, JobFailed:
		return true
	}
	return false
}

// ImportSpec is what an import job was asked to do.
type ImportSpec struct {
	InputURI        string `json:"input"`
	OutputURI       string `json:"output"`
	KmsKeyID        string `json:"kms,omitempty"`
	RoleARN         string `json:"role,omitempty"`
	ValidationLevel string `json:"validation,omitempty"` // strict, structure-only, minimal
}

// JobProgress holds the counters of HealthLake's JobProgressReport.
type JobProgress struct {
	ScannedFiles       int64   `json:"scannedFiles"`
	ScannedMB          float64 `json:"scannedMB"`
	ImportedFiles      int64   `json:"importedFiles"`
	ResourcesScanned   int64   `json:"resourcesScanned"`
	ResourcesImported  int64   `json:"resourcesImported"`
	ResourcesWithError int64   `json:"resourcesWithError"`
	FilesWithError     int64   `json:"filesWithError"`
	Throughput         float64 `json:"throughput"` // resources per second
	// ImportedMB is the size of the input of the imported resources
	// (the manifest's sizeOfDataImportedSuccessfullyInMB).
	ImportedMB float64 `json:"importedMB"`
}

// jobsDDL creates the catalog's jobs table (run by openCatalog).
const jobsDDL = `CREATE TABLE IF NOT EXISTS jobs (
  id VARCHAR PRIMARY KEY,
  datastore_id VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  name VARCHAR,
  status VARCHAR NOT NULL,
  client_token VARCHAR,
  submit_time TIMESTAMPTZ NOT NULL,
  end_time TIMESTAMPTZ,
  message VARCHAR,
  spec VARCHAR NOT NULL,
  progress VARCHAR NOT NULL)`

const jobColumns = `id, datastore_id, kind, name, status, client_token, submit_time, end_time, message, spec, progress`

// SubmitJob records a new job. A job with the same ClientToken on the
// same data store is returned instead (existing true), like HealthLake.
func (e *Engine) SubmitJob(ctx context.Context, j *Job) (stored *Job, existing bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if j.ClientToken != "" {
		old, err := scanJob(e.catalog.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs
WHERE datastore_id = ? AND kind = ? AND client_token = ? ORDER BY submit_time LIMIT 1`, j.DatastoreID, j.Kind, j.ClientToken))
		if err == nil {
			return old, true, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return nil, false, fmt.Errorf("catalog job: %w", err)
		}
	}
	if j.ID == "" {
		j.ID = NewID()
	}
	if j.SubmitTime.IsZero() {
		j.SubmitTime = time.Now().UTC().Truncate(time.Millisecond)
	}
	spec, progress, err := jobJSON(j)
	if err != nil {
		return nil, false, err
	}
	if _, err := e.catalog.db.ExecContext(ctx, `INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		j.ID, j.DatastoreID, j.Kind, nullString(j.Name), j.Status, nullString(j.ClientToken), j.SubmitTime,
		nullTime(j.EndTime), nullString(j.Message), spec, progress); err != nil {
		return nil, false, fmt.Errorf("catalog insert job: %w", err)
	}
	return j, false, nil
}

// UpdateJob stores a job's status, end time, message and progress.
func (e *Engine) UpdateJob(ctx context.Context, j *Job) error {
	_, progress, err := jobJSON(j)
	if err != nil {
		return err
	}
	if _, err := e.catalog.db.ExecContext(ctx, `UPDATE jobs SET status = ?, end_time = ?, message = ?, progress = ? WHERE id = ?`,
		j.Status, nullTime(j.EndTime), nullString(j.Message), progress, j.ID); err != nil {
		return fmt.Errorf("catalog update job: %w", err)
	}
	return nil
}

// Job returns a job of a data store; ErrNotFound when there is none.
func (e *Engine) Job(ctx context.Context, datastoreID, id string) (*Job, error) {
	j, err := scanJob(e.catalog.db.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE datastore_id = ? AND id = ?`, datastoreID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("catalog job: %w", err)
	}
	return j, nil
}

// Jobs lists the jobs of a kind, oldest first; datastoreID "" lists them
// for every data store.
func (e *Engine) Jobs(ctx context.Context, datastoreID, kind string) ([]*Job, error) {
	rows, err := e.catalog.db.QueryContext(ctx, `SELECT `+jobColumns+` FROM jobs
WHERE kind = ? AND (? = '' OR datastore_id = ?) ORDER BY submit_time, id`, kind, datastoreID, datastoreID)
	if err != nil {
		return nil, fmt.Errorf("catalog jobs: %w", err)
	}
	defer rows.Close()
	var out []*Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("catalog jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

func jobJSON(j *Job) (spec, progress string, err error) {
	s, err := json.Marshal(j.Import)
	if err != nil {
		return "", "", err
	}
	p, err := json.Marshal(j.Progress)
	if err != nil {
		return "", "", err
	}
	return string(s), string(p), nil
}

func scanJob(sc interface{ Scan(...any) error }) (*Job, error) {
	var j Job
	var name, token, message *string
	var end *time.Time
	var spec, progress string
	if err := sc.Scan(&j.ID, &j.DatastoreID, &j.Kind, &name, &j.Status, &token, &j.SubmitTime, &end, &message, &spec, &progress); err != nil {
		return nil, err
	}
	if name != nil {
		j.Name = *name
	}
	if token != nil {
		j.ClientToken = *token
	}
	if message != nil {
		j.Message = *message
	}
	if end != nil {
		j.EndTime = end.UTC()
	}
	j.SubmitTime = j.SubmitTime.UTC()
	if err := json.Unmarshal([]byte(spec), &j.Import); err != nil {
		return nil, fmt.Errorf("job %s spec: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(progress), &j.Progress); err != nil {
		return nil, fmt.Errorf("job %s progress: %w", j.ID, err)
	}
	return &j, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// ImportRequest asks for a new import job.
type ImportRequest struct {
	DatastoreID string
	Name        string
	ClientToken string
	Spec        ImportSpec
}

// JobRequestError says a job request cannot be carried out as asked (the
// control API answers ValidationException).
type JobRequestError struct{ Msg string }

func (e *JobRequestError) Error() string { return e.Msg }
