package sqlserver

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"fmt"
	"math/big"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/vitess/go/mysql"
	driver "github.com/go-sql-driver/mysql"
)

func selfSignedTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// TestTLSAndCachingSha2: with a certificate the server offers TLS and
// caching_sha2_password; plain clients fall back to mysql_native_password.
func TestTLSAndCachingSha2(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS = selfSignedTLS(t) })
	if err := driver.RegisterTLSConfig("fhirlake-test", &tls.Config{InsecureSkipVerify: true}); err != nil {
		t.Fatal(err)
	}
	query := func(extra string) error {
		db, err := sql.Open("mysql", ts.dsn("AKIDALICE", "s1", extra))
		if err != nil {
			return err
		}
		defer db.Close()
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM patient").Scan(&n); err != nil {
			return err
		}
		if n != 20 {
			return fmt.Errorf("count %d", n)
		}
		return nil
	}
	if err := query("&tls=fhirlake-test"); err != nil {
		t.Fatalf("TLS: %v", err)
	}
	if n := ts.srv.auth.loginCount(mysql.CachingSha2Password); n == 0 {
		t.Fatalf("TLS login did not use caching_sha2_password")
	}
	before := ts.srv.auth.loginCount(mysql.MysqlNativePassword)
	if err := query(""); err != nil {
		t.Fatalf("plain TCP: %v", err)
	}
	if ts.srv.auth.loginCount(mysql.MysqlNativePassword) != before+1 {
		t.Fatalf("plain TCP login did not fall back to mysql_native_password")
	}
	// Wrong secret over TLS is refused.
	db, _ := sql.Open("mysql", fmt.Sprintf("AKIDALICE:nope@tcp(%s)/s1?tls=fhirlake-test", ts.addr))
	defer db.Close()
	if err := db.Ping(); mysqlCode(err) != 1045 {
		t.Fatalf("wrong secret over TLS: %v", err)
	}
	// The mysql client over TLS.
	if bin, err := exec.LookPath("mysql"); err == nil {
		host, port, _ := strings.Cut(ts.addr, ":")
		out, err := exec.Command(bin, "-h", host, "-P", port, "-u", "AKIDALICE", "-palice-secret", "--ssl",
			"--protocol=tcp", "--batch", "-N", "-e", "SHOW STATUS LIKE 'Ssl_cipher'; SELECT COUNT(*) FROM s1.patient").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "20") {
			t.Fatalf("mysql --ssl: %v\n%s", err, out)
		}
	}
}

func TestRequireTLS(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.TLS = selfSignedTLS(t); c.RequireTLS = true })
	db, _ := sql.Open("mysql", ts.dsn("AKIDALICE", "s1", ""))
	defer db.Close()
	if err := db.Ping(); err == nil {
		t.Fatal("plain connection accepted although TLS is required")
	}
}

// A plain-text connection gets no session when TLS is required, even if
// the client ignores the error in the handshake.
func TestRequireTLSSession(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.RequireTLS = true })
	// No certificate: no client can switch to TLS, so no session at all.
	db, _ := sql.Open("mysql", ts.dsn("AKIDALICE", "s1", ""))
	defer db.Close()
	if _, err := db.Exec("SELECT COUNT(*) FROM patient"); err == nil {
		t.Fatal("query over plain TCP although TLS is required")
	}
	if _, err := ts.srv.newSession(context.Background(), &mysql.Conn{}, ""); err == nil {
		t.Fatal("session for a connection without TLS")
	}
}
