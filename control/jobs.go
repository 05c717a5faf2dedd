package control

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/fhirlake/fhirlake/engine"
)

// ImportJobs runs import jobs (package ingest's Runner).
type ImportJobs interface {
	StartImport(ctx context.Context, req engine.ImportRequest) (*engine.Job, error)
	ImportJob(ctx context.Context, datastoreID, jobID string) (*engine.Job, error)
	ImportJobs(ctx context.Context, datastoreID string) ([]*engine.Job, error)
}

// Shapes of HealthLake's API model.

type s3Configuration struct {
	S3Uri    string `json:"S3Uri"`
	KmsKeyId string `json:"KmsKeyId,omitempty"`
}

type jobProgressReport struct {
	TotalNumberOfScannedFiles               int64   `json:"TotalNumberOfScannedFiles"`
	TotalSizeOfScannedFilesInMB             float64 `json:"TotalSizeOfScannedFilesInMB"`
	TotalNumberOfImportedFiles              int64   `json:"TotalNumberOfImportedFiles"`
	TotalNumberOfResourcesScanned           int64   `json:"TotalNumberOfResourcesScanned"`
	TotalNumberOfResourcesImported          int64   `json:"TotalNumberOfResourcesImported"`
	TotalNumberOfResourcesWithCustomerError int64   `json:"TotalNumberOfResourcesWithCustomerError"`
	TotalNumberOfFilesReadWithCustomerError int64   `json:"TotalNumberOfFilesReadWithCustomerError"`
	Throughput                              float64 `json:"Throughput"`
}

type importJobProperties struct {
	JobId           string `json:"JobId"`
	JobName         string `json:"JobName,omitempty"`
	JobStatus       string `json:"JobStatus"`
	SubmitTime      float64
	EndTime         *float64 `json:"EndTime,omitempty"`
	DatastoreId     string   `json:"DatastoreId"`
	InputDataConfig struct {
		S3Uri string `json:"S3Uri"`
	} `json:"InputDataConfig"`
	JobOutputDataConfig struct {
		S3Configuration s3Configuration `json:"S3Configuration"`
	} `json:"JobOutputDataConfig"`
	JobProgressReport jobProgressReport `json:"JobProgressReport"`
	DataAccessRoleArn string            `json:"DataAccessRoleArn,omitempty"`
	Message           string            `json:"Message,omitempty"`
	ValidationLevel   string            `json:"ValidationLevel,omitempty"`
}

func importProperties(j *engine.Job) importJobProperties {
	p := importJobProperties{JobId: j.ID, JobName: j.Name, JobStatus: j.Status, SubmitTime: EpochSeconds(j.SubmitTime),
		DatastoreId: j.DatastoreID, DataAccessRoleArn: j.Import.RoleARN, Message: j.Message, ValidationLevel: j.Import.ValidationLevel}
	if !j.EndTime.IsZero() {
		end := EpochSeconds(j.EndTime)
		p.EndTime = &end
	}
	p.InputDataConfig.S3Uri = j.Import.InputURI
	p.JobOutputDataConfig.S3Configuration = s3Configuration{S3Uri: j.Import.OutputURI, KmsKeyId: j.Import.KmsKeyID}
	g := j.Progress
	p.JobProgressReport = jobProgressReport{
		TotalNumberOfScannedFiles: g.ScannedFiles, TotalSizeOfScannedFilesInMB: g.ScannedMB,
		TotalNumberOfImportedFiles: g.ImportedFiles, TotalNumberOfResourcesScanned: g.ResourcesScanned,
		TotalNumberOfResourcesImported: g.ResourcesImported, TotalNumberOfResourcesWithCustomerError: g.ResourcesWithError,
		TotalNumberOfFilesReadWithCustomerError: g.FilesWithError, Throughput: g.Throughput,
	}
	return p
}

var (
	jobNameRule    = strRule{min: 1, max: 64, pattern: namePattern}
	jobIDRule      = strRule{min: 1, max: 32, pattern: namePattern}
	roleRule       = strRule{min: 20, max: 2048, pattern: rolePattern}
	kmsRule        = strRule{min: 1, max: 400, pattern: kmsPattern}
	levelRule      = strRule{enum: []string{"strict", "structure-only", "minimal"}}
	jobStatusRule  = strRule{enum: []string{"SUBMITTED", "QUEUED", "IN_PROGRESS", "COMPLETED_WITH_ERRORS", "COMPLETED", "FAILED", "CANCEL_SUBMITTED", "CANCEL_IN_PROGRESS", "CANCEL_COMPLETED", "CANCEL_FAILED"}}
	locationRule   = strRule{max: 1024}
	locationDetail = "Member must be an S3 URI (s3://[a-z0-9][\\.\\-a-z0-9]{1,61}[a-z0-9](/.*)?), or, with fhirlake, a file:// URI or an absolute path"
)

// location reads an S3Uri member: HealthLake's s3:// URIs, and fhirlake's
// local file:///path and /path.
func (o members) location(name string) (string, bool) {
	o.required(name)
	s, ok := o.str(name, locationRule)
	if !ok {
		return "", false
	}
	switch {
	case strings.HasPrefix(s, "s3://"):
		ok = s3URIPattern.MatchString(s)
	case strings.HasPrefix(s, "file:///"):
		ok = filepath.IsAbs(strings.TrimPrefix(s, "file://"))
	default:
		ok = filepath.IsAbs(s)
	}
	if !ok {
		o.violation(name, clip(s), locationDetail)
	}
	return s, ok
}

func (h *Handler) startImport(r *http.Request, req members) (any, error) {
	var spec engine.ImportSpec
	in := engine.ImportRequest{}
	in.Name, _ = req.str("JobName", jobNameRule)
	req.required("InputDataConfig")
	if cfg, ok := req.object("InputDataConfig"); ok {
		spec.InputURI, _ = cfg.location("S3Uri")
	}
	req.required("JobOutputDataConfig")
	if cfg, ok := req.object("JobOutputDataConfig"); ok {
		cfg.required("S3Configuration")
		if s3, ok := cfg.object("S3Configuration"); ok {
			spec.OutputURI, _ = s3.location("S3Uri")
			s3.required("KmsKeyId")
			spec.KmsKeyID, _ = s3.str("KmsKeyId", kmsRule)
		}
	}
	in.DatastoreID = h.datastoreID(req)
	req.required("DataAccessRoleArn")
	spec.RoleARN, _ = req.str("DataAccessRoleArn", roleRule)
	in.ClientToken, _ = req.str("ClientToken", tokenRule)
	spec.ValidationLevel, _ = req.str("ValidationLevel", levelRule)
	if err := req.err(); err != nil {
		return nil, err
	}
	in.Spec = spec
	if _, err := h.cfg.Engine.Datastore(r.Context(), in.DatastoreID); err != nil {
		return nil, datastoreNotFound(in.DatastoreID, err)
	}
	job, err := h.cfg.Imports.StartImport(r.Context(), in)
	if err != nil {
		return nil, err
	}
	return map[string]any{"JobId": job.ID, "JobStatus": job.Status, "DatastoreId": job.DatastoreID}, nil
}

func (h *Handler) describeImport(r *http.Request, req members) (any, error) {
	ds := h.datastoreID(req)
	req.required("JobId")
	id, _ := req.str("JobId", jobIDRule)
	if err := req.err(); err != nil {
		return nil, err
	}
	if _, err := h.cfg.Engine.Datastore(r.Context(), ds); err != nil {
		return nil, datastoreNotFound(ds, err)
	}
	job, err := h.cfg.Imports.ImportJob(r.Context(), ds, id)
	if err != nil {
		if translate(err).Type == "ResourceNotFoundException" {
			return nil, notFound("Import job %s does not exist in data store %s", id, ds)
		}
		return nil, err
	}
	return map[string]any{"ImportJobProperties": importProperties(job)}, nil
}

// A jobs NextToken is the position after the last job returned.
type jobToken struct {
	Submitted int64  `json:"s"`
	ID        string `json:"i"`
}

func (h *Handler) listImports(r *http.Request, req members) (any, error) {
	ds := h.datastoreID(req)
	name, _ := req.str("JobName", jobNameRule)
	status, _ := req.str("JobStatus", jobStatusRule)
	before, _ := req.timestamp("SubmittedBefore")
	after, _ := req.timestamp("SubmittedAfter")
	max := 100
	if n, ok := req.integer("MaxResults", 1, 500); ok {
		max = n
	}
	var pos *jobToken
	if tok, ok := req.str("NextToken", nextRule); ok && tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		pos = &jobToken{}
		if err != nil || json.Unmarshal(b, pos) != nil {
			req.fail("Value at 'nextToken' is not a token this server issued")
		}
	}
	if err := req.err(); err != nil {
		return nil, err
	}
	if _, err := h.cfg.Engine.Datastore(r.Context(), ds); err != nil {
		return nil, datastoreNotFound(ds, err)
	}
	all, err := h.cfg.Imports.ImportJobs(r.Context(), ds)
	if err != nil {
		return nil, err
	}
	list := []importJobProperties{}
	var next string
	var last *engine.Job
	for _, j := range all {
		if pos != nil && (j.SubmitTime.UnixNano() < pos.Submitted || j.SubmitTime.UnixNano() == pos.Submitted && j.ID <= pos.ID) {
			continue
		}
		if name != "" && j.Name != name || status != "" && j.Status != status ||
			!before.IsZero() && !j.SubmitTime.Before(before) || !after.IsZero() && !j.SubmitTime.After(after) {
			continue
		}
		if len(list) == max {
			b, _ := json.Marshal(jobToken{Submitted: last.SubmitTime.UnixNano(), ID: last.ID})
			next = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		list = append(list, importProperties(j))
		last = j
	}
	resp := map[string]any{"ImportJobPropertiesList": list}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}
