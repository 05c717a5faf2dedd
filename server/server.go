// Package server assembles fhirlake: the engine, the control and FHIR APIs
// behind AWS Signature Version 4 over HTTPS, and the MySQL-protocol server.
package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/auth"
	"github.com/fhirlake/fhirlake/control"
	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirapi"
	"github.com/fhirlake/fhirlake/ingest"
	"github.com/fhirlake/fhirlake/sqlserver"
	"github.com/fhirlake/fhirlake/tlscert"
	"github.com/fhirlake/fhirlake/views"
)

// Config configures a server.
type Config struct {
	DataDir  string
	HTTPAddr string // host:port; port 0 picks a free port
	// Insecure serves plain HTTP instead of HTTPS.
	Insecure         bool
	TLSCert, TLSKey  string // user-supplied certificate; empty: self-signed in DataDir
	Region           string // SigV4 and ARN region, default us-east-1
	AccountID        string // 12 digits for ARNs, default 000000000000
	DefaultDatastore bool   // create a preloaded data store when there is none
	PreloadPatients  int    // patients in SYNTHEA preloads, default 25
	// ControlRate limits control requests per second per access key (0: 100).
	ControlRate int
	// MySQLAddr is the MySQL-protocol listener: host:port, port 0 for a
	// free one, "" for 127.0.0.1:3306 or a free port when that is taken,
	// "off" for none.
	MySQLAddr string
	// QueryTimeout bounds a SQL query (0: 5 minutes); QueryMemory bounds
	// the memory one store's queries may use, in bytes (0: none).
	QueryTimeout time.Duration
	QueryMemory  int64
	// MaxBundleEntries limits the entries of a FHIR batch or transaction
	// Bundle (0: 500, as HealthLake).
	MaxBundleEntries int
	Store            engine.StoreOptions
	// S3 says how import jobs reach S3 (endpoint, path style); credentials
	// come from the standard AWS chain.
	S3 ingest.S3Config
	// Import tunes import jobs (chunk size, workers); its Engine, Storage
	// and Logger are set by Start.
	Import ingest.Config
	Logger *slog.Logger
}

// Server is a running fhirlake.
type Server struct {
	Config      Config
	Engine      *engine.Engine
	Credentials auth.Credentials
	// CredentialsCreated says the credentials were generated on this start.
	CredentialsCreated bool
	CertPath           string // the self-signed certificate (empty with user certs or HTTP)
	CertFingerprint    string
	HTTPURL            string // https://host:port (or http://)
	MySQLAddr          string // host:port of the MySQL-protocol listener ("" when off)
	DefaultDatastoreID string
	Imports            *ingest.Runner // import jobs

	httpServer *http.Server
	sql        *sqlserver.Server
	listener   net.Listener
	control    *control.Handler
	serveErr   chan error
}

// Start opens the data directory and starts serving.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.AccountID == "" {
		cfg.AccountID = "000000000000"
	}
	if cfg.PreloadPatients <= 0 {
		cfg.PreloadPatients = 25
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ControlRate <= 0 {
		cfg.ControlRate = 100
	}
	if cfg.QueryTimeout <= 0 {
		cfg.QueryTimeout = 5 * time.Minute
	}
	cfg.Store.Hardening = func(staging string) []string { return sqlserver.DuckDBHardening([]string{staging}) }
	s := &Server{Config: cfg, serveErr: make(chan error, 1)}
	var err error
	if s.Credentials, s.CredentialsCreated, err = auth.LoadOrCreate(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	var tlsCfg *tls.Config
	if !cfg.Insecure {
		var cert tls.Certificate
		if cfg.TLSCert != "" || cfg.TLSKey != "" {
			if cert, err = tlscert.Load(cfg.TLSCert, cfg.TLSKey); err != nil {
				return nil, fmt.Errorf("tls: %w", err)
			}
		} else {
			host, _, _ := net.SplitHostPort(cfg.HTTPAddr)
			var hosts []string
			if host != "" && host != "0.0.0.0" && host != "::" {
				hosts = append(hosts, host)
			}
			if cert, s.CertPath, _, err = tlscert.LoadOrCreate(cfg.DataDir, hosts); err != nil {
				return nil, fmt.Errorf("tls: %w", err)
			}
		}
		s.CertFingerprint = tlscert.Fingerprint(cert)
		tlsCfg = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if s.Engine, err = engine.Open(ctx, engine.Config{
		Dir: cfg.DataDir, Store: cfg.Store, Logger: cfg.Logger,
		Preload:  preloadSynthetic(cfg.PreloadPatients, 1),
		OnCreate: views.InstallDefaults,
	}); err != nil {
		return nil, err
	}
	imp := cfg.Import
	imp.Engine, imp.Storage, imp.Logger = s.Engine, ingest.NewStorage(cfg.S3), cfg.Logger
	s.Imports = ingest.NewRunner(imp)
	if err := s.Imports.Start(ctx); err != nil {
		s.Engine.Close()
		return nil, fmt.Errorf("resume import jobs: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		s.Imports.Close()
		s.Engine.Close()
		return nil, fmt.Errorf("listen %s: %w", cfg.HTTPAddr, err)
	}
	s.listener = ln
	scheme := "https"
	if cfg.Insecure {
		scheme = "http"
	}
	s.HTTPURL = scheme + "://" + displayAddr(ln.Addr().String())
	baseURL := func(r *http.Request) string {
		if r != nil && r.Host != "" {
			return scheme + "://" + r.Host
		}
		return s.HTTPURL
	}
	s.control = control.NewHandler(control.Config{Engine: s.Engine, Region: cfg.Region, AccountID: cfg.AccountID, BaseURL: baseURL,
		RequestsPerSecond: cfg.ControlRate, Burst: 2 * cfg.ControlRate, Logger: cfg.Logger, Imports: s.Imports})
	fhir := fhirapi.NewHandler(fhirapi.Config{Engine: s.Engine, BaseURL: baseURL, Logger: cfg.Logger, MaxBundleEntries: cfg.MaxBundleEntries})
	verifier := &auth.Verifier{Keys: s.Credentials, Region: cfg.Region, Service: "healthlake"}
	mux := http.NewServeMux()
	mux.Handle("/", verifier.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := sqlPath(r.URL.Path); ok {
			s.serveSQL(w, r, id)
			return
		}
		switch {
		case control.IsControlRequest(r):
			s.control.ServeHTTP(w, r)
		case strings.HasPrefix(r.URL.Path, fhirapi.Prefix):
			fhir.ServeHTTP(w, r)
		default:
			control.WriteError(w, &control.Error{Type: "ValidationException", Status: http.StatusNotFound,
				Message: fmt.Sprintf("nothing at %s %s: the control API is POST / with X-Amz-Target, the FHIR API is under /datastore/{id}/r4/", r.Method, r.URL.Path)})
		}
	}), func(w http.ResponseWriter, r *http.Request, e *auth.Error) {
		if strings.HasPrefix(r.URL.Path, fhirapi.Prefix) {
			fhirapi.WriteAuthError(w, e.Status, e.Code, e.Message)
			return
		}
		auth.WriteJSON(w, e)
	}))
	s.httpServer = &http.Server{Handler: mux, TLSConfig: tlsCfg, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
	go func() {
		var err error
		if cfg.Insecure {
			err = s.httpServer.Serve(ln)
		} else {
			err = s.httpServer.ServeTLS(ln, "", "")
		}
		if !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
		close(s.serveErr)
	}()
	if cfg.MySQLAddr != "off" {
		if err := s.startSQL(tlsCfg); err != nil {
			s.Close()
			return nil, err
		}
	}
	if cfg.DefaultDatastore {
		if err := s.ensureDefaultDatastore(ctx); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// ensureDefaultDatastore creates a preloaded data store on a fresh data
// directory, and waits until it is ACTIVE.
func (s *Server) ensureDefaultDatastore(ctx context.Context) error {
	all, err := s.Engine.Datastores(ctx)
	if err != nil {
		return err
	}
	for _, d := range all {
		if d.Name == "default" && d.Status != engine.Deleted && d.Status != engine.Deleting {
			s.DefaultDatastoreID = d.ID
			_, err := s.Engine.WaitActive(ctx, d.ID)
			return err
		}
	}
	if len(all) > 0 {
		return nil
	}
	preload, _ := json.Marshal(map[string]string{"PreloadDataType": "SYNTHEA"})
	d, err := s.Engine.CreateDatastore(ctx, engine.CreateRequest{Name: "default", TypeVersion: "R4", PreloadDataConfig: preload, ClientToken: "fhirlake-default"})
	if err != nil {
		return err
	}
	s.DefaultDatastoreID = d.ID
	if d, err = s.Engine.WaitActive(ctx, d.ID); err != nil {
		return err
	}
	if d.Status != engine.Active {
		return fmt.Errorf("default data store %s: %s: %v", d.ID, d.Status, d.ErrorCause)
	}
	return nil
}

// startSQL starts the MySQL-protocol server.
func (s *Server) startSQL(tlsCfg *tls.Config) error {
	srv, err := sqlserver.New(sqlserver.Config{
		TLS:          tlsCfg,
		Secret:       s.Credentials.Secret,
		Catalog:      sqlCatalog{s.Engine},
		QueryTimeout: s.Config.QueryTimeout,
		QueryMemory:  s.Config.QueryMemory,
	})
	if err != nil {
		return err
	}
	ln, err := sqlserver.Listen(s.Config.MySQLAddr)
	if err != nil {
		return err
	}
	s.sql = srv
	s.MySQLAddr = ln.Addr().String()
	go func() {
		if err := srv.Serve(ln); err != nil {
			s.Config.Logger.Warn("mysql server stopped", "err", err)
		}
	}()
	return nil
}

// displayAddr makes a listen address usable in a URL (0.0.0.0 → 127.0.0.1).
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// ARN is a data store's ARN.
func (s *Server) ARN(id string) string { return s.control.ARN(id) }

// Endpoint is a data store's FHIR base URL.
func (s *Server) Endpoint(id string) string { return s.HTTPURL + fhirapi.Prefix + id + "/r4/" }

// Err reports a failure of the HTTP server (nil channel value on a clean stop).
func (s *Server) Err() <-chan error { return s.serveErr }

// Close stops serving, stops import jobs (they resume on the next start)
// and closes the engine.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.httpServer.Shutdown(ctx)
	if s.sql != nil {
		if e := s.sql.Close(); err == nil {
			err = e
		}
	}
	s.Imports.Close()
	if e := s.Engine.Close(); err == nil {
		err = e
	}
	return err
}
