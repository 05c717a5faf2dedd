package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
)

// A job writes its output under <output>/<datastoreId>-FHIR_IMPORT-<jobId>/,
// as HealthLake does: manifest.json, and SUCCESS/ and FAILURE/ folders of
// NDJSON. Each chunk writes its own part (chunk-000001.ndjson) before it
// commits, and rewrites it identically when a restart repeats the chunk.
//
// A SUCCESS line names an imported resource and where it came from:
//
//	{"file":"Observation.ndjson","line":12,"resourceType":"Observation","id":"..."}
//
// ("entry" gives the index of a Bundle entry; "ifNoneExist":"matched" marks
// a conditional create that matched a stored resource and created nothing).
// A FAILURE line names a line (or entry, or the file) that was not
// imported, with an OperationOutcome saying why:
//
//	{"file":"Observation.ndjson","line":13,"resourceType":"Observation","id":"...",
//	 "operationOutcome":{"resourceType":"OperationOutcome","issue":[{"severity":"error",
//	 "code":"value","diagnostics":"...","expression":["Observation.effectiveDateTime"]}]}}

// JobFolder is the name of a job's output folder.
func JobFolder(datastoreID, jobID string) string {
	return datastoreID + "-FHIR_IMPORT-" + jobID + "/"
}

func partName(dir string, chunk int64) string {
	return fmt.Sprintf("%s/chunk-%06d.ndjson", dir, chunk)
}

func appendHead(b []byte, key string, line int64, entry int32, typ, id string) []byte {
	b = append(b, `{"file":`...)
	b = appendJSONString(b, key)
	if line > 0 {
		b = append(b, `,"line":`...)
		b = strconv.AppendInt(b, line, 10)
	}
	if entry >= 0 {
		b = append(b, `,"entry":`...)
		b = strconv.AppendInt(b, int64(entry), 10)
	}
	if typ != "" {
		b = append(b, `,"resourceType":`...)
		b = appendJSONString(b, typ)
	}
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendJSONString(b, id)
	}
	return b
}

func appendSuccess(b []byte, key string, r rowRef, matched bool) []byte {
	b = appendHead(b, key, r.line, r.entry, r.typ, r.id)
	if matched {
		b = append(b, `,"ifNoneExist":"matched"`...)
	}
	return append(b, "}\n"...)
}

func appendFailure(b []byte, key string, f failure) []byte {
	b = appendHead(b, key, f.line, f.entry, f.typ, f.id)
	b = append(b, `,"operationOutcome":`...)
	b = appendOutcome(b, f.issues)
	return append(b, "}\n"...)
}

// appendOutcome writes a FHIR OperationOutcome with one error per issue.
func appendOutcome(b []byte, issues []fhirflat.Issue) []byte {
	b = append(b, `{"resourceType":"OperationOutcome","issue":[`...)
	for i, is := range issues {
		if i > 0 {
			b = append(b, ',')
		}
		code := is.Code
		if code == "" {
			code = "invalid"
		}
		b = append(b, `{"severity":"error","code":`...)
		b = appendJSONString(b, code)
		b = append(b, `,"diagnostics":`...)
		b = appendJSONString(b, is.Message)
		if is.Path != "" {
			b = append(b, `,"expression":[`...)
			b = appendJSONString(b, is.Path)
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// manifest is HealthLake's manifest.json, with fhirlake's skippedFiles.
type manifest struct {
	InputDataConfig struct {
		S3Uri string `json:"s3Uri"`
	} `json:"inputDataConfig"`
	OutputDataConfig struct {
		S3Uri           string `json:"s3Uri"`
		EncryptionKeyID string `json:"encryptionKeyID,omitempty"`
	} `json:"outputDataConfig"`
	SuccessOutput struct {
		SuccessOutputS3Uri string `json:"successOutputS3Uri"`
	} `json:"successOutput"`
	FailureOutput struct {
		FailureOutputS3Uri string `json:"failureOutputS3Uri"`
	} `json:"failureOutput"`
	NumberOfScannedFiles                  int64    `json:"numberOfScannedFiles"`
	NumberOfFilesImported                 int64    `json:"numberOfFilesImported"`
	SizeOfScannedFilesInMB                float64  `json:"sizeOfScannedFilesInMB"`
	SizeOfDataImportedSuccessfullyInMB    float64  `json:"sizeOfDataImportedSuccessfullyInMB"`
	NumberOfResourcesScanned              int64    `json:"numberOfResourcesScanned"`
	NumberOfResourcesImportedSuccessfully int64    `json:"numberOfResourcesImportedSuccessfully"`
	NumberOfResourcesWithCustomerError    int64    `json:"numberOfResourcesWithCustomerError"`
	NumberOfResourcesWithServerError      int64    `json:"numberOfResourcesWithServerError"`
	SkippedFiles                          []string `json:"skippedFiles,omitempty"` // not .ndjson/.json(.gz)
}

func writeManifest(ctx context.Context, dest Dest, job *engine.Job, p engine.JobProgress, skipped []string) error {
	var m manifest
	m.InputDataConfig.S3Uri = job.Import.InputURI
	m.OutputDataConfig.S3Uri = dest.URI("")
	m.OutputDataConfig.EncryptionKeyID = job.Import.KmsKeyID
	m.SuccessOutput.SuccessOutputS3Uri = dest.URI("SUCCESS/")
	m.FailureOutput.FailureOutputS3Uri = dest.URI("FAILURE/")
	m.NumberOfScannedFiles = p.ScannedFiles
	m.NumberOfFilesImported = p.ImportedFiles
	m.SizeOfScannedFilesInMB = p.ScannedMB
	m.SizeOfDataImportedSuccessfullyInMB = p.ImportedMB
	m.NumberOfResourcesScanned = p.ResourcesScanned
	m.NumberOfResourcesImportedSuccessfully = p.ResourcesImported
	m.NumberOfResourcesWithCustomerError = p.ResourcesWithError
	m.SkippedFiles = skipped
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	return dest.Put(ctx, "manifest.json", bytes.NewReader(data), int64(len(data)))
}

// chunkWriter writes a file in a chunk's folder through a buffer,
// creating it with its first bytes. An error is kept for close.
type chunkWriter struct {
	path string
	f    *os.File
	w    *bufio.Writer
	size int64
	err  error
}

func (c *chunkWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	if c.f == nil {
		if c.f, c.err = os.OpenFile(c.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600); c.err != nil {
			return
		}
		c.w = bufio.NewWriterSize(c.f, 256<<10)
	}
	_, c.err = c.w.Write(b)
	c.size += int64(len(b))
}

// close ends the file.
func (c *chunkWriter) close() (partFile, error) {
	if c.f == nil {
		return partFile{}, c.err
	}
	if c.err == nil {
		c.err = c.w.Flush()
	}
	if err := c.f.Close(); c.err == nil {
		c.err = err
	}
	c.f = nil
	if c.err != nil {
		return partFile{}, fmt.Errorf("chunk file %s: %w", c.path, c.err)
	}
	return partFile{path: c.path, size: c.size}, nil
}

// part is a chunk's SUCCESS or FAILURE records, written to its folder as
// they come (a chunk of 400,000 resources has about 100 MB of them).
type part struct {
	chunkWriter
	rec []byte // the record being made
}

// record returns the part's buffer for the next record, emptied.
func (p *part) record() []byte { return p.rec[:0] }

// add writes a record made in record()'s buffer.
func (p *part) add(rec []byte) {
	p.rec = rec
	p.write(rec)
}

// partFile is a closed chunk file: size bytes at path (none when 0).
type partFile struct {
	path string
	size int64
}

// put copies a closed part to the job's output.
func (f partFile) put(ctx context.Context, dest Dest, name string) error {
	if f.size == 0 {
		return nil
	}
	in, err := os.Open(f.path)
	if err != nil {
		return fmt.Errorf("output part: %w", err)
	}
	defer in.Close()
	return dest.Put(ctx, name, in, f.size)
}
