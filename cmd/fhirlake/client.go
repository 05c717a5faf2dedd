package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/healthlake"
	"github.com/spf13/cobra"

	"github.com/fhirlake/fhirlake/auth"
)

// clientFlags are the flags of commands that talk to a running server.
type clientFlags struct {
	endpoint string
	dataDir  string
	region   string
	caBundle string
	insecure bool
	output   string
}

func (c *clientFlags) register(cmd *cobra.Command) {
	f := cmd.PersistentFlags()
	f.StringVar(&c.endpoint, "endpoint", "https://127.0.0.1:8443", "URL of the fhirlake server")
	f.StringVar(&c.dataDir, "data-dir", "./fhirlake-data", "the server's data directory, for its credentials and certificate")
	f.StringVar(&c.region, "region", "us-east-1", "SigV4 region")
	f.StringVar(&c.caBundle, "ca-bundle", "", "CA certificate to trust (default: <data-dir>/tls/cert.pem when present)")
	f.BoolVar(&c.insecure, "no-verify-ssl", false, "do not verify the server's certificate")
	f.StringVarP(&c.output, "output", "o", "table", "output: table or json")
}

func (c *clientFlags) httpClient() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	ca := c.caBundle
	if ca == "" {
		if p := filepath.Join(c.dataDir, "tls", "cert.pem"); fileExists(p) {
			ca = p
		}
	}
	if c.insecure {
		tlsCfg.InsecureSkipVerify = true
	} else if ca != "" {
		pem, err := os.ReadFile(ca)
		if err != nil {
			return nil, fmt.Errorf("--ca-bundle: %w", err)
		}
		pool, _ := x509.SystemCertPool()
		if pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-bundle %s holds no PEM certificate", ca)
		}
		tlsCfg.RootCAs = pool
	}
	tr.TLSClientConfig = tlsCfg
	return &http.Client{Transport: tr}, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func (c *clientFlags) credentials() (aws.Credentials, error) {
	creds, err := auth.Load(c.dataDir)
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, Source: "fhirlake"}, nil
}

// healthLake returns an AWS SDK HealthLake client for the server.
func (c *clientFlags) healthLake() (*healthlake.Client, error) {
	hc, err := c.httpClient()
	if err != nil {
		return nil, err
	}
	creds, err := c.credentials()
	if err != nil {
		return nil, err
	}
	return healthlake.New(healthlake.Options{
		Region:           c.region,
		BaseEndpoint:     aws.String(c.endpoint),
		Credentials:      aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
		HTTPClient:       hc,
		RetryMaxAttempts: 3,
	}), nil
}
