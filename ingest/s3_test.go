package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/internal/fixtures"
)

// fakeS3 is an in-process S3 (gofakes3) reached through the AWS SDK.
type fakeS3 struct {
	cfg    S3Config
	client *s3.Client
}

func newFakeS3(t *testing.T, buckets ...string) *fakeS3 {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	cfg := S3Config{Endpoint: srv.URL, PathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")}
	c := &s3Clients{cfg: cfg}
	client, err := c.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	return &fakeS3{cfg: cfg, client: client}
}

func (f *fakeS3) put(t *testing.T, bucket, key string, data []byte) {
	t.Helper()
	if _, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(data)}); err != nil {
		t.Fatal(err)
	}
}

func (f *fakeS3) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := f.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (f *fakeS3) keys(t *testing.T, bucket, prefix string) []string {
	t.Helper()
	out, err := f.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// TestImportFromS3 imports the bulk NDJSON fixtures and the HIV Bundles
// (hospital and practitioner files first) from an S3 prefix, through the
// real AWS SDK against an in-process S3, and writes the output to S3.
func TestImportFromS3(t *testing.T) {
	fs := newFakeS3(t, "input", "output")
	bulkDir := filepath.Join(fixtures.Dir(), "bulk-ndjson-13-patients")
	entries, _ := os.ReadDir(bulkDir)
	for _, en := range entries {
		data, _ := os.ReadFile(filepath.Join(bulkDir, en.Name()))
		fs.put(t, "input", "export/2024/bulk/"+en.Name(), data)
	}
	bundles, err := fixtures.BundleFiles("bundles-hiv-notes")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range bundles[:12] { // the two shared files, then 10 patients
		data, _ := os.ReadFile(f)
		fs.put(t, "input", "export/2024/bundles/"+filepath.Base(f), data)
	}
	fs.put(t, "input", "export/2023/old.ndjson", []byte(`{"resourceType":"Patient","id":"not-in-the-prefix"}`))

	e := newEnv(t, Config{Storage: NewStorage(fs.cfg), ChunkResources: 5000})
	job := e.run("s3://input/export/2024/", "s3://output/results", "strict")
	if job.Status != engine.JobCompleted {
		t.Fatalf("job %s: %s", job.Status, job.Message)
	}
	bulk, _ := fixtures.Bulk()
	want := int64(len(bulk))
	for _, f := range bundles[:12] {
		data, _ := fixtures.ReadBundle(f)
		var b struct{ Entry []json.RawMessage }
		json.Unmarshal(data, &b)
		want += int64(len(b.Entry))
	}
	if job.Progress.ResourcesImported != want || job.Progress.ScannedFiles != 13+12 {
		t.Errorf("progress %+v, want %d resources from 25 files", job.Progress, want)
	}
	if n := e.counts("Patient")["Patient"]; n != 13+10 {
		t.Errorf("%d patients, want 23", n)
	}
	folder := "results/" + JobFolder(e.ds, job.ID)
	var m manifest
	if err := json.Unmarshal(fs.get(t, "output", folder+"manifest.json"), &m); err != nil {
		t.Fatal(err)
	}
	if m.NumberOfResourcesImportedSuccessfully != want || m.SuccessOutput.SuccessOutputS3Uri != "s3://output/"+folder+"SUCCESS/" {
		t.Errorf("manifest %+v", m)
	}
	lines := 0
	for _, k := range fs.keys(t, "output", folder+"SUCCESS/") {
		lines += strings.Count(string(fs.get(t, "output", k)), "\n")
	}
	if int64(lines) != want {
		t.Errorf("%d SUCCESS lines, want %d", lines, want)
	}
	if k := fs.keys(t, "output", folder+"FAILURE/"); len(k) != 0 {
		t.Errorf("FAILURE parts: %v", k)
	}
	// A conditional reference was resolved to the stored practitioner.
	var refs int
	if err := e.store.DB().QueryRow(`SELECT count(*) FROM main.encounter, unnest(participant) AS p(x) WHERE x.individual.reference LIKE 'Practitioner/%'`).Scan(&refs); err != nil || refs == 0 {
		t.Errorf("encounters referring to Practitioner/id: %d %v", refs, err)
	}
}

func TestMissingBucketFailsTheJob(t *testing.T) {
	fs := newFakeS3(t, "output")
	e := newEnv(t, Config{Storage: NewStorage(fs.cfg)})
	job := e.run("s3://no-such-bucket/x/", "s3://output/results", "")
	if job.Status != engine.JobFailed || !strings.Contains(job.Message, "no-such-bucket") {
		t.Fatalf("job %s: %q", job.Status, job.Message)
	}
}
