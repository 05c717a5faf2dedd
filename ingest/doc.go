// Package ingest runs bulk import jobs: HealthLake's StartFHIRImportJob,
// from local folders (file://) and S3 (s3://), as fast as DuckDB reads
// JSON.
//
// A job lists its input once (location.go, file.go, s3.go) and reads the
// files in a fixed order as a stream of units: blocks of NDJSON lines
// (lines.go) and whole Bundles (bundle.go). Workers check and lay out the
// resources in parallel with fhirflat (pipeline.go); one assembler takes
// the results in input order, drops duplicate ids, and cuts them into
// chunks (chunk.go): per-type NDJSON files of row JSON that the store loads
// with engine.Store.Import in one transaction each, together with a
// checkpoint naming where the chunk ends in the input. A job killed at any
// point resumes after its last committed chunk and ends exactly as if it
// had not been interrupted: chunk boundaries depend only on the input, and
// each chunk's SUCCESS and FAILURE output parts are written (or rewritten)
// before it commits (output.go). runner.go queues jobs per data store
// (FIFO) and resumes unfinished ones when the server starts.
package ingest
