package synth

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

// Code systems of the generated data.
const (
	sysSNOMED = "http://snomed.info/sct"
	sysLOINC  = "http://loinc.org"
	sysRxNorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysCVX    = "http://hl7.org/fhir/sid/cvx"
	sysICD10  = "http://hl7.org/fhir/sid/icd-10-cm"
	sysUCUM   = "http://unitsofmeasure.org"
)

// concept is one coded concept with the display its vocabulary gives it.
type concept struct {
	system, code, display string
}

//go:embed vocab/codes.tsv
var codesTSV []byte

//go:embed vocab/icd10cm.tsv
var icd10TSV []byte

//go:embed vocab/context_rules.json
var contextRulesJSON []byte

// vocabulary holds every code and display the generator may write, copied
// from public vocabularies (see vocab/SOURCE.md). Nothing is coded that is
// not listed there.
var vocabulary = mustLoadVocabulary()

type vocab struct {
	codes map[string]concept // system|code → concept
	cues  map[string]string  // surface form of a ConText cue → "CATEGORY literal"
}

func mustLoadVocabulary() *vocab {
	v := &vocab{codes: map[string]concept{}, cues: map[string]string{}}
	if err := v.readTSV(codesTSV, 3, func(f []string) concept { return concept{f[0], f[1], f[2]} }); err != nil {
		panic(fmt.Sprintf("synth: vocab/codes.tsv: %v", err))
	}
	if err := v.readTSV(icd10TSV, 2, func(f []string) concept { return concept{sysICD10, f[0], f[1]} }); err != nil {
		panic(fmt.Sprintf("synth: vocab/icd10cm.tsv: %v", err))
	}
	if err := v.readContextRules(contextRulesJSON); err != nil {
		panic(fmt.Sprintf("synth: vocab/context_rules.json: %v", err))
	}
	return v
}

// readTSV reads tab-separated rows after a header line.
func (v *vocab) readTSV(data []byte, fields int, row func([]string) concept) error {
	sc := bufio.NewScanner(bytes.NewReader(data))
	line := 0
	for sc.Scan() {
		line++
		if line == 1 || sc.Text() == "" {
			continue
		}
		f := strings.Split(sc.Text(), "\t")
		if len(f) < fields {
			return fmt.Errorf("line %d: %d fields, want %d", line, len(f), fields)
		}
		c := row(f)
		v.codes[c.system+"|"+c.code] = c
	}
	return sc.Err()
}

// readContextRules indexes the surface forms of medspaCy's ConText rules:
// the literal and, for simple token patterns, every spelling the pattern
// accepts (the "deny" rule accepts "denies").
func (v *vocab) readContextRules(data []byte) error {
	var doc struct {
		Rules []struct {
			Category string            `json:"category"`
			Literal  string            `json:"literal"`
			Pattern  []json.RawMessage `json:"pattern"`
		} `json:"context_rules"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return err
	}
	for _, r := range doc.Rules {
		tag := r.Category + " " + r.Literal
		v.cues[r.Literal] = tag
		forms := []string{""}
		for _, raw := range r.Pattern {
			var tok struct {
				Lower json.RawMessage `json:"LOWER"`
				Op    string          `json:"OP"`
			}
			if json.Unmarshal(raw, &tok) != nil || tok.Op != "" || tok.Lower == nil {
				continue // optional or non-lexical token: skip it
			}
			var words []string
			var one string
			var in struct {
				In []string `json:"IN"`
			}
			if json.Unmarshal(tok.Lower, &one) == nil {
				words = []string{one}
			} else if json.Unmarshal(tok.Lower, &in) == nil {
				words = in.In
			}
			var next []string
			for _, f := range forms {
				for _, w := range words {
					next = append(next, strings.TrimSpace(f+" "+w))
				}
			}
			forms = next
		}
		for _, f := range forms {
			if f != "" {
				v.cues[f] = tag
			}
		}
	}
	return nil
}

func (v *vocab) lookup(system, code string) concept {
	c, ok := v.codes[system+"|"+code]
	if !ok {
		panic(fmt.Sprintf("synth: code %s|%s is not in vocab/", system, code))
	}
	return c
}

// cue returns a negation/family/history cue phrase after checking that a
// ConText rule recognises it, so the notes use the cues an NLP reader knows.
func cue(phrase string) string {
	if _, ok := vocabulary.cues[strings.ToLower(phrase)]; !ok {
		panic(fmt.Sprintf("synth: %q is not a ConText cue in vocab/context_rules.json", phrase))
	}
	return phrase
}

func sct(code string) concept   { return vocabulary.lookup(sysSNOMED, code) }
func loinc(code string) concept { return vocabulary.lookup(sysLOINC, code) }
func rxnorm(code string) concept {
	return vocabulary.lookup(sysRxNorm, code)
}
func cvx(code string) concept { return vocabulary.lookup(sysCVX, code) }

// icd10 returns an ICD-10-CM code given without its dot ("E119"); the
// coding carries the dotted form ("E11.9").
func icd10(code string) concept {
	c := vocabulary.lookup(sysICD10, code)
	if len(c.code) > 3 {
		c.code = c.code[:3] + "." + c.code[3:]
	}
	return c
}
