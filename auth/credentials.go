package auth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Environment variables that set the root key pair.
const (
	EnvAccessKeyID     = "FHIRLAKE_ROOT_ACCESS_KEY_ID"
	EnvSecretAccessKey = "FHIRLAKE_ROOT_SECRET_ACCESS_KEY"
)

// CredentialsFile is the name of the key file inside the data directory.
const CredentialsFile = "credentials"

// Keys finds the secret of an access key.
type Keys interface {
	Secret(accessKeyID string) (secret string, ok bool)
}

// Credentials is an access key pair. It is also a Keys holding one key.
type Credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

// Secret returns the secret when id is c's access key ID.
func (c Credentials) Secret(id string) (string, bool) {
	if id == "" || id != c.AccessKeyID {
		return "", false
	}
	return c.SecretAccessKey, true
}

// String shows the access key ID only, so that logging a Credentials by
// mistake does not leak the secret.
func (c Credentials) String() string { return c.AccessKeyID + " (secret hidden)" }

// GoString hides the secret from %#v too.
func (c Credentials) GoString() string {
	return fmt.Sprintf("auth.Credentials{AccessKeyID:%q, SecretAccessKey:(hidden)}", c.AccessKeyID)
}

// KeySet holds several keys: access key ID to secret. Like any map it must
// not be changed while a Verifier reads it; give the Verifier a new KeySet
// instead, or a Keys of your own that locks.
type KeySet map[string]string

// Secret returns the secret of id.
func (k KeySet) Secret(id string) (string, bool) {
	s, ok := k[id]
	return s, ok
}

// credentialsFile is the JSON kept in <dataDir>/credentials. It is a list so
// that more keys can be added later; the first is the root key.
type credentialsFile struct {
	Keys []storedKey `json:"keys"`
}

type storedKey struct {
	Credentials
	Created time.Time `json:"created"`
}

// LoadOrCreate returns the root key pair. It comes from the environment when
// FHIRLAKE_ROOT_ACCESS_KEY_ID and FHIRLAKE_ROOT_SECRET_ACCESS_KEY are set
// (nothing is written then); otherwise from <dataDir>/credentials, which is
// generated with a new key pair on first start (created is true: the caller
// prints the pair once). The data directory is created 0700 and the file
// 0600; a credentials file that others may read is refused.
func LoadOrCreate(dataDir string) (c Credentials, created bool, err error) {
	id, idSet := os.LookupEnv(EnvAccessKeyID)
	secret, secretSet := os.LookupEnv(EnvSecretAccessKey)
	if idSet || secretSet {
		c = Credentials{id, secret}
		switch {
		case !idSet:
			return c, false, fmt.Errorf("%s is set but %s is not: set both or neither", EnvSecretAccessKey, EnvAccessKeyID)
		case !secretSet:
			return c, false, fmt.Errorf("%s is set but %s is not: set both or neither", EnvAccessKeyID, EnvSecretAccessKey)
		}
		if err := c.validate(); err != nil {
			return c, false, fmt.Errorf("credentials from environment: %w", err)
		}
		return c, false, nil
	}

	path := filepath.Join(dataDir, CredentialsFile)
	c, err = readCredentials(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return c, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return c, false, fmt.Errorf("create data directory: %w", err)
	}
	if c, err = Generate(); err != nil {
		return c, false, err
	}
	data, err := json.MarshalIndent(credentialsFile{Keys: []storedKey{{c, time.Now().UTC().Truncate(time.Second)}}}, "", "  ")
	if err != nil {
		return c, false, err
	}
	switch err := writeNew(path, append(data, '\n')); {
	case errors.Is(err, fs.ErrExist):
		// Another fhirlake process created it first: use its key.
		c, err = readCredentials(path)
		return c, false, err
	case err != nil:
		return c, false, fmt.Errorf("write credentials: %w", err)
	}
	return c, true, nil
}

func readCredentials(path string) (Credentials, error) {
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return Credentials{}, err
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return Credentials{}, fmt.Errorf("credentials file %s is accessible by other users (mode %04o): run chmod 600 %s", path, perm, path)
	}
	var file credentialsFile
	dec := json.NewDecoder(f)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&file); err != nil {
		return Credentials{}, fmt.Errorf("read credentials file %s: %w", path, err)
	}
	if len(file.Keys) == 0 {
		return Credentials{}, fmt.Errorf("credentials file %s has no keys", path)
	}
	for i, k := range file.Keys {
		if err := k.validate(); err != nil {
			return Credentials{}, fmt.Errorf("credentials file %s, key %d: %w", path, i+1, err)
		}
	}
	return file.Keys[0].Credentials, nil
}

// writeNew writes data to path, which must not exist, as a 0600 file: it
// writes a temporary file and links it into place, so that readers never see
// a partial file and two processes cannot both create one.
func writeNew(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Link(tmp.Name(), path)
}

// Generate makes a new AWS-shaped key pair: "AKIA" and 16 upper-case letters
// and digits, and a 40-character secret, from crypto/rand.
func Generate() (Credentials, error) {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	id := []byte("AKIA")
	var b [1]byte
	for len(id) < 20 {
		if _, err := rand.Read(b[:]); err != nil {
			return Credentials{}, fmt.Errorf("generate access key: %w", err)
		}
		if int(b[0]) < 256-256%len(alnum) { // reject to keep the choice uniform
			id = append(id, alnum[int(b[0])%len(alnum)])
		}
	}
	var s [30]byte
	if _, err := rand.Read(s[:]); err != nil {
		return Credentials{}, fmt.Errorf("generate secret key: %w", err)
	}
	return Credentials{string(id), base64.StdEncoding.EncodeToString(s[:])}, nil
}

// validate checks that a key pair can be used in a SigV4 Credential.
func (c Credentials) validate() error {
	if c.AccessKeyID == "" {
		return errors.New("access key ID is empty")
	}
	if len(c.AccessKeyID) > 128 {
		return fmt.Errorf("access key ID is %d characters long; at most 128 are allowed", len(c.AccessKeyID))
	}
	for _, r := range c.AccessKeyID {
		if !('A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '_' || r == '-' || r == '.') {
			return fmt.Errorf("access key ID %q has %q: use letters, digits, '_', '-' and '.'", c.AccessKeyID, r)
		}
	}
	if c.SecretAccessKey == "" {
		return errors.New("secret access key is empty")
	}
	if strings.TrimSpace(c.SecretAccessKey) != c.SecretAccessKey {
		return errors.New("secret access key starts or ends with white space")
	}
	for _, r := range c.SecretAccessKey {
		if r < 0x20 || r == 0x7f {
			return errors.New("secret access key has a control character")
		}
	}
	return nil
}

// Load returns the root key pair for a client of a server using dataDir:
// from the environment as LoadOrCreate reads it, else from
// <dataDir>/credentials. It never creates credentials.
func Load(dataDir string) (Credentials, error) {
	id, idSet := os.LookupEnv(EnvAccessKeyID)
	secret, secretSet := os.LookupEnv(EnvSecretAccessKey)
	if idSet && secretSet {
		c := Credentials{id, secret}
		return c, c.validate()
	}
	c, err := readCredentials(filepath.Join(dataDir, CredentialsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("no credentials: set %s and %s, or point --data-dir at the server's data directory (%s has none)",
			EnvAccessKeyID, EnvSecretAccessKey, filepath.Join(dataDir, CredentialsFile))
	}
	return c, err
}
