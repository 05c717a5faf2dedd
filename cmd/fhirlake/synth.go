package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fhirlake/fhirlake/synth"
)

// synthCommand is `fhirlake synth`: write a deterministic synthetic
// population as bulk NDJSON (or Bundles) to a folder.
func synthCommand() *cobra.Command {
	var (
		opts synth.Options
		out  string
	)
	cmd := &cobra.Command{
		Use:   "synth --patients N --seed S --out DIR",
		Short: "Generate deterministic synthetic FHIR R4 data (Synthea-shaped bulk NDJSON with clinical notes)",
		Long: `Generate a synthetic population as FHIR R4 bulk NDJSON: one <Type>.ndjson file per
resource type (Patient, Encounter, Condition, Observation, MedicationRequest, Procedure,
Immunization, DiagnosticReport, DocumentReference, AllergyIntolerance, Claim, and the shared
Organization, Location and Practitioner). The same seed and patient count always give the same
bytes; patient i depends only on (seed, i).

With --bundles, write one transaction Bundle per patient (<Given>_<Family>_<id>.json) and the
shared resources as hospitalInformation.json and practitionerInformation.json, like Synthea.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return fmt.Errorf("--out is required")
			}
			if opts.Patients < 1 {
				return fmt.Errorf("--patients must be at least 1, got %d", opts.Patients)
			}
			start := time.Now()
			progress := newProgress(opts.Patients, start)
			opts.Progress = progress.update
			st, err := synth.WriteDir(cmd.Context(), opts, out)
			progress.done()
			if err != nil {
				return fmt.Errorf("synth: %w", err)
			}
			secs := time.Since(start).Seconds()
			var parts []string
			for _, t := range st.Types() {
				parts = append(parts, fmt.Sprintf("%s %d", t, st.Resources[t]))
			}
			fmt.Fprintf(os.Stderr, "wrote %d patients, %d resources (%.0f/s), %d files, %.1f MB to %s in %.1fs\n  %s\n",
				st.Patients, st.Total(), float64(st.Total())/secs, st.Files, float64(st.FileBytes)/1e6, out, secs,
				strings.Join(parts, ", "))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.Patients, "patients", 100, "number of patients")
	f.Int64Var(&opts.Seed, "seed", 1, "random seed; the same seed gives the same data")
	f.StringVar(&out, "out", "", "output folder (created if missing)")
	f.BoolVar(&opts.Gzip, "gzip", false, "gzip each file (.ndjson.gz, .json.gz)")
	f.BoolVar(&opts.Bundles, "bundles", false, "write one transaction Bundle per patient instead of NDJSON")
	f.IntVar(&opts.First, "first", 0, "index of the first patient (to generate shards)")
	f.BoolVar(&opts.SkipShared, "skip-shared", false, "leave out the shared Organization/Location/Practitioner resources")
	f.IntVar(&opts.Workers, "workers", 0, "patients generated in parallel (0: one per CPU); output does not depend on it")
	return cmd
}

// progress draws one updating line on stderr.
type progress struct {
	total int
	start time.Time
	last  time.Time
	tty   bool
}

func newProgress(total int, start time.Time) *progress {
	fi, err := os.Stderr.Stat()
	return &progress{total: total, start: start, tty: err == nil && fi.Mode()&os.ModeCharDevice != 0}
}

func (p *progress) update(done int) {
	now := time.Now()
	if done < p.total && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	if !p.tty && done < p.total && now.Sub(p.last) < 5*time.Second {
		return
	}
	p.last = now
	const width = 30
	filled := width * done / p.total
	rate := float64(done) / now.Sub(p.start).Seconds()
	eta := ""
	if rate > 0 && done < p.total {
		eta = fmt.Sprintf(" eta %s", (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second))
	}
	line := fmt.Sprintf("synth [%s%s] %d/%d patients (%.0f/s)%s", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, p.total, rate, eta)
	if p.tty {
		fmt.Fprintf(os.Stderr, "\r%s\033[K", line)
	} else {
		fmt.Fprintln(os.Stderr, line)
	}
}

func (p *progress) done() {
	if p.tty && !p.last.IsZero() {
		fmt.Fprintln(os.Stderr)
	}
}
