package sqlserver

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/server"
	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/analyzer"
	"github.com/dolthub/vitess/go/mysql"
	"github.com/sirupsen/logrus"
)

// ServerVersion is what clients see as @@version and in the handshake.
const ServerVersion = "8.0.33-fhirlake"

// Config configures the MySQL server.
type Config struct {
	// Addr is where ListenAndServe listens; empty: DefaultAddr, or a free
	// port when that is taken (see Listen).
	Addr string
	// TLS, when set, is offered to clients (the HTTPS certificate).
	TLS *tls.Config
	// RequireTLS refuses clients that do not switch to TLS.
	RequireTLS bool
	// Secret returns the secret of an access key id (the MySQL user name).
	Secret func(user string) (string, bool)
	// Allowed, when set, says whether a user may see a store; nil: all.
	Allowed func(user, storeID string) bool
	// Catalog lists the ACTIVE stores.
	Catalog Catalog
	// QueryTimeout cancels a data query that runs longer (0: no limit).
	QueryTimeout time.Duration
	// QueryMemory stops a data query whose store's DuckDB memory grows by
	// more than this many bytes while it runs (0: no limit). See memory.go.
	QueryMemory int64
	// MaxConnections limits concurrent clients (0: no limit).
	MaxConnections uint64
	// SchemaTTL is how long a store's table list is cached (default 2s).
	SchemaTTL time.Duration
}

// Server serves the stores over the MySQL wire protocol.
type Server struct {
	cfg     Config
	engine  *sqle.Engine
	schemas *schemaCache
	memory  *memoryGuard
	auth    *authServer

	mu   sync.Mutex
	gms  *server.Server
	sm   *server.SessionManager
	ln   net.Listener
	done bool
}

// New checks the configuration and builds the server; Serve starts it.
func New(cfg Config) (*Server, error) {
	if cfg.Catalog == nil {
		return nil, errors.New("sqlserver: Config.Catalog is required")
	}
	if cfg.Secret == nil {
		return nil, errors.New("sqlserver: Config.Secret is required")
	}
	if cfg.SchemaTTL <= 0 {
		cfg.SchemaTTL = 2 * time.Second
	}
	if cfg.QueryTimeout < 0 || cfg.QueryMemory < 0 {
		return nil, errors.New("sqlserver: QueryTimeout and QueryMemory must not be negative")
	}
	// GMS logs every failed query at warning level through logrus; the
	// server reports errors to the client instead.
	if logrus.GetLevel() > logrus.ErrorLevel {
		logrus.SetLevel(logrus.ErrorLevel)
	}
	s := &Server{cfg: cfg, schemas: &schemaCache{ttl: cfg.SchemaTTL}}
	s.memory = newMemoryGuard(cfg.QueryMemory)
	pro := &provider{srv: s}
	s.engine = sqle.New(analyzer.NewDefault(pro), &sqle.Config{IsReadOnly: true})
	// @@version and friends; process-wide in GMS, and one server per process.
	if err := gms.SystemVariables.AssignValues(map[string]any{"version": ServerVersion, "version_comment": "fhirlake (DuckDB)"}); err != nil {
		return nil, fmt.Errorf("sqlserver: set @@version: %w", err)
	}
	return s, nil
}

// DefaultAddr is where the server listens unless told otherwise.
const DefaultAddr = "127.0.0.1:3306"

// Listen opens the MySQL listener. An empty addr means DefaultAddr, and
// when that port is taken a free port on 127.0.0.1 instead: the caller
// shows ln.Addr() at start.
func Listen(addr string) (net.Listener, error) {
	if addr != "" {
		return net.Listen("tcp", addr)
	}
	ln, err := net.Listen("tcp", DefaultAddr)
	if err == nil {
		return ln, nil
	}
	ln, err2 := net.Listen("tcp", "127.0.0.1:0")
	if err2 != nil {
		return nil, fmt.Errorf("mysql listen: %w", errors.Join(err, err2))
	}
	return ln, nil
}

// ListenAndServe listens on Config.Addr and serves.
func (s *Server) ListenAndServe() error {
	ln, err := Listen(s.cfg.Addr)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts MySQL connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.done {
		s.mu.Unlock()
		return errors.New("sqlserver: server closed")
	}
	if s.gms != nil {
		s.mu.Unlock()
		return errors.New("sqlserver: already serving")
	}
	ic := &interceptor{srv: s}
	var chain server.InterceptorChain
	chain.WithInterceptor(ic)
	cfg := server.Config{
		Protocol:                "tcp",
		Address:                 ln.Addr().String(),
		Listener:                ln,
		Version:                 ServerVersion,
		TLSConfig:               s.cfg.TLS,
		RequireSecureTransport:  s.cfg.RequireTLS,
		MaxConnections:          s.cfg.MaxConnections,
		Options:                 []server.Option{chain.Option(), s.captureSessions},
		ProtocolListenerFactory: s.listener,
	}
	g, err := server.NewServer(cfg, s.engine, gms.NewContext, s.newSession, nil)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("mysql server: %w", err)
	}
	s.gms, s.ln = g, ln
	s.mu.Unlock()
	return g.Start()
}

// captureSessions keeps GMS's session manager, which the interceptor needs
// for the current database, variables and the process list.
func (s *Server) captureSessions(e *sqle.Engine, sm *server.SessionManager, h mysql.Handler) (*sqle.Engine, *server.SessionManager, mysql.Handler) {
	s.sm = sm
	return e, sm, h
}

// listener builds the wire listener with our authentication.
func (s *Server) listener(cfg server.Config, lc mysql.ListenerConfig, _ server.ServerEventListener) (server.ProtocolListener, error) {
	s.auth = &authServer{secret: s.cfg.Secret, tls: s.cfg.TLS != nil}
	lc.AuthServer = s.auth
	lc.AllowClearTextWithoutTLS = false
	l, err := mysql.NewListenerWithConfig(lc)
	if err != nil {
		return nil, err
	}
	l.ServerVersion = cfg.Version
	l.TLSConfig = cfg.TLSConfig
	l.RequireSecureTransport = cfg.RequireSecureTransport
	return l, nil
}

// newSession builds the GMS session of a connection. It also enforces
// RequireTLS: the wire listener reports the error to a plain-text client
// but does not stop the handshake, so a client that ignores that packet
// would otherwise get a session.
func (s *Server) newSession(ctx context.Context, conn *mysql.Conn, addr string) (gms.Session, error) {
	if s.cfg.RequireTLS && !conn.TLSEnabled() {
		return nil, mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError, "Connections using insecure transport are prohibited")
	}
	user, host := conn.User, ""
	if u, ok := conn.UserData.(gms.MysqlConnectionUser); ok {
		user, host = u.User, u.Host
	}
	client := gms.Client{Address: host, User: user, Capabilities: conn.Capabilities}
	return gms.NewBaseSessionWithClientServer(addr, client, conn.ConnectionID), nil
}

// Addr is the address the server listens on; nil before Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return s.ln.Addr()
	}
	return nil
}

// Close stops accepting connections and closes the open ones.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done = true
	if s.gms == nil {
		return nil
	}
	err := s.gms.Close()
	if s.sm != nil {
		var ids []uint32
		_ = s.sm.Iter(func(sess gms.Session) (bool, error) {
			ids = append(ids, sess.ID())
			return false, nil
		})
		for _, id := range ids {
			_ = s.sm.KillConnection(id)
		}
	}
	s.gms = nil
	return err
}
