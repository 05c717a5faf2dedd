package server

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"
	"github.com/aws/aws-sdk-go-v2/service/healthlake/types"

	"github.com/fhirlake/fhirlake/synth"
)

const testRole = "arn:aws:iam::000000000000:role/import"

func startImportInput(ds, in, out string) *healthlake.StartFHIRImportJobInput {
	return &healthlake.StartFHIRImportJobInput{
		DatastoreId:         aws.String(ds),
		InputDataConfig:     &types.InputDataConfigMemberS3Uri{Value: in},
		JobOutputDataConfig: &types.OutputDataConfigMemberS3Configuration{Value: types.S3Configuration{S3Uri: aws.String(out), KmsKeyId: aws.String("alias/aws/s3")}},
		DataAccessRoleArn:   aws.String(testRole),
	}
}

func TestImportJobsWithSDK(t *testing.T) {
	ts := startServer(t, Config{DefaultDatastore: true})
	ctx := context.Background()
	ds := ts.DefaultDatastoreID
	in := t.TempDir()
	st, err := synth.WriteDir(ctx, synth.Options{Patients: 3, Seed: 7, Gzip: true}, in)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	req := startImportInput(ds, "file://"+in, out)
	req.JobName = aws.String("synthetic")
	req.ClientToken = aws.String("token-1")
	req.ValidationLevel = types.ValidationLevelStructureOnly
	started, err := ts.hl.StartFHIRImportJob(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(started.JobId)
	if len(id) != 32 || aws.ToString(started.DatastoreId) != ds || started.JobStatus != types.JobStatusSubmitted {
		t.Fatalf("start = %+v", started)
	}
	again, err := ts.hl.StartFHIRImportJob(ctx, req)
	if err != nil || aws.ToString(again.JobId) != id {
		t.Fatalf("same ClientToken: %+v %v", again, err)
	}
	var p *types.ImportJobProperties
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := ts.hl.DescribeFHIRImportJob(ctx, &healthlake.DescribeFHIRImportJobInput{DatastoreId: aws.String(ds), JobId: aws.String(id)})
		if err != nil {
			t.Fatal(err)
		}
		p = d.ImportJobProperties
		if p.JobStatus == types.JobStatusCompleted || p.JobStatus == types.JobStatusFailed || p.JobStatus == types.JobStatusCompletedWithErrors {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", p.JobStatus)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if p.JobStatus != types.JobStatusCompleted || aws.ToString(p.JobName) != "synthetic" || aws.ToString(p.DataAccessRoleArn) != testRole ||
		p.EndTime == nil || p.SubmitTime == nil || p.EndTime.Before(*p.SubmitTime) || p.ValidationLevel != types.ValidationLevelStructureOnly {
		t.Fatalf("describe = %+v", p)
	}
	r := p.JobProgressReport
	if aws.ToInt64(r.TotalNumberOfResourcesImported) != int64(st.Total()) || aws.ToInt64(r.TotalNumberOfScannedFiles) != int64(st.Files) ||
		aws.ToInt64(r.TotalNumberOfResourcesWithCustomerError) != 0 || aws.ToFloat64(r.TotalSizeOfScannedFilesInMB) <= 0 {
		t.Errorf("progress = %+v, want %d resources in %d files", r, st.Total(), st.Files)
	}
	if u := p.InputDataConfig.(*types.InputDataConfigMemberS3Uri).Value; u != "file://"+in {
		t.Errorf("input %s", u)
	}
	if _, err := os.Stat(filepath.Join(out, ds+"-FHIR_IMPORT-"+id, "manifest.json")); err != nil {
		t.Error(err)
	}

	list, err := ts.hl.ListFHIRImportJobs(ctx, &healthlake.ListFHIRImportJobsInput{DatastoreId: aws.String(ds), JobStatus: types.JobStatusCompleted})
	if err != nil || len(list.ImportJobPropertiesList) != 1 || aws.ToString(list.ImportJobPropertiesList[0].JobId) != id {
		t.Fatalf("list = %+v %v", list, err)
	}
	list, err = ts.hl.ListFHIRImportJobs(ctx, &healthlake.ListFHIRImportJobsInput{DatastoreId: aws.String(ds), JobName: aws.String("other")})
	if err != nil || len(list.ImportJobPropertiesList) != 0 {
		t.Fatalf("list by other name = %+v %v", list, err)
	}
	// paging over three jobs, one per page
	for i := 0; i < 2; i++ {
		if _, err := ts.hl.StartFHIRImportJob(ctx, startImportInput(ds, in, out)); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	pager := healthlake.NewListFHIRImportJobsPaginator(ts.hl, &healthlake.ListFHIRImportJobsInput{DatastoreId: aws.String(ds), MaxResults: aws.Int32(1)})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range page.ImportJobPropertiesList {
			ids = append(ids, aws.ToString(j.JobId))
		}
	}
	if len(ids) != 3 || ids[0] != id {
		t.Errorf("paged job ids %v", ids)
	}
}

func TestImportJobErrorsWithSDK(t *testing.T) {
	ts := startServer(t, Config{DefaultDatastore: true})
	ctx := context.Background()
	ds := ts.DefaultDatastoreID
	in, out := t.TempDir(), t.TempDir()
	cases := []struct {
		name   string
		edit   func(*healthlake.StartFHIRImportJobInput)
		code   string
		phrase string
	}{
		{"bad role", func(r *healthlake.StartFHIRImportJobInput) {
			r.DataAccessRoleArn = aws.String("arn:aws:iam::1:user/x-long-enough")
		}, "ValidationException", "at 'dataAccessRoleArn'"},
		{"relative path", func(r *healthlake.StartFHIRImportJobInput) {
			r.InputDataConfig = &types.InputDataConfigMemberS3Uri{Value: "data/in"}
		}, "ValidationException", "'inputDataConfig.s3Uri'"},
		{"bad bucket", func(r *healthlake.StartFHIRImportJobInput) {
			r.InputDataConfig = &types.InputDataConfigMemberS3Uri{Value: "s3://A_B/x"}
		}, "ValidationException", "'inputDataConfig.s3Uri'"},
		{"missing folder", func(r *healthlake.StartFHIRImportJobInput) {
			r.InputDataConfig = &types.InputDataConfigMemberS3Uri{Value: in + "/nothing"}
		}, "ValidationException", "no such file or directory"},
		{"bad level", func(r *healthlake.StartFHIRImportJobInput) { r.ValidationLevel = "lenient" }, "ValidationException", "enum value set: [strict, structure-only, minimal]"},
		{"unknown data store", func(r *healthlake.StartFHIRImportJobInput) { r.DatastoreId = aws.String(strings.Repeat("0", 32)) }, "ResourceNotFoundException", "does not exist"},
	}
	for _, c := range cases {
		req := startImportInput(ds, in, out)
		c.edit(req)
		_, err := ts.hl.StartFHIRImportJob(ctx, req)
		if apiErrorCode(err) != c.code || err == nil || !strings.Contains(err.Error(), c.phrase) {
			t.Errorf("%s: %v, want %s with %q", c.name, err, c.code, c.phrase)
		}
	}
	// what the SDK checks itself, sent as is
	raw := `{"DatastoreId":"` + ds + `","InputDataConfig":{"S3Uri":"` + in + `"},"JobOutputDataConfig":{"S3Configuration":{"S3Uri":"` + out + `"}}}`
	resp, body := ts.do("POST", ts.HTTPURL+"/", []byte(raw), http.Header{"X-Amz-Target": {"HealthLake.StartFHIRImportJob"}, "Content-Type": {"application/x-amz-json-1.0"}})
	for _, want := range []string{"2 validation errors", "'jobOutputDataConfig.s3Configuration.kmsKeyId' failed to satisfy constraint: Member must not be null",
		"'dataAccessRoleArn' failed to satisfy constraint: Member must not be null"} {
		if resp.StatusCode != 400 || !strings.Contains(string(body), want) {
			t.Errorf("raw request without KmsKeyId and role: %d %s, want %q", resp.StatusCode, body, want)
		}
	}
	_, err := ts.hl.DescribeFHIRImportJob(ctx, &healthlake.DescribeFHIRImportJobInput{DatastoreId: aws.String(ds), JobId: aws.String(strings.Repeat("a", 32))})
	if apiErrorCode(err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "Import job") {
		t.Errorf("unknown job: %v", err)
	}
	_, err = ts.hl.StartFHIRExportJob(ctx, &healthlake.StartFHIRExportJobInput{DatastoreId: aws.String(ds), DataAccessRoleArn: aws.String(testRole),
		OutputDataConfig: &types.OutputDataConfigMemberS3Configuration{Value: types.S3Configuration{S3Uri: aws.String("s3://bucket/x"), KmsKeyId: aws.String("k")}}})
	if apiErrorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "export jobs are not supported") {
		t.Errorf("export: %v", err)
	}
}
