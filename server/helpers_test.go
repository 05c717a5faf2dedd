package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"

	"github.com/fhirlake/fhirlake/auth"
	"github.com/fhirlake/fhirlake/engine"
)

// testServer is a server started for a test, with clients for it.
type testServer struct {
	*Server
	t    *testing.T
	http *http.Client
	hl   *healthlake.Client
}

func quietLogger() *slog.Logger {
	if os.Getenv("FHIRLAKE_TEST_LOG") != "" {
		return slog.Default()
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startServer(t *testing.T, cfg Config) *testServer {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.HTTPAddr == "" {
		cfg.HTTPAddr = "127.0.0.1:0"
	}
	if cfg.PreloadPatients == 0 {
		cfg.PreloadPatients = 2
	}
	if cfg.MySQLAddr == "" {
		cfg.MySQLAddr = "127.0.0.1:0"
	}
	cfg.Logger = quietLogger()
	s, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Server: s, t: t}
	ts.http = ts.httpClient()
	ts.hl = ts.healthLake(ts.Credentials.AccessKeyID, ts.Credentials.SecretAccessKey)
	t.Cleanup(func() { s.Close() })
	return ts
}

func (ts *testServer) httpClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if ts.CertPath != "" {
		pem, err := os.ReadFile(ts.CertPath)
		if err != nil {
			ts.t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	return &http.Client{Transport: tr, Timeout: 2 * time.Minute}
}

func (ts *testServer) healthLake(key, secret string) *healthlake.Client {
	return healthlake.New(healthlake.Options{
		Region:       ts.Config.Region,
		BaseEndpoint: aws.String(ts.HTTPURL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, nil
		}),
		HTTPClient:       ts.http,
		RetryMaxAttempts: 1,
	})
}

// do sends a SigV4-signed request.
func (ts *testServer) do(method, url string, body []byte, header http.Header) (*http.Response, []byte) {
	ts.t.Helper()
	req, err := http.NewRequest(method, url, bytesReader(body))
	if err != nil {
		ts.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	ts.sign(req, body)
	resp, err := ts.http.Do(req)
	if err != nil {
		ts.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp, out
}

func (ts *testServer) sign(req *http.Request, body []byte) {
	ts.t.Helper()
	hash := sha256Hex(body)
	req.Header.Set("X-Amz-Content-Sha256", hash)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{
		AccessKeyID: ts.Credentials.AccessKeyID, SecretAccessKey: ts.Credentials.SecretAccessKey,
	}, req, hash, "healthlake", ts.Config.Region, time.Now())
	if err != nil {
		ts.t.Fatal(err)
	}
}

// waitStatus waits for a data store to reach a status.
func (ts *testServer) waitStatus(id, status string) {
	ts.t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for time.Now().Before(deadline) {
		d, err := ts.Engine.Datastore(context.Background(), id)
		if err != nil {
			ts.t.Fatal(err)
		}
		if d.Status == status {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.t.Fatalf("data store %s did not become %s", id, status)
}

func createReq(name string) engine.CreateRequest {
	return engine.CreateRequest{Name: name, TypeVersion: "R4"}
}

func loadCreds(dir string) (auth.Credentials, error) { return auth.Load(dir) }
