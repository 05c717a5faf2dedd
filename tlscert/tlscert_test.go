package tlscert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadOrCreateGeneratesWithPermissionsAndNames(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	cert, certPath, created, err := LoadOrCreate(data, []string{"fhirlake.example.org", "10.1.2.3", "[fd00::1]"})
	if err != nil || !created {
		t.Fatalf("created %v, %v", created, err)
	}
	if certPath != filepath.Join(data, "tls", "cert.pem") {
		t.Fatalf("cert path %s", certPath)
	}
	for path, want := range map[string]os.FileMode{
		data:                                  0o700,
		filepath.Join(data, "tls"):            0o700,
		filepath.Join(data, "tls", "key.pem"): 0o600,
		certPath:                              0o644,
	} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %04o, want %04o", path, info.Mode().Perm(), want)
		}
	}
	leaf := cert.Leaf
	key, ok := leaf.PublicKey.(*ecdsa.PublicKey)
	if !ok || key.Curve != elliptic.P256() {
		t.Fatalf("public key %T, want ECDSA P-256", leaf.PublicKey)
	}
	if d := leaf.NotAfter.Sub(time.Now()); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Fatalf("valid for %v, want about a year", d)
	}
	host, _ := os.Hostname()
	for _, n := range []string{"localhost", "127.0.0.1", "::1", host, "fhirlake.example.org", "10.1.2.3", "fd00::1"} {
		if n == "" {
			continue
		}
		if err := leaf.VerifyHostname(n); err != nil {
			t.Errorf("certificate does not cover %q: %v", n, err)
		}
	}
	if leaf.VerifyHostname("example.com") == nil {
		t.Error("certificate covers an unrequested name")
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Error("no serverAuth extended key usage")
	}
	sum := sha256.Sum256(leaf.Raw)
	if fp := Fingerprint(cert); strings.ReplaceAll(fp, ":", "") != strings.ToUpper(hex.EncodeToString(sum[:])) || len(fp) != 95 {
		t.Fatalf("fingerprint %q", fp)
	}
}

func TestLoadOrCreateReusesAndRegenerates(t *testing.T) {
	data := t.TempDir()
	first, _, _, err := LoadOrCreate(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, _, created, err := LoadOrCreate(data, nil)
	if err != nil || created || Fingerprint(again) != Fingerprint(first) {
		t.Fatalf("second start: created %v, %v; fingerprint changed: %v", created, err, Fingerprint(again) != Fingerprint(first))
	}

	// A new host name is not covered: regenerate.
	wider, _, created, err := LoadOrCreate(data, []string{"new.example.org"})
	if err != nil || !created || wider.Leaf.VerifyHostname("new.example.org") != nil {
		t.Fatalf("new host: created %v, %v", created, err)
	}

	// A year on, the certificate has expired: regenerate.
	defer func() { now = time.Now }()
	now = func() time.Time { return time.Now().Add(Validity + time.Hour) }
	renewed, _, created, err := LoadOrCreate(data, []string{"new.example.org"})
	if err != nil || !created || Fingerprint(renewed) == Fingerprint(wider) || !renewed.Leaf.NotAfter.After(wider.Leaf.NotAfter) {
		t.Fatalf("expired: created %v, %v", created, err)
	}
	// Within RenewBefore of expiry: regenerate too.
	now = func() time.Time { return renewed.Leaf.NotAfter.Add(-RenewBefore + time.Hour) }
	if _, _, created, err := LoadOrCreate(data, []string{"new.example.org"}); err != nil || !created {
		t.Fatalf("near expiry: created %v, %v", created, err)
	}
}

func TestLoadOrCreateReplacesBrokenPairAndRefusesOpenKey(t *testing.T) {
	data := t.TempDir()
	if _, _, _, err := LoadOrCreate(data, nil); err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(data, Dir, KeyFile)
	if err := os.WriteFile(filepath.Join(data, Dir, CertFile), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, created, err := LoadOrCreate(data, nil); err != nil || !created {
		t.Fatalf("broken pair: created %v, %v", created, err)
	}
	if err := os.Chmod(keyPath, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, _, err := LoadOrCreate(data, nil)
	if err == nil || !strings.Contains(err.Error(), "is accessible by other users (mode 0644): run chmod 600") {
		t.Fatalf("open key: %v", err)
	}
}

func TestLoadOrCreateRejectsBadHost(t *testing.T) {
	_, _, _, err := LoadOrCreate(t.TempDir(), []string{"bad host"})
	if err == nil || !strings.Contains(err.Error(), `TLS host "bad host" is neither an IP address nor a DNS name`) {
		t.Fatalf("got %v", err)
	}
}

func TestLoad(t *testing.T) {
	data := t.TempDir()
	cert, certPath, _, err := LoadOrCreate(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	keyPath := filepath.Join(data, Dir, KeyFile)
	loaded, err := Load(certPath, keyPath)
	if err != nil || Fingerprint(loaded) != Fingerprint(cert) {
		t.Fatalf("Load: %v", err)
	}
	if _, err := Load(certPath, filepath.Join(data, "missing.pem")); err == nil || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("missing key: %v", err)
	}
	other := t.TempDir()
	if _, _, _, err := LoadOrCreate(other, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(certPath, filepath.Join(other, Dir, KeyFile)); err == nil || !strings.Contains(err.Error(), "private key does not match public key") {
		t.Fatalf("mismatched pair: %v", err)
	}
	defer func() { now = time.Now }()
	now = func() time.Time { return cert.Leaf.NotAfter.Add(time.Second) }
	if _, err := Load(certPath, keyPath); err == nil || !strings.Contains(err.Error(), "expired on") {
		t.Fatalf("expired: %v", err)
	}
}

// serve starts an HTTPS server with cert on the loopback address.
func serve(t *testing.T, cert tls.Certificate) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func TestHandshakeWithCertificateInPool(t *testing.T) {
	cert, certPath, _, err := LoadOrCreate(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, cert)
	pemBytes, err := os.ReadFile(certPath)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatal("cert.pem holds no certificate")
	}
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, c := range []struct {
		serverName string
		ok         bool
	}{{"localhost", true}, {"127.0.0.1", true}, {"example.com", false}} {
		conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{RootCAs: pool, ServerName: c.serverName})
		if c.ok != (err == nil) {
			t.Errorf("handshake as %s: %v", c.serverName, err)
		}
		if err == nil {
			if st := conn.ConnectionState(); st.Version < tls.VersionTLS12 {
				t.Errorf("negotiated TLS version %x", st.Version)
			}
			conn.Close()
		}
	}
	// Without the certificate in the pool the handshake must fail.
	if conn, err := tls.Dial("tcp", "127.0.0.1:"+port, &tls.Config{ServerName: "localhost"}); err == nil {
		conn.Close()
		t.Fatal("handshake succeeded without trusting the certificate")
	}
}

// OpenSSL (curl, the AWS CLI) must accept the certificate as its own trust
// anchor through --cacert.
func TestCurlTrustsCertificate(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl is not installed (Debian: apt-get install curl)")
	}
	cert, certPath, _, err := LoadOrCreate(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, cert)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	for _, host := range []string{"localhost", "127.0.0.1"} {
		out, err := exec.Command(curl, "-sS", "--cacert", certPath, "https://"+host+":"+port+"/").CombinedOutput()
		if err != nil || string(out) != "ok" {
			t.Errorf("curl https://%s: %v: %s", host, err, out)
		}
	}
}
