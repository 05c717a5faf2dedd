package sqlserver

import (
	"crypto/subtle"
	"crypto/x509"
	"net"
	"sync"
	"sync/atomic"

	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/vitess/go/mysql"
)

// authServer checks MySQL logins: the user name is an access key id and the
// password its secret. It speaks mysql_native_password and, over TLS,
// caching_sha2_password.
type authServer struct {
	secret func(user string) (string, bool)
	// tls: offer caching_sha2_password first (MySQL 8's default); clients
	// on plain TCP are switched to mysql_native_password.
	tls bool
	// logins counts successful logins by method, for tests and metrics.
	logins sync.Map // mysql.AuthMethodDescription -> *atomic.Int64
}

func (a *authServer) count(m mysql.AuthMethodDescription) {
	v, _ := a.logins.LoadOrStore(m, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (a *authServer) loginCount(m mysql.AuthMethodDescription) int64 {
	v, ok := a.logins.Load(m)
	if !ok {
		return 0
	}
	return v.(*atomic.Int64).Load()
}

var _ mysql.AuthServer = (*authServer)(nil)

func (a *authServer) AuthMethods() []mysql.AuthMethod {
	return []mysql.AuthMethod{
		mysql.NewMysqlNativeAuthMethod(a, a),
		mysql.NewSha2CachingAuthMethod(a, a, a),
	}
}

func (a *authServer) DefaultAuthMethodDescription() mysql.AuthMethodDescription {
	if a.tls {
		return mysql.CachingSha2Password
	}
	return mysql.MysqlNativePassword
}

// HandleUser accepts every name, so that a wrong name and a wrong secret
// look alike to the client.
func (a *authServer) HandleUser(string, net.Addr) bool { return true }

func (a *authServer) lookup(user string) ([]byte, bool) {
	if a.secret == nil || user == "" {
		return nil, false
	}
	s, ok := a.secret(user)
	if !ok || s == "" {
		return nil, false
	}
	return []byte(s), true
}

func connUser(user string, addr net.Addr) mysql.Getter {
	host := ""
	if addr != nil {
		host, _, _ = net.SplitHostPort(addr.String())
	}
	return gms.MysqlConnectionUser{User: user, Host: host}
}

func denied(user string) error {
	return mysql.NewSQLError(mysql.ERAccessDeniedError, mysql.SSAccessDeniedError, "Access denied for user '%v'", user)
}

// UserEntryWithHash checks a mysql_native_password scramble.
func (a *authServer) UserEntryWithHash(_ []*x509.Certificate, salt []byte, user string, resp []byte, addr net.Addr) (mysql.Getter, error) {
	pw, ok := a.lookup(user)
	want := mysql.ScrambleMysqlNativePassword(salt, pw)
	if !ok || subtle.ConstantTimeCompare(want, resp) != 1 {
		return nil, denied(user)
	}
	a.count(mysql.MysqlNativePassword)
	return connUser(user, addr), nil
}

// UserEntryWithCacheHash checks a caching_sha2_password scramble: we know
// the secret, so the fast path always decides.
func (a *authServer) UserEntryWithCacheHash(_ []*x509.Certificate, salt []byte, user string, resp []byte, addr net.Addr) (mysql.Getter, mysql.CacheState, error) {
	pw, ok := a.lookup(user)
	want := mysql.ScrambleCachingSha2Password(salt, pw)
	if !ok || subtle.ConstantTimeCompare(want, resp) != 1 {
		return nil, mysql.AuthRejected, denied(user)
	}
	a.count(mysql.CachingSha2Password)
	return connUser(user, addr), mysql.AuthAccepted, nil
}

// UserEntryWithPassword checks a clear-text password (caching_sha2_password
// full authentication, only over TLS).
func (a *authServer) UserEntryWithPassword(_ []*x509.Certificate, user, password string, addr net.Addr) (mysql.Getter, error) {
	pw, ok := a.lookup(user)
	if !ok || subtle.ConstantTimeCompare(pw, []byte(password)) != 1 {
		return nil, denied(user)
	}
	a.count(mysql.CachingSha2Password)
	return connUser(user, addr), nil
}
