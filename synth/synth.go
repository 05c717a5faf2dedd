// Package synth generates deterministic, realistic synthetic FHIR R4 data
// shaped like Synthea's output: patients with lifelong records (encounters,
// conditions, vital signs and labs, medications, procedures, immunizations,
// allergies, claims) and clinical notes whose text mentions the coded
// conditions and medications, with abbreviations, negated findings and family
// history, so that an NLP reader can be checked against the coded truth.
//
// Patient i's data depends only on (seed, i): output is byte-identical for
// the same options, any subset of patients is a prefix of a larger run, and
// patients can be generated in parallel or in shards. Generation streams:
// memory does not grow with the number of patients.
//
// Codes and displays come from public vocabularies copied into vocab/ (see
// vocab/SOURCE.md); PROPORTIONS.md compares resource counts with real
// Synthea output; validate/ checks a sample of the output with an
// independent validator (Medplum's).
package synth

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"
)

// Options configure a run.
type Options struct {
	Patients int   // number of patients to generate (at least 1)
	Seed     int64 // the same seed gives the same data
	// First is the index of the first patient, for sharding: a run with
	// First=100, Patients=100 generates exactly patients 100..199 of the
	// run with First=0, Patients=200.
	First int
	// Gzip compresses the files WriteDir writes (.ndjson.gz, .json.gz).
	Gzip bool
	// Bundles emits one transaction Bundle per patient (urn:uuid references)
	// and the shared organisations, locations and practitioners as two batch
	// Bundles, instead of resources.
	Bundles bool
	// SkipShared leaves out the shared Organization, Location and
	// Practitioner resources (for all shards but one).
	SkipShared bool
	// Workers is the number of patients generated at once (0: GOMAXPROCS).
	// The output does not depend on it.
	Workers int
	// End is when the records end ("today"); zero means 2025-01-01.
	End time.Time
	// Progress, when set, is called after each patient is emitted.
	Progress func(patientsDone int)
}

// DefaultEnd is the default end of the generated records.
var DefaultEnd = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// Sink receives each generated resource (or Bundle) as compact JSON. The
// bytes are only valid during the call.
type Sink func(resourceType string, resource []byte) error

// Stats counts what a run produced.
type Stats struct {
	Patients  int
	Resources map[string]int // by resource type, including those inside Bundles
	Bundles   int            // Bundles emitted (Bundles mode)
	Bytes     int64          // JSON bytes handed out, uncompressed (WriteDir: with NDJSON newlines)
	FileBytes int64          // bytes written to disk (WriteDir)
	Files     int            // files written (WriteDir)
}

// Total is the number of resources, not counting the Bundles around them.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Resources {
		n += c
	}
	return n
}

// Types lists the resource types produced, sorted.
func (s Stats) Types() []string {
	out := make([]string, 0, len(s.Resources))
	for t := range s.Resources {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

func (o *Options) check() error {
	if o.Patients < 1 {
		return fmt.Errorf("patients must be at least 1, got %d", o.Patients)
	}
	if o.First < 0 {
		return fmt.Errorf("first patient must not be negative, got %d", o.First)
	}
	if o.First+o.Patients >= poolStream {
		return errors.New("too many patients")
	}
	if o.End.IsZero() {
		o.End = DefaultEnd
	}
	if o.End.Year() < 1950 || o.End.Year() > 2200 {
		return fmt.Errorf("end %s is outside 1950..2200", o.End.Format(time.DateOnly))
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return nil
}

// item is one generated resource inside a unit's buffer.
type item struct {
	typ         string
	id          string
	start, end  int
	ifNoneExist string // shared resources: the condition of a conditional create
}

// unit is what one generation step produces: the shared pool or one
// patient, as resources or as one Bundle.
type unit struct {
	name   string // file name stem in Bundles mode
	buf    []byte
	items  []item
	bundle []byte // Bundles mode: the Bundle JSON
	// A second bundle for the pool (practitionerInformation).
	bundle2 []byte
	name2   string
	bbuf    []byte // reused backing array of bundle
}

// Generate generates the data and hands each resource (or Bundle) to sink,
// shared resources first, then patient by patient in index order.
func Generate(ctx context.Context, opts Options, sink Sink) (Stats, error) {
	return run(ctx, opts, func(u *unit, st *Stats) error {
		if u.bundle != nil {
			for _, b := range [][]byte{u.bundle, u.bundle2} {
				if b == nil {
					continue
				}
				st.Bytes += int64(len(b))
				if err := sink("Bundle", b); err != nil {
					return err
				}
			}
			return nil
		}
		for _, it := range u.items {
			b := u.buf[it.start:it.end]
			st.Bytes += int64(len(b))
			if err := sink(it.typ, b); err != nil {
				return err
			}
		}
		return nil
	})
}

// run generates units in parallel and hands them to emit in order.
func run(ctx context.Context, opts Options, emit func(*unit, *Stats) error) (Stats, error) {
	st := Stats{Resources: map[string]int{}}
	if err := opts.check(); err != nil {
		return st, err
	}
	pool := newProviderPool(opts.Seed)
	count := func(u *unit) {
		for _, it := range u.items {
			st.Resources[it.typ]++
		}
		if u.bundle != nil {
			st.Bundles++
		}
		if u.bundle2 != nil {
			st.Bundles++
		}
	}
	if !opts.SkipShared {
		u := &unit{buf: pool.buf, items: pool.resources}
		if opts.Bundles {
			poolBundles(u)
		}
		count(u)
		if err := emit(u, &st); err != nil {
			return st, err
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		index int
		out   chan *unit
	}
	jobs := make(chan job)
	order := make(chan chan *unit, 2*opts.Workers)
	free := make(chan *unit, 3*opts.Workers)

	go func() { // dispatcher: hands out indexes in order
		defer close(jobs)
		defer close(order)
		for i := opts.First; i < opts.First+opts.Patients; i++ {
			j := job{index: i, out: make(chan *unit, 1)}
			select {
			case order <- j.out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newPatientGen(opts, pool)
			for j := range jobs {
				var u *unit
				select {
				case u = <-free:
				default:
					u = &unit{}
				}
				g.generate(j.index, u)
				j.out <- u
			}
		}()
	}
	var err error
	done := 0
consume:
	for ch := range order {
		var u *unit
		select {
		case u = <-ch:
		case <-ctx.Done():
			break consume
		}
		count(u)
		st.Patients++
		if err = emit(u, &st); err != nil {
			break
		}
		done++
		if opts.Progress != nil {
			opts.Progress(done)
		}
		select {
		case free <- u:
		default:
		}
		if err = ctx.Err(); err != nil {
			break
		}
	}
	cancel()
	for range order { // let the dispatcher finish
	}
	wg.Wait()
	if err == nil && st.Patients < opts.Patients {
		err = ctx.Err()
		if err == nil {
			err = errors.New("generation stopped early")
		}
	}
	return st, err
}
