package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fhirlake/fhirlake/server"
)

func serveCommand() *cobra.Command {
	var cfg server.Config
	var noDefault bool
	var logLevel string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the fhirlake server (control API, FHIR API, SQL)",
		Long: `Run the fhirlake server.

On a fresh data directory it creates a data store named "default",
preloaded with synthetic patients, generates an access key pair (printed
once, kept in <data-dir>/credentials with mode 0600) and a self-signed TLS
certificate (<data-dir>/tls/cert.pem). Every request must be signed with
AWS Signature Version 4 (service healthlake).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			syscall.Umask(0o077) // every file the server writes is the owner's only
			level := slog.LevelInfo
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			cfg.DefaultDatastore = !noDefault
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			fmt.Fprintf(cmd.ErrOrStderr(), "fhirlake: starting (data directory %s)...\n", cfg.DataDir)
			s, err := server.Start(ctx, cfg)
			if err != nil {
				return err
			}
			printBanner(cmd.OutOrStdout(), s)
			select {
			case <-ctx.Done():
			case err := <-s.Err():
				if err != nil {
					s.Close()
					return err
				}
			}
			fmt.Fprintln(cmd.ErrOrStderr(), "fhirlake: shutting down")
			return s.Close()
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "./fhirlake-data", "data directory (created 0700)")
	f.StringVar(&cfg.HTTPAddr, "http-addr", "127.0.0.1:8443", "HTTPS address of the control and FHIR APIs (port 0: a free port)")
	f.BoolVar(&cfg.Insecure, "insecure-http", false, "serve plain HTTP instead of HTTPS")
	f.StringVar(&cfg.TLSCert, "tls-cert", "", "TLS certificate (PEM); default: a self-signed one in the data directory")
	f.StringVar(&cfg.TLSKey, "tls-key", "", "TLS private key (PEM) for --tls-cert")
	f.StringVar(&cfg.Region, "region", "us-east-1", "region of the SigV4 credential scope and of ARNs")
	f.StringVar(&cfg.AccountID, "account-id", "000000000000", "12-digit account id in ARNs")
	f.IntVar(&cfg.PreloadPatients, "preload-patients", 25, "synthetic patients in preloaded data stores")
	f.BoolVar(&noDefault, "no-default-datastore", false, "do not create the preloaded default data store")
	f.IntVar(&cfg.ControlRate, "control-rate", 100, "control API requests per second per access key before ThrottlingException")
	f.StringVar(&cfg.MySQLAddr, "mysql-addr", "", "MySQL-protocol address (default 127.0.0.1:3306, or a free port when taken; port 0: a free port; off: none)")
	f.DurationVar(&cfg.QueryTimeout, "query-timeout", 5*time.Minute, "longest a SQL query may run")
	f.IntVar(&cfg.MaxBundleEntries, "max-bundle-entries", 500, "most entries a FHIR batch or transaction Bundle may have (HealthLake: 500)")
	f.Int64Var(&cfg.QueryMemory, "query-memory", 0, "bytes of memory a data store's SQL queries may use before they are stopped (0: no limit)")
	f.StringVar(&cfg.Store.MemoryLimit, "memory-limit", "1GB", "memory each data store's DuckDB may use before it spills to disk (DuckDB syntax; empty: 80% of RAM)")
	f.IntVar(&cfg.Store.Threads, "duckdb-threads", 0, "threads of each data store's DuckDB (0: one per core; 1 loads imports faster on 2 cores, but every query then runs on one)")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.StringVar(&cfg.S3.Endpoint, "s3-endpoint", "", "S3 endpoint of import jobs, for S3-compatible stores (default: AWS, or AWS_ENDPOINT_URL_S3)")
	f.BoolVar(&cfg.S3.PathStyle, "s3-path-style", false, "address S3 buckets in the path (most S3-compatible stores need it)")
	return cmd
}

func printBanner(w io.Writer, s *server.Server) {
	fmt.Fprintf(w, "fhirlake is serving\n")
	fmt.Fprintf(w, "  control API    %s   (AWS JSON 1.0, X-Amz-Target: HealthLake.*)\n", s.HTTPURL)
	if id := s.DefaultDatastoreID; id != "" {
		fmt.Fprintf(w, "  FHIR API       %s   (default data store %s)\n", s.Endpoint(id), id)
	} else {
		fmt.Fprintf(w, "  FHIR API       %s/datastore/{id}/r4/\n", s.HTTPURL)
	}
	if s.MySQLAddr != "" {
		host, port, _ := net.SplitHostPort(s.MySQLAddr)
		fmt.Fprintf(w, "  MySQL          %s   (user = access key id, password = secret key; database = data store id)\n", s.MySQLAddr)
		fmt.Fprintf(w, "                 mysql -h %s -P %s -u %s -p --ssl\n", host, port, s.Credentials.AccessKeyID)
	}
	fmt.Fprintf(w, "  signing        AWS Signature Version 4, region %s, service healthlake\n", s.Config.Region)
	fmt.Fprintf(w, "  access key id  %s\n", s.Credentials.AccessKeyID)
	if s.CredentialsCreated {
		fmt.Fprintf(w, "  secret key     %s   (shown once; kept in %s/credentials, mode 0600)\n", s.Credentials.SecretAccessKey, s.Config.DataDir)
	} else {
		fmt.Fprintf(w, "  secret key     in %s/credentials (or FHIRLAKE_ROOT_SECRET_ACCESS_KEY)\n", s.Config.DataDir)
	}
	if s.CertPath != "" {
		fmt.Fprintf(w, "  TLS            self-signed certificate %s\n                 SHA-256 %s\n", s.CertPath, s.CertFingerprint)
	}
	fmt.Fprintf(w, "  try            aws healthlake list-fhir-datastores --endpoint-url %s --region %s", s.HTTPURL, s.Config.Region)
	if s.CertPath != "" {
		fmt.Fprintf(w, " --ca-bundle %s", s.CertPath)
	}
	fmt.Fprintln(w)
}
