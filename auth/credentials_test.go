package auth

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func clearEnv(t *testing.T) {
	t.Setenv(EnvAccessKeyID, "")
	t.Setenv(EnvSecretAccessKey, "")
	os.Unsetenv(EnvAccessKeyID)
	os.Unsetenv(EnvSecretAccessKey)
}

func TestLoadOrCreateGeneratesOnceAndReuses(t *testing.T) {
	clearEnv(t)
	dir := filepath.Join(t.TempDir(), "data")
	c, created, err := LoadOrCreate(dir)
	if err != nil || !created {
		t.Fatalf("first start: created %v, %v", created, err)
	}
	if !regexp.MustCompile(`^AKIA[A-Z0-9]{16}$`).MatchString(c.AccessKeyID) || len(c.SecretAccessKey) != 40 {
		t.Fatalf("key pair not AWS-shaped: %q / %d chars", c.AccessKeyID, len(c.SecretAccessKey))
	}
	for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, CredentialsFile): 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", path, info.Mode().Perm(), want)
		}
	}
	again, created, err := LoadOrCreate(dir)
	if err != nil || created || again != c {
		t.Fatalf("second start: %v created %v, %v; want the same key", again, created, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only the credentials file", len(entries))
	}
}

func TestLoadOrCreateConcurrentStartsAgree(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	var wg sync.WaitGroup
	results := make([]Credentials, 8)
	var created sync.Map
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, made, err := LoadOrCreate(dir)
			if err != nil {
				t.Error(err)
			}
			results[i] = c
			if made {
				created.Store(i, true)
			}
		}()
	}
	wg.Wait()
	n := 0
	created.Range(func(any, any) bool { n++; return true })
	for _, c := range results[1:] {
		if c != results[0] {
			t.Fatalf("processes disagree on the key: %v vs %v", c, results[0])
		}
	}
	if n != 1 {
		t.Fatalf("%d starts report creating the key, want 1", n)
	}
}

func TestLoadOrCreateFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvAccessKeyID, "AKIAENVEXAMPLE123456")
	t.Setenv(EnvSecretAccessKey, "env/secret+key")
	c, created, err := LoadOrCreate(dir)
	if err != nil || created || c != (Credentials{"AKIAENVEXAMPLE123456", "env/secret+key"}) {
		t.Fatalf("got %#v created %v, %v", c, created, err)
	}
	if _, err := os.Stat(filepath.Join(dir, CredentialsFile)); !os.IsNotExist(err) {
		t.Fatalf("environment credentials were written to disk: %v", err)
	}
}

func TestLoadOrCreateErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string)
		want  string
	}{
		{"only key ID in environment", func(t *testing.T, dir string) {
			clearEnv(t)
			t.Setenv(EnvAccessKeyID, "AKIAX")
		}, "FHIRLAKE_ROOT_ACCESS_KEY_ID is set but FHIRLAKE_ROOT_SECRET_ACCESS_KEY is not"},
		{"only secret in environment", func(t *testing.T, dir string) {
			clearEnv(t)
			t.Setenv(EnvSecretAccessKey, "s")
		}, "FHIRLAKE_ROOT_SECRET_ACCESS_KEY is set but FHIRLAKE_ROOT_ACCESS_KEY_ID is not"},
		{"key ID with a slash", func(t *testing.T, dir string) {
			t.Setenv(EnvAccessKeyID, "AKIA/X")
			t.Setenv(EnvSecretAccessKey, "s")
		}, `credentials from environment: access key ID "AKIA/X" has '/'`},
		{"secret with a trailing newline", func(t *testing.T, dir string) {
			t.Setenv(EnvAccessKeyID, "AKIAX")
			t.Setenv(EnvSecretAccessKey, "s\n")
		}, "secret access key starts or ends with white space"},
		{"file readable by others", func(t *testing.T, dir string) {
			clearEnv(t)
			os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(`{"keys":[{"accessKeyId":"A","secretAccessKey":"s"}]}`), 0o644)
		}, "is accessible by other users (mode 0644): run chmod 600"},
		{"corrupt file", func(t *testing.T, dir string) {
			clearEnv(t)
			os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(`{"keys":[`), 0o600)
		}, "read credentials file"},
		{"file without keys", func(t *testing.T, dir string) {
			clearEnv(t)
			os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(`{"keys":[]}`), 0o600)
		}, "has no keys"},
		{"file with an empty secret", func(t *testing.T, dir string) {
			clearEnv(t)
			os.WriteFile(filepath.Join(dir, CredentialsFile), []byte(`{"keys":[{"accessKeyId":"A","secretAccessKey":""}]}`), 0o600)
		}, "key 1: secret access key is empty"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.setup(t, dir)
			_, _, err := LoadOrCreate(dir)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want error containing %q", err, c.want)
			}
		})
	}
}

func TestCredentialsHideSecretWhenPrinted(t *testing.T) {
	c := Credentials{"AKIAEXAMPLE", "very-secret"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c)} {
		if strings.Contains(s, "very-secret") || !strings.Contains(s, "AKIAEXAMPLE") {
			t.Fatalf("printed %q", s)
		}
	}
}

func TestGenerateIsRandom(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		c, err := Generate()
		if err != nil {
			t.Fatal(err)
		}
		if seen[c.AccessKeyID] || seen[c.SecretAccessKey] {
			t.Fatalf("repeated key %v", c)
		}
		seen[c.AccessKeyID], seen[c.SecretAccessKey] = true, true
	}
}
