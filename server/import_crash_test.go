package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"
	"github.com/aws/aws-sdk-go-v2/service/healthlake/types"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/synth"
)

// childClient talks to a server running in a child process.
func childClient(t *testing.T, dir, url string) *testServer {
	creds, err := loadCreds(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{t: t, http: &http.Client{Timeout: time.Minute}}
	ts.Server = &Server{Credentials: creds, Config: Config{Region: "us-east-1"}, HTTPURL: url}
	ts.hl = ts.healthLake(creds.AccessKeyID, creds.SecretAccessKey)
	return ts
}

func (ts *testServer) describeImport(ds, id string) *types.ImportJobProperties {
	ts.t.Helper()
	d, err := ts.hl.DescribeFHIRImportJob(context.Background(), &healthlake.DescribeFHIRImportJobInput{DatastoreId: aws.String(ds), JobId: aws.String(id)})
	if err != nil {
		ts.t.Fatal(err)
	}
	return d.ImportJobProperties
}

func finished(s types.JobStatus) bool {
	return s == types.JobStatusCompleted || s == types.JobStatusCompletedWithErrors || s == types.JobStatusFailed
}

// TestKillDuringImportResumes kills the server (SIGKILL) twice in the
// middle of an import; after each restart the job resumes, and the end
// state (resources, versions, SUCCESS and FAILURE output, counters) is
// the one of an uninterrupted run.
func TestKillDuringImportResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	ctx := context.Background()
	in := t.TempDir()
	if _, err := synth.WriteDir(ctx, synth.Options{Patients: 60, Seed: 3}, in); err != nil {
		t.Fatal(err)
	}
	bad := `{"resourceType":"Patient","id":"bad","birthDate":"1999-02-31"}` + "\n" + `{"resourceType":"Patient","id":"ok-1"}` + "\n{truncated\n"
	os.WriteFile(filepath.Join(in, "extra.ndjson"), []byte(bad), 0o644)
	// chunks of 2,500 resources, a type's rows dealt to a file per DuckDB
	// thread in blocks of 200
	env := []string{"FHIRLAKE_TEST_IMPORT_CHUNK=2500", "FHIRLAKE_TEST_IMPORT_SPLIT=200"}

	run := func(kills int) (dir, ds, out string, p *types.ImportJobProperties) {
		dir, out = t.TempDir(), t.TempDir()
		child, url, ds := startChild(t, dir, env...)
		ts := childClient(t, dir, url)
		started, err := ts.hl.StartFHIRImportJob(ctx, startImportInput(ds, in, out))
		if err != nil {
			t.Fatal(err)
		}
		id := aws.ToString(started.JobId)
		for k := 0; k < kills; k++ {
			before := int64(-1)
			for {
				p := ts.describeImport(ds, id)
				if finished(p.JobStatus) {
					t.Fatalf("the job finished before kill %d", k+1)
				}
				n := aws.ToInt64(p.JobProgressReport.TotalNumberOfResourcesImported)
				if before < 0 {
					before = n
				}
				if n > before { // a chunk more was committed in this run
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(time.Duration(100+300*k) * time.Millisecond) // somewhere inside the next chunk
			child.Process.Signal(syscall.SIGKILL)
			child.Wait()
			child, url, _ = startChild(t, dir, env...)
			ts = childClient(t, dir, url)
		}
		deadline := time.Now().Add(5 * time.Minute)
		for {
			p = ts.describeImport(ds, id)
			if finished(p.JobStatus) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("job still %s", p.JobStatus)
			}
			time.Sleep(50 * time.Millisecond)
		}
		child.Process.Signal(syscall.SIGKILL)
		child.Wait()
		return dir, ds, filepath.Join(out, ds+"-FHIR_IMPORT-"+id), p
	}
	dirA, dsA, outA, pa := run(0)
	dirB, dsB, outB, pb := run(2)
	if pa.JobStatus != types.JobStatusCompletedWithErrors || pb.JobStatus != pa.JobStatus {
		t.Fatalf("status %s and %s: %s / %s", pa.JobStatus, pb.JobStatus, aws.ToString(pa.Message), aws.ToString(pb.Message))
	}
	ra, rb := pa.JobProgressReport, pb.JobProgressReport
	for _, f := range []struct {
		name string
		a, b *int64
	}{{"imported", ra.TotalNumberOfResourcesImported, rb.TotalNumberOfResourcesImported},
		{"scanned", ra.TotalNumberOfResourcesScanned, rb.TotalNumberOfResourcesScanned},
		{"errors", ra.TotalNumberOfResourcesWithCustomerError, rb.TotalNumberOfResourcesWithCustomerError},
		{"files", ra.TotalNumberOfScannedFiles, rb.TotalNumberOfScannedFiles},
		{"imported files", ra.TotalNumberOfImportedFiles, rb.TotalNumberOfImportedFiles}} {
		if aws.ToInt64(f.a) != aws.ToInt64(f.b) {
			t.Errorf("%s: %d uninterrupted, %d with kills", f.name, aws.ToInt64(f.a), aws.ToInt64(f.b))
		}
	}
	if aws.ToInt64(ra.TotalNumberOfResourcesWithCustomerError) != 2 {
		t.Errorf("%d rejected, want 2", aws.ToInt64(ra.TotalNumberOfResourcesWithCustomerError))
	}
	for _, folder := range []string{"SUCCESS", "FAILURE"} {
		a, b := outputLines(t, filepath.Join(outA, folder)), outputLines(t, filepath.Join(outB, folder))
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Errorf("%s: %d lines uninterrupted, %d with kills", folder, len(a), len(b))
		}
	}
	a, b := storeContent(t, dirA, dsA), storeContent(t, dirB, dsB)
	if len(a) != len(b) || len(a) < int(aws.ToInt64(ra.TotalNumberOfResourcesImported)) {
		t.Fatalf("%d resources uninterrupted, %d with kills", len(a), len(b))
	}
	for k, v := range a {
		if b[k] != v {
			t.Fatalf("%s differs:\n%.300s\n%.300s", k, v, b[k])
		}
	}
	t.Logf("%d resources equal after two SIGKILLs", len(a))
}

// outputLines returns the sorted lines of a job's output folder.
func outputLines(t *testing.T, dir string) []string {
	parts, _ := filepath.Glob(filepath.Join(dir, "*.ndjson"))
	var lines []string
	for _, p := range parts {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")...)
	}
	sort.Strings(lines)
	return lines
}

// storeContent opens a data directory and returns every resource of a
// data store as FHIR JSON without meta.lastUpdated, by Type/id/version;
// it fails the test on any history row (a resource imported twice).
func storeContent(t *testing.T, dir, ds string) map[string]string {
	ctx := context.Background()
	eng, err := engine.Open(ctx, engine.Config{Dir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	s, err := eng.Store(ctx, ds)
	if err != nil {
		t.Fatal(err)
	}
	types, err := s.TypesWithData(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var dn fhirflat.Denormalizer
	for _, typ := range types {
		schema, _ := s.Builder().Schema(typ)
		var history int
		s.DB().QueryRow("SELECT count(*) FROM main." + fhirflat.QuoteIdent(fhirflat.HistoryTable(typ))).Scan(&history)
		if history > 0 {
			t.Errorf("%s: %d history rows", typ, history)
		}
		rows, err := s.DB().Query("SELECT to_json(t)::VARCHAR FROM main." + fhirflat.QuoteIdent(schema.Table) + " t")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row string
			rows.Scan(&row)
			js, sys, err := dn.Denormalize(nil, schema, []byte(row), fhirflat.SystemFields{})
			if err != nil {
				t.Fatal(err)
			}
			s := string(js)
			if i := strings.Index(s, `"lastUpdated":"`); i >= 0 {
				j := strings.IndexByte(s[i+15:], '"')
				s = s[:i] + s[i+15+j+1:]
			}
			out[fmt.Sprintf("%s/%s/%d", typ, sys.ID, sys.VersionID)] = s
		}
		rows.Close()
	}
	return out
}
