package synth

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
)

// WriteDir generates the data into dir (created if missing): one
// <Type>.ndjson file per resource type, or in Bundles mode one
// <Given>_<Family>_<id>.json Bundle per patient plus hospitalInformation.json
// and practitionerInformation.json; with Gzip each file is gzip-compressed
// and named with a further .gz. Existing files of the same names are
// replaced.
func WriteDir(ctx context.Context, opts Options, dir string) (Stats, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Stats{}, fmt.Errorf("create output directory: %w", err)
	}
	d := &dirWriter{dir: dir, gzip: opts.Gzip, files: map[string]*outFile{}}
	var st Stats
	var err error
	if opts.Bundles {
		st, err = run(ctx, opts, d.writeBundles)
	} else {
		st, err = run(ctx, opts, d.writeResources)
	}
	if cerr := d.close(); err == nil {
		err = cerr
	}
	st.FileBytes, st.Files = d.bytes, d.count
	return st, err
}

type dirWriter struct {
	dir   string
	gzip  bool
	files map[string]*outFile
	bytes int64
	count int
}

// outFile is one output file, buffered and optionally compressed.
type outFile struct {
	name string
	f    *os.File
	gz   *gzip.Writer
	bw   *bufio.Writer
}

func (d *dirWriter) create(name string) (*outFile, error) {
	if d.gzip {
		name += ".gz"
	}
	f, err := os.Create(filepath.Join(d.dir, name))
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", name, err)
	}
	o := &outFile{name: name, f: f}
	var w io.Writer = f
	if d.gzip {
		o.gz, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		w = o.gz
	}
	o.bw = bufio.NewWriterSize(w, 256<<10)
	d.count++
	return o, nil
}

func (o *outFile) close() (int64, error) {
	err := o.bw.Flush()
	if o.gz != nil {
		if cerr := o.gz.Close(); err == nil {
			err = cerr
		}
	}
	var size int64
	if fi, serr := o.f.Stat(); serr == nil {
		size = fi.Size()
	}
	if cerr := o.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return size, fmt.Errorf("write %s: %w", o.name, err)
	}
	return size, nil
}

func (d *dirWriter) writeResources(u *unit, st *Stats) error {
	for _, it := range u.items {
		o := d.files[it.typ]
		if o == nil {
			var err error
			if o, err = d.create(it.typ + ".ndjson"); err != nil {
				return err
			}
			d.files[it.typ] = o
		}
		b := u.buf[it.start:it.end]
		st.Bytes += int64(len(b)) + 1
		o.bw.Write(b)
		if err := o.bw.WriteByte('\n'); err != nil {
			return fmt.Errorf("write %s: %w", o.name, err)
		}
	}
	return nil
}

func (d *dirWriter) writeBundles(u *unit, st *Stats) error {
	for _, f := range []struct {
		name string
		b    []byte
	}{{u.name, u.bundle}, {u.name2, u.bundle2}} {
		if f.b == nil {
			continue
		}
		o, err := d.create(f.name + ".json")
		if err != nil {
			return err
		}
		st.Bytes += int64(len(f.b))
		o.bw.Write(f.b)
		n, err := o.close()
		d.bytes += n
		if err != nil {
			return err
		}
	}
	return nil
}

func (d *dirWriter) close() error {
	names := make([]string, 0, len(d.files))
	for n := range d.files {
		names = append(names, n)
	}
	sort.Strings(names)
	var first error
	for _, n := range names {
		size, err := d.files[n].close()
		d.bytes += size
		if err != nil && first == nil {
			first = err
		}
	}
	d.files = map[string]*outFile{}
	return first
}
