package ingest

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// fileSource reads a local folder (every file below it) or a single file.
type fileSource struct {
	root   string
	single bool // root is a file
}

func newFileSource(l Location) (*fileSource, error) {
	st, err := os.Stat(l.Path)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", l, err)
	}
	return &fileSource{root: l.Path, single: !st.IsDir()}, nil
}

func (s *fileSource) List(ctx context.Context) ([]Object, error) {
	if s.single {
		st, err := os.Stat(s.root)
		if err != nil {
			return nil, err
		}
		return []Object{{Key: filepath.Base(s.root), Size: st.Size()}}, nil
	}
	var out []Object
	err := filepath.WalkDir(s.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(s.root, p)
		if err != nil {
			return err
		}
		out = append(out, Object{Key: filepath.ToSlash(rel), Size: info.Size()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", s.root, err)
	}
	return out, nil
}

func (s *fileSource) path(key string) string {
	if s.single {
		return s.root
	}
	return filepath.Join(s.root, filepath.FromSlash(key))
}

func (s *fileSource) Open(_ context.Context, key string) (io.ReadCloser, error) {
	return os.Open(s.path(key))
}

func (s *fileSource) URI(key string) string { return "file://" + filepath.ToSlash(s.path(key)) }

// fileDest writes into a local folder.
type fileDest struct{ root string }

func (d *fileDest) Put(_ context.Context, name string, body io.ReadSeeker, size int64) error {
	p := filepath.Join(d.root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	// Written whole under a temporary name, then renamed: a reader (or a
	// resumed job) never sees half a file.
	tmp := p + ".tmp"
	if err := writeFile(tmp, body, size); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return fmt.Errorf("output: %w", err)
	}
	return nil
}

func (d *fileDest) URI(name string) string {
	u := "file://" + filepath.ToSlash(filepath.Join(d.root, filepath.FromSlash(name)))
	if name == "" || name[len(name)-1] == '/' {
		u += "/"
	}
	return u
}

// writeFile writes the size bytes of body to a new file at path.
func writeFile(path string, body io.Reader, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("%s: wrote %d of %d bytes", path, n, size)
	}
	return err
}
