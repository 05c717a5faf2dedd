// Package control is the HealthLake control plane: the AWS JSON 1.0 API
// (X-Amz-Target: HealthLake.<Operation>) for data stores and jobs, with
// the request and response shapes of HealthLake's API model, so the AWS
// CLI and SDKs work against fhirlake.
package control

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/fhirlake/fhirlake/auth"
	"github.com/fhirlake/fhirlake/engine"
)

// Config configures the control API.
type Config struct {
	Engine    *engine.Engine
	Region    string // e.g. us-east-1
	AccountID string // 12 digits, for ARNs
	// BaseURL returns the scheme and host FHIR clients reach this server at
	// (https://host:port), for data store endpoints.
	BaseURL func(r *http.Request) string
	// Imports runs import jobs (jobs.go); nil: import operations are not
	// available. Export jobs are not supported yet.
	Imports ImportJobs
	// RequestsPerSecond limits each access key's control requests (burst
	// Burst); 0 means no limit. Over the limit: ThrottlingException.
	RequestsPerSecond, Burst int
	Logger                   *slog.Logger
}

// Handler serves the control API.
type Handler struct {
	cfg     Config
	ops     map[string]func(*http.Request, members) (any, error)
	limiter *limiter
}

// NewHandler returns the control API handler.
func NewHandler(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	h := &Handler{cfg: cfg, limiter: newLimiter(cfg.RequestsPerSecond, cfg.Burst)}
	h.ops = map[string]func(*http.Request, members) (any, error){
		"CreateFHIRDatastore":   h.createDatastore,
		"DescribeFHIRDatastore": h.describeDatastore,
		"ListFHIRDatastores":    h.listDatastores,
		"DeleteFHIRDatastore":   h.deleteDatastore,
		"TagResource":           h.tagResource,
		"UntagResource":         h.untagResource,
		"ListTagsForResource":   h.listTags,
	}
	if cfg.Imports != nil {
		h.ops["StartFHIRImportJob"] = h.startImport
		h.ops["DescribeFHIRImportJob"] = h.describeImport
		h.ops["ListFHIRImportJobs"] = h.listImports
	}
	return h
}

// unsupportedOps are HealthLake operations this server does not offer yet.
var unsupportedOps = map[string]string{
	"StartFHIRImportJob":    "import jobs are not enabled on this server",
	"DescribeFHIRImportJob": "import jobs are not enabled on this server",
	"ListFHIRImportJobs":    "import jobs are not enabled on this server",
	"StartFHIRExportJob":    "export jobs are not supported by this server yet",
	"DescribeFHIRExportJob": "export jobs are not supported by this server yet",
	"ListFHIRExportJobs":    "export jobs are not supported by this server yet",
}

const targetPrefix = "HealthLake."

// IsControlRequest reports whether a request is for the control API.
func IsControlRequest(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		WriteError(w, validation("The control API takes POST requests with an X-Amz-Target header"))
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok {
		WriteError(w, validation("Missing or unknown X-Amz-Target %q: expected HealthLake.<Operation>", target))
		return
	}
	key, _ := auth.AccessKeyID(r.Context())
	if !h.limiter.allow(key) {
		WriteError(w, throttled("Rate exceeded: more than %d control requests per second", h.cfg.RequestsPerSecond))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20+1))
	if err != nil {
		WriteError(w, validation("Could not read the request body: %v", err))
		return
	}
	if len(body) > 1<<20 {
		WriteError(w, validation("The request body is larger than 1 MiB"))
		return
	}
	var resp any
	if fn := h.ops[op]; fn != nil {
		req, verr := parseRequest(body)
		if verr != nil {
			WriteError(w, verr)
			return
		}
		resp, err = fn(r, req)
	} else if why, ok := unsupportedOps[op]; ok {
		WriteError(w, validation("%s: %s", op, why))
		return
	} else {
		WriteError(w, validation("Unknown operation %q", target))
		return
	}
	if err != nil {
		e := translate(err)
		if e.Status >= 500 {
			h.cfg.Logger.Error("control API", "op", op, "err", err)
		}
		WriteError(w, e)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_ = json.NewEncoder(w).Encode(resp)
}
