package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Result is one measured figure beside its baseline, measured in the same run.
type Result struct {
	What     string
	Ours     float64
	Unit     string
	Baseline string  // what the baseline is ("" when none)
	Base     float64 // the baseline's figure, same unit
	// HigherIsBetter tells how to read the ratio.
	HigherIsBetter bool
	Target         string // the target, as text
	Note           string
}

// Ratio is ours / baseline.
func (r Result) Ratio() float64 {
	if r.Base == 0 {
		return 0
	}
	return r.Ours / r.Base
}

// Section is a group of results with its setup.
type Section struct {
	Title   string
	Setup   []string
	Results []Result
	Notes   []string
}

// Report is a whole benchmark run.
type Report struct {
	Started  time.Time
	Machine  Machine
	Scale    string
	Data     []string
	Sections []*Section
	Command  string
}

func num(v float64) string {
	switch {
	case v == 0:
		return "–"
	case v >= 1000:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// Write renders the report as Markdown.
func (r *Report) Write(w io.Writer) {
	m := r.Machine
	fmt.Fprintf(w, "# fhirlake benchmarks, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(w, "Written by `%s`; every number below was measured by that run (nothing typed by hand).\n\n", r.Command)
	fmt.Fprintf(w, "| machine | |\n| --- | --- |\n")
	fmt.Fprintf(w, "| CPU | %s, %d cores |\n| memory | %.1f GiB |\n| OS | %s |\n| Go | %s |\n| DuckDB | %s |\n| load average at start | %s |\n\n",
		m.CPU, m.Cores, m.MemoryGB, m.OS, m.Go, m.DuckDB, m.Load)
	fmt.Fprintf(w, "Scale: **%s**.\n\n", r.Scale)
	for _, d := range r.Data {
		fmt.Fprintf(w, "- %s\n", d)
	}
	for _, s := range r.Sections {
		fmt.Fprintf(w, "\n## %s\n\n", s.Title)
		for _, l := range s.Setup {
			fmt.Fprintf(w, "- %s\n", l)
		}
		if len(s.Setup) > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintf(w, "| measure | fhirlake | baseline | baseline figure | ratio | target |\n| --- | ---: | --- | ---: | ---: | --- |\n")
		for _, res := range s.Results {
			ratio := "–"
			if res.Base != 0 {
				ratio = fmt.Sprintf("%.2f×", res.Ratio())
			}
			base := res.Baseline
			if base == "" {
				base = "–"
			}
			fmt.Fprintf(w, "| %s | %s %s | %s | %s | %s | %s |\n", res.What, num(res.Ours), res.Unit, base, num(res.Base), ratio, res.Target)
			if res.Note != "" {
				s.Notes = append(s.Notes, res.What+": "+res.Note)
			}
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(n))
		}
	}
}
