package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"
	"github.com/aws/aws-sdk-go-v2/service/healthlake/types"
	"github.com/aws/smithy-go"
)

func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestDatastoreLifecycleWithSDK(t *testing.T) {
	ts := startServer(t, Config{})
	ctx := context.Background()
	out, err := ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{
		DatastoreTypeVersion: types.FHIRVersionR4,
		DatastoreName:        aws.String("lifecycle"),
		PreloadDataConfig:    &types.PreloadDataConfig{PreloadDataType: types.PreloadDataTypeSynthea},
		Tags:                 []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.DatastoreId)
	if out.DatastoreStatus != types.DatastoreStatusCreating || len(id) != 32 {
		t.Fatalf("create = %+v", out)
	}
	if want := ts.ARN(id); aws.ToString(out.DatastoreArn) != want {
		t.Errorf("arn = %s, want %s", aws.ToString(out.DatastoreArn), want)
	}
	if want := ts.Endpoint(id); aws.ToString(out.DatastoreEndpoint) != want {
		t.Errorf("endpoint = %s, want %s", aws.ToString(out.DatastoreEndpoint), want)
	}
	ts.waitStatus(id, "ACTIVE")
	d, err := ts.hl.DescribeFHIRDatastore(ctx, &healthlake.DescribeFHIRDatastoreInput{DatastoreId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	p := d.DatastoreProperties
	if p.DatastoreStatus != types.DatastoreStatusActive || aws.ToString(p.DatastoreName) != "lifecycle" ||
		p.DatastoreTypeVersion != types.FHIRVersionR4 || p.PreloadDataConfig == nil || p.CreatedAt == nil ||
		time.Since(*p.CreatedAt) > time.Hour {
		t.Fatalf("describe = %+v", p)
	}
	// the preloaded data is readable over FHIR
	resp, body := ts.do("GET", ts.Endpoint(id)+"Patient/_history?_count=1", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"resourceType":"Patient"`) {
		t.Fatalf("preloaded patients: %d %s", resp.StatusCode, body)
	}
	tags, err := ts.hl.ListTagsForResource(ctx, &healthlake.ListTagsForResourceInput{ResourceARN: out.DatastoreArn})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "data" {
		t.Fatalf("tags = %+v %v", tags, err)
	}
	del, err := ts.hl.DeleteFHIRDatastore(ctx, &healthlake.DeleteFHIRDatastoreInput{DatastoreId: aws.String(id)})
	if err != nil || del.DatastoreStatus != types.DatastoreStatusDeleting {
		t.Fatalf("delete = %+v %v", del, err)
	}
	ts.waitStatus(id, "DELETED")
	// a second delete conflicts with the state
	if _, err := ts.hl.DeleteFHIRDatastore(ctx, &healthlake.DeleteFHIRDatastoreInput{DatastoreId: aws.String(id)}); apiErrorCode(err) != "ConflictException" {
		t.Errorf("delete of a deleted store: %v", err)
	}
	resp, body = ts.do("GET", ts.Endpoint(id)+"Patient", nil, nil)
	if resp.StatusCode == 200 {
		t.Errorf("FHIR API of a deleted store answers 200: %s", body)
	}
	list, err := ts.hl.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{Filter: &types.DatastoreFilter{DatastoreStatus: types.DatastoreStatusDeleted}})
	if err != nil || len(list.DatastorePropertiesList) != 1 || aws.ToString(list.DatastorePropertiesList[0].DatastoreId) != id {
		t.Fatalf("list deleted = %+v %v", list, err)
	}
}

func TestCreateIsIdempotent(t *testing.T) {
	ts := startServer(t, Config{})
	ctx := context.Background()
	in := &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4, ClientToken: aws.String("token-1")}
	a, err := ts.hl.CreateFHIRDatastore(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ts.hl.CreateFHIRDatastore(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(a.DatastoreId) != aws.ToString(b.DatastoreId) {
		t.Fatalf("same client token gave two data stores: %s %s", aws.ToString(a.DatastoreId), aws.ToString(b.DatastoreId))
	}
	c, err := ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4, ClientToken: aws.String("token-2")})
	if err != nil || aws.ToString(c.DatastoreId) == aws.ToString(a.DatastoreId) {
		t.Fatalf("another token gave the same data store: %v", err)
	}
	all, _ := ts.Engine.Datastores(ctx)
	if len(all) != 2 {
		t.Errorf("%d data stores, want 2", len(all))
	}
}

func TestListPagination(t *testing.T) {
	ts := startServer(t, Config{})
	ctx := context.Background()
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		out, err := ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4, DatastoreName: aws.String(fmt.Sprintf("p%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		want[aws.ToString(out.DatastoreId)] = true
	}
	seen := map[string]bool{}
	pages := 0
	p := healthlake.NewListFHIRDatastoresPaginator(ts.hl, &healthlake.ListFHIRDatastoresInput{MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.DatastorePropertiesList) > 2 {
			t.Fatalf("page of %d", len(page.DatastorePropertiesList))
		}
		for _, d := range page.DatastorePropertiesList {
			id := aws.ToString(d.DatastoreId)
			if seen[id] {
				t.Fatalf("%s listed twice", id)
			}
			seen[id] = true
		}
	}
	if pages != 3 || len(seen) != 5 {
		t.Fatalf("%d pages, %d data stores", pages, len(seen))
	}
	for id := range want {
		if !seen[id] {
			t.Errorf("%s not listed", id)
		}
	}
	// filters
	named, err := ts.hl.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{Filter: &types.DatastoreFilter{DatastoreName: aws.String("p3")}})
	if err != nil || len(named.DatastorePropertiesList) != 1 || aws.ToString(named.DatastorePropertiesList[0].DatastoreName) != "p3" {
		t.Fatalf("name filter: %+v %v", named, err)
	}
	future, err := ts.hl.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{Filter: &types.DatastoreFilter{CreatedAfter: aws.Time(time.Now().Add(time.Hour))}})
	if err != nil || len(future.DatastorePropertiesList) != 0 {
		t.Fatalf("created-after filter: %+v %v", future, err)
	}
}

func TestTags(t *testing.T) {
	ts := startServer(t, Config{})
	ctx := context.Background()
	out, err := ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4})
	if err != nil {
		t.Fatal(err)
	}
	arn := out.DatastoreArn
	if _, err := ts.hl.TagResource(ctx, &healthlake.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("owner"), Value: aws.String("ann")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.hl.TagResource(ctx, &healthlake.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("prod")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.hl.UntagResource(ctx, &healthlake.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"owner"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := ts.hl.ListTagsForResource(ctx, &healthlake.ListTagsForResourceInput{ResourceARN: arn})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Key) != "env" || aws.ToString(tags.Tags[0].Value) != "prod" {
		t.Fatalf("tags = %+v", tags.Tags)
	}
	missing := aws.String(ts.ARN("0123456789abcdef0123456789abcdef"))
	if _, err := ts.hl.ListTagsForResource(ctx, &healthlake.ListTagsForResourceInput{ResourceARN: missing}); apiErrorCode(err) != "ResourceNotFoundException" {
		t.Errorf("tags of a missing data store: %v", err)
	}
}

func TestErrorTypes(t *testing.T) {
	ts := startServer(t, Config{ControlRate: 5})
	ctx := context.Background()
	// ResourceNotFoundException
	_, err := ts.hl.DescribeFHIRDatastore(ctx, &healthlake.DescribeFHIRDatastoreInput{DatastoreId: aws.String("0123456789abcdef0123456789abcdef")})
	if apiErrorCode(err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "0123456789abcdef0123456789abcdef") {
		t.Errorf("describe missing: %v", err)
	}
	// ValidationException: a name over 256 characters
	_, err = ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4, DatastoreName: aws.String(strings.Repeat("n", 257))})
	if apiErrorCode(err) != "ValidationException" || !strings.Contains(err.Error(), "datastoreName") || !strings.Contains(err.Error(), "256") {
		t.Errorf("long name: %v", err)
	}
	// AccessDeniedException: a customer managed KMS key
	_, err = ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4,
		SseConfiguration: &types.SseConfiguration{KmsEncryptionConfig: &types.KmsEncryptionConfig{CmkType: types.CmkTypeCmCmk, KmsKeyId: aws.String("alias/mine")}}})
	if apiErrorCode(err) != "AccessDeniedException" {
		t.Errorf("customer managed key: %v", err)
	}
	// ConflictException: deleting a store that is still being created
	out, err := ts.hl.CreateFHIRDatastore(ctx, &healthlake.CreateFHIRDatastoreInput{DatastoreTypeVersion: types.FHIRVersionR4,
		PreloadDataConfig: &types.PreloadDataConfig{PreloadDataType: types.PreloadDataTypeSynthea}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ts.hl.DeleteFHIRDatastore(ctx, &healthlake.DeleteFHIRDatastoreInput{DatastoreId: out.DatastoreId})
	if apiErrorCode(err) != "ConflictException" {
		t.Errorf("delete while creating: %v", err)
	}
	// ThrottlingException: more than the rate
	throttled := false
	for i := 0; i < 30 && !throttled; i++ {
		_, err := ts.hl.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{})
		throttled = apiErrorCode(err) == "ThrottlingException"
	}
	if !throttled {
		t.Error("30 quick requests at 5 per second were not throttled")
	}
	time.Sleep(2 * time.Second) // let the bucket refill
	ts.waitStatus(aws.ToString(out.DatastoreId), "ACTIVE")
	// InternalServerException: the catalog is gone under the server
	ts.Engine.Close()
	_, err = ts.hl.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{})
	if apiErrorCode(err) != "InternalServerException" {
		t.Errorf("closed engine: %v", err)
	}
}

// rawControl sends a signed control request with a body as given.
func (ts *testServer) rawControl(op string, body string) (int, map[string]string, http.Header) {
	ts.t.Helper()
	h := http.Header{}
	h.Set("X-Amz-Target", "HealthLake."+op)
	h.Set("Content-Type", "application/x-amz-json-1.0")
	resp, out := ts.do("POST", ts.HTTPURL+"/", []byte(body), h)
	var m map[string]string
	_ = json.Unmarshal(out, &m)
	return resp.StatusCode, m, resp.Header
}

func TestBadControlRequests(t *testing.T) {
	ts := startServer(t, Config{})
	cases := []struct {
		op, body, want string
	}{
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R4",`, "not a valid JSON object"},
		{"CreateFHIRDatastore", `[1,2]`, "not a valid JSON object"},
		{"CreateFHIRDatastore", `{}`, "Value null at 'datastoreTypeVersion' failed to satisfy constraint: Member must not be null"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R5"}`, "Member must satisfy enum value set: [R4]"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": 4}`, "Value at 'datastoreTypeVersion' must be a string, got a number"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R4", "DatastoreName": "` + strings.Repeat("x", 300) + `"}`, "Member must have length less than or equal to 256"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R4", "DatastoreName": "bad<name>"}`, "Member must satisfy regular expression pattern"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R4", "PreloadDataConfig": {}}`, "'preloadDataConfig.preloadDataType' failed to satisfy constraint: Member must not be null"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R4", "Tags": {"a": "b"}}`, "Value at 'tags' must be a list, got an object"},
		{"CreateFHIRDatastore", `{"DatastoreTypeVersion": "R4", "ClientToken": "no spaces allowed"}`, "clientToken"},
		{"DescribeFHIRDatastore", `{}`, "Value null at 'datastoreId'"},
		{"DescribeFHIRDatastore", `{"DatastoreId": ["x"]}`, "must be a string, got a list"},
		{"ListFHIRDatastores", `{"MaxResults": 0}`, "Member must have value between 1 and 500"},
		{"ListFHIRDatastores", `{"MaxResults": 1.5}`, "must be an integer"},
		{"ListFHIRDatastores", `{"NextToken": "garbage"}`, "not a token this server issued"},
		{"ListFHIRDatastores", `{"Filter": {"DatastoreStatus": "ALIVE"}}`, "filter.datastoreStatus"},
		{"TagResource", `{"ResourceARN": "arn:aws:s3:::bucket", "Tags": []}`, "resourceARN"},
		{"FrobnicateDatastore", `{}`, "Unknown operation"},
	}
	for _, c := range cases {
		status, body, hdr := ts.rawControl(c.op, c.body)
		if status != 400 || body["__type"] != "ValidationException" || hdr.Get("X-Amzn-ErrorType") != "ValidationException" || !strings.Contains(body["message"], c.want) {
			t.Errorf("%s %.60s: %d %v, want ValidationException with %q", c.op, c.body, status, body, c.want)
		}
	}
	all, _ := ts.Engine.Datastores(context.Background())
	if len(all) != 0 {
		t.Errorf("bad requests created %d data stores", len(all))
	}
}

func TestUnsignedAndBadlySignedRequests(t *testing.T) {
	ts := startServer(t, Config{})
	ctx := context.Background()
	wrong := ts.healthLake(ts.Credentials.AccessKeyID, "wrong-secret-wrong-secret-wrong-secret00")
	if _, err := wrong.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{}); apiErrorCode(err) != "InvalidSignatureException" {
		t.Errorf("wrong secret: %v", err)
	}
	unknown := ts.healthLake("AKIAAAAAAAAAAAAAAAAA", ts.Credentials.SecretAccessKey)
	if _, err := unknown.ListFHIRDatastores(ctx, &healthlake.ListFHIRDatastoresInput{}); apiErrorCode(err) != "UnrecognizedClientException" {
		t.Errorf("unknown key: %v", err)
	}
	req, _ := http.NewRequest("POST", ts.HTTPURL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "HealthLake.ListFHIRDatastores")
	resp, err := ts.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Errorf("unsigned: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	// a signed request replayed with a changed body
	body := []byte(`{"DatastoreTypeVersion":"R4","DatastoreName":"a"}`)
	req, _ = http.NewRequest("POST", ts.HTTPURL+"/", strings.NewReader(string(body)))
	req.Header.Set("X-Amz-Target", "HealthLake.CreateFHIRDatastore")
	ts.sign(req, body)
	req.Body = http.NoBody
	req2, _ := http.NewRequest("POST", ts.HTTPURL+"/", strings.NewReader(`{"DatastoreTypeVersion":"R4","DatastoreName":"b"}`))
	req2.Header = req.Header.Clone()
	resp, err = ts.http.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("changed body: %d", resp.StatusCode)
	}
	// signed 20 minutes ago
	req, _ = http.NewRequest("POST", ts.HTTPURL+"/", strings.NewReader(`{}`))
	req.Header.Set("X-Amz-Target", "HealthLake.ListFHIRDatastores")
	hash := sha256Hex([]byte(`{}`))
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: ts.Credentials.AccessKeyID, SecretAccessKey: ts.Credentials.SecretAccessKey},
		req, hash, "healthlake", "us-east-1", time.Now().Add(-20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	resp, err = ts.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 || resp.Header.Get("X-Amzn-ErrorType") != "InvalidSignatureException" {
		t.Errorf("expired signature: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
	all, _ := ts.Engine.Datastores(ctx)
	if len(all) != 0 {
		t.Errorf("rejected requests created %d data stores", len(all))
	}
}
