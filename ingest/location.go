package ingest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Object is one input file.
type Object struct {
	Key  string // path relative to the input location, with '/' separators
	Size int64
}

// Source lists and opens the input files of a job.
type Source interface {
	// List returns every file under the location.
	List(ctx context.Context) ([]Object, error)
	// Open opens a listed file.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// URI names a listed file for the manifest and error messages.
	URI(key string) string
}

// Dest receives a job's output files.
type Dest interface {
	// Put writes (or replaces) the file name under the location with the
	// size bytes of body.
	Put(ctx context.Context, name string, body io.ReadSeeker, size int64) error
	// URI names a file (or folder, ending with '/') under the location.
	URI(name string) string
}

// Location is a parsed input or output URI: s3://bucket/prefix, or a
// local path given as file:///abs/path or /abs/path (fhirlake's extension
// of HealthLake's S3Uri).
type Location struct {
	Scheme string // "s3" or "file"
	Bucket string // s3
	Path   string // s3: key prefix; file: absolute path
}

// ParseLocation reads an S3Uri.
func ParseLocation(uri string) (Location, error) {
	switch {
	case strings.HasPrefix(uri, "s3://"):
		rest := strings.TrimPrefix(uri, "s3://")
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return Location{}, fmt.Errorf("%q has no bucket name", uri)
		}
		return Location{Scheme: "s3", Bucket: bucket, Path: prefix}, nil
	case strings.HasPrefix(uri, "file://"):
		u, err := url.Parse(uri)
		if err != nil {
			return Location{}, fmt.Errorf("%q: %w", uri, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return Location{}, fmt.Errorf("%q: a file URI must name a local path (file:///path)", uri)
		}
		if !filepath.IsAbs(u.Path) {
			return Location{}, fmt.Errorf("%q: the path must be absolute", uri)
		}
		return Location{Scheme: "file", Path: filepath.Clean(u.Path)}, nil
	case filepath.IsAbs(uri):
		return Location{Scheme: "file", Path: filepath.Clean(uri)}, nil
	}
	return Location{}, fmt.Errorf("%q is not an s3:// URI, a file:// URI or an absolute path", uri)
}

// String gives the location as a URI.
func (l Location) String() string {
	if l.Scheme == "s3" {
		return "s3://" + l.Bucket + "/" + l.Path
	}
	return "file://" + filepath.ToSlash(l.Path)
}

// Join returns the location of name under l (a folder).
func (l Location) Join(name string) Location {
	if l.Scheme == "s3" {
		p := l.Path
		if p != "" && !strings.HasSuffix(p, "/") {
			p += "/"
		}
		return Location{Scheme: "s3", Bucket: l.Bucket, Path: p + name}
	}
	return Location{Scheme: "file", Path: filepath.Join(l.Path, filepath.FromSlash(name))}
}

// Format is how a file's content is laid out.
type Format uint8

const (
	Unsupported Format = iota
	NDJSON             // one resource per line
	JSON               // one resource, usually a Bundle
)

// FormatOf tells a file's format and compression from its name:
// .ndjson, .jsonl and .json, each optionally followed by .gz.
func FormatOf(key string) (Format, bool) {
	name := strings.ToLower(path.Base(key))
	gz := strings.HasSuffix(name, ".gz")
	name = strings.TrimSuffix(name, ".gz")
	switch {
	case strings.HasSuffix(name, ".ndjson"), strings.HasSuffix(name, ".jsonl"):
		return NDJSON, gz
	case strings.HasSuffix(name, ".json"):
		return JSON, gz
	}
	return Unsupported, gz
}

// outputFolder matches the folders import jobs write (ours and
// HealthLake's), which are never read as input.
var outputFolder = regexp.MustCompile(`(^|/)[0-9a-f]{32}-FHIR_(IMPORT|EXPORT)-[0-9a-f]{32}/`)

// orderInput sorts input files the way they are imported: Synthea's shared
// hospitalInformation and practitionerInformation Bundles first (patient
// Bundles reference their resources conditionally), then by key. It drops
// files of import output folders and returns those of unsupported formats
// separately.
func orderInput(all []Object) (files, skipped []Object) {
	for _, o := range all {
		if outputFolder.MatchString(o.Key) {
			continue
		}
		if f, _ := FormatOf(o.Key); f == Unsupported {
			skipped = append(skipped, o)
			continue
		}
		files = append(files, o)
	}
	first := func(k string) bool {
		b := path.Base(k)
		return strings.HasPrefix(b, "hospitalInformation") || strings.HasPrefix(b, "practitionerInformation")
	}
	sort.Slice(files, func(i, j int) bool {
		fi, fj := first(files[i].Key), first(files[j].Key)
		if fi != fj {
			return fi
		}
		return files[i].Key < files[j].Key
	})
	return files, skipped
}

// Storage opens sources and destinations, local or in S3.
type Storage struct{ s3 s3Clients }

// NewStorage returns a Storage reaching S3 as cfg says.
func NewStorage(cfg S3Config) *Storage { return &Storage{s3: s3Clients{cfg: cfg}} }

// Source opens an input location.
func (st *Storage) Source(ctx context.Context, l Location) (Source, error) {
	if l.Scheme == "file" {
		return newFileSource(l)
	}
	c, err := st.s3.get(ctx)
	if err != nil {
		return nil, err
	}
	return &s3Source{client: c, loc: l}, nil
}

// Dest opens an output folder.
func (st *Storage) Dest(ctx context.Context, l Location) (Dest, error) {
	if l.Scheme == "file" {
		return &fileDest{root: l.Path}, nil
	}
	c, err := st.s3.get(ctx)
	if err != nil {
		return nil, err
	}
	return &s3Dest{client: c, loc: l}, nil
}
