// Package tlscert provides fhirlake's TLS certificate: a self-signed ECDSA
// P-256 certificate generated on first start and kept in <dataDir>/tls, or
// certificate and key files the user supplies.
package tlscert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Layout inside the data directory.
const (
	Dir      = "tls"
	CertFile = "cert.pem"
	KeyFile  = "key.pem"
)

const (
	// Validity is how long a generated certificate is valid.
	Validity = 365 * 24 * time.Hour
	// RenewBefore is how long before its expiry a generated certificate is
	// replaced at start.
	RenewBefore = 30 * 24 * time.Hour
)

// now is the clock; tests move it.
var now = time.Now

// LoadOrCreate returns the self-signed certificate in <dataDir>/tls and the
// path of its PEM file (for clients: curl --cacert, aws --ca-bundle). A new
// certificate is generated, and created is true, when there is none, when it
// is expired or expires within RenewBefore, when it does not cover every
// host, or when the files cannot be read as a pair. It covers localhost,
// 127.0.0.1, ::1, the machine's host name and hosts (names or IP addresses).
// The directories are created 0700 and key.pem 0600; a key.pem that others
// may read is refused.
func LoadOrCreate(dataDir string, hosts []string) (cert tls.Certificate, certPath string, created bool, err error) {
	names, err := hostNames(hosts)
	if err != nil {
		return cert, "", false, err
	}
	dir := filepath.Join(dataDir, Dir)
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return cert, certPath, false, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return cert, certPath, false, fmt.Errorf("create TLS directory: %w", err)
	}

	if info, err := os.Stat(keyPath); err == nil {
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			return cert, certPath, false, fmt.Errorf("TLS key %s is accessible by other users (mode %04o): run chmod 600 %s", keyPath, perm, keyPath)
		}
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err == nil && usable(cert.Leaf, names) {
			return cert, certPath, false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return cert, certPath, false, fmt.Errorf("TLS key: %w", err)
	}

	certPEM, keyPEM, err := generate(names)
	if err != nil {
		return cert, certPath, false, err
	}
	// The key first: a crash between the two writes leaves a pair that does
	// not match, which the next start replaces.
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return cert, certPath, false, fmt.Errorf("write TLS key: %w", err)
	}
	if err := writeFile(certPath, certPEM, 0o644); err != nil {
		return cert, certPath, false, fmt.Errorf("write TLS certificate: %w", err)
	}
	cert, err = tls.X509KeyPair(certPEM, keyPEM)
	return cert, certPath, true, err
}

// Load reads a user-supplied certificate (with any intermediates) and key in
// PEM form, refusing a certificate that is expired or not yet valid.
func Load(certFile, keyFile string) (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return cert, fmt.Errorf("load TLS certificate %s and key %s: %w", certFile, keyFile, err)
	}
	t := now()
	if t.After(cert.Leaf.NotAfter) {
		return cert, fmt.Errorf("TLS certificate %s expired on %s", certFile, cert.Leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if t.Before(cert.Leaf.NotBefore) {
		return cert, fmt.Errorf("TLS certificate %s is not valid before %s", certFile, cert.Leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	return cert, nil
}

// Fingerprint is the SHA-256 fingerprint of the certificate, in the form
// `openssl x509 -noout -fingerprint -sha256` prints it.
func Fingerprint(cert tls.Certificate) string {
	if len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// hostNames returns the names the certificate must cover, validated and
// without duplicates.
func hostNames(extra []string) ([]string, error) {
	names := []string{"localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil && validDNSName(h) {
		names = append(names, strings.ToLower(h))
	}
	for _, h := range extra {
		h = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h), "["), "]")
		if ip := net.ParseIP(h); ip != nil {
			h = ip.String()
		} else if !validDNSName(h) {
			return nil, fmt.Errorf("TLS host %q is neither an IP address nor a DNS name", h)
		} else {
			h = strings.ToLower(h)
		}
		names = append(names, h)
	}
	out := names[:0]
	seen := map[string]bool{}
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// validDNSName accepts host names: dot-separated labels of letters, digits
// and hyphens.
func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// usable reports whether a generated certificate can be served again.
func usable(leaf *x509.Certificate, names []string) bool {
	t := now()
	if leaf == nil || t.Before(leaf.NotBefore) || t.Add(RenewBefore).After(leaf.NotAfter) {
		return false
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			return false
		}
	}
	return true
}

func generate(names []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, fmt.Errorf("generate serial number: %w", err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("encode TLS public key: %w", err)
	}
	keyID := sha256.Sum256(pub)
	t := now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"fhirlake"}, CommonName: "fhirlake self-signed"},
		NotBefore:             t.Add(-time.Hour), // tolerate clients whose clocks lag
		NotAfter:              t.Add(Validity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		// Key identifiers, which strict verifiers (Python 3.13's default
		// X509_STRICT) look for.
		SubjectKeyId:   keyID[:20],
		AuthorityKeyId: keyID[:20],
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create TLS certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("encode TLS key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), nil
}

// writeFile replaces path with data atomically (temporary file + rename).
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = bytes.NewReader(data).WriteTo(tmp)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
