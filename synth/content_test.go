package synth

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// record is one patient's data as the tests need it.
type noteRecord struct {
	encounter string
	text      string
}

type coded struct {
	encounter string
	code      string
	display   string
}

// parseOutput pulls notes, conditions and prescriptions out of a run.
func parseOutput(t *testing.T, out *generated) (notes map[string]string, conds []coded, meds []coded, dosages []string) {
	notes = map[string]string{}
	for _, b := range out.byType["DocumentReference"] {
		var d struct {
			Content []struct {
				Attachment struct{ ContentType, Data string }
			}
			Context struct{ Encounter []struct{ Reference string } }
		}
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		if d.Content[0].Attachment.ContentType != "text/plain; charset=utf-8" {
			t.Fatalf("note content type %q", d.Content[0].Attachment.ContentType)
		}
		text, err := base64.StdEncoding.DecodeString(d.Content[0].Attachment.Data)
		if err != nil {
			t.Fatal(err)
		}
		notes[d.Context.Encounter[0].Reference] = string(text)
	}
	for _, b := range out.byType["Condition"] {
		var c struct {
			Code struct {
				Coding []struct{ Code, Display string }
			}
			Encounter struct{ Reference string }
		}
		json.Unmarshal(b, &c)
		conds = append(conds, coded{c.Encounter.Reference, c.Code.Coding[0].Code, c.Code.Coding[0].Display})
	}
	for _, b := range out.byType["MedicationRequest"] {
		var m struct {
			MedicationCodeableConcept struct {
				Coding []struct{ Code, Display string }
			}
			Encounter         struct{ Reference string }
			DosageInstruction []struct{ Text string }
		}
		json.Unmarshal(b, &m)
		meds = append(meds, coded{m.Encounter.Reference, m.MedicationCodeableConcept.Coding[0].Code, m.MedicationCodeableConcept.Coding[0].Display})
		dosages = append(dosages, m.DosageInstruction[0].Text)
	}
	return
}

var conditionBySNOMED = func() map[string]*conditionDef {
	m := map[string]*conditionDef{obesity.code.code: obesity}
	for _, d := range append(append([]*conditionDef{}, chronicConditions...), acuteConditions...) {
		m[d.code.code] = d
	}
	return m
}()

var medByRxNorm = func() map[string]*medDef {
	m := map[string]*medDef{}
	for _, d := range meds {
		m[d.code.code] = d
	}
	return m
}()

func mentions(text string, terms ...string) bool {
	low := strings.ToLower(text)
	for _, term := range terms {
		if strings.Contains(low, strings.ToLower(term)) {
			return true
		}
	}
	return false
}

// TestNotesMatchCodedData: every encounter has a note, and each note
// mentions every condition coded in its encounter and every medication
// ordered in it, in one of the condition's wordings and by ingredient.
func TestNotesMatchCodedData(t *testing.T) {
	out, _ := generate(t, Options{Patients: 40, Seed: 21})
	notes, conds, meds, _ := parseOutput(t, out)
	if len(notes) != len(out.byType["Encounter"]) {
		t.Fatalf("%d notes for %d encounters", len(notes), len(out.byType["Encounter"]))
	}
	for _, c := range conds {
		def := conditionBySNOMED[c.code]
		if def == nil {
			t.Fatalf("condition %s has no definition", c.code)
		}
		note, ok := notes[c.encounter]
		if !ok {
			t.Fatalf("no note for %s", c.encounter)
		}
		if !mentions(note, def.terms...) {
			t.Errorf("note of %s does not mention %s (%v):\n%s", c.encounter, c.display, def.terms, note)
		}
	}
	for _, m := range meds {
		def := medByRxNorm[m.code]
		if !mentions(notes[m.encounter], def.name+" "+def.strength, strings.Replace(def.name+" "+def.strength, " mg", "mg", 1)) {
			t.Errorf("note of %s does not mention %s %s:\n%s", m.encounter, def.name, def.strength, notes[m.encounter])
		}
	}
	if len(conds) < 200 || len(meds) < 200 {
		t.Errorf("too little coded data to judge: %d conditions, %d prescriptions", len(conds), len(meds))
	}
}

// TestNotesRealistic looks for what an NLP reader must cope with:
// abbreviations, negated findings with ConText cues, family history, and
// dosages written like a clinician.
func TestNotesRealistic(t *testing.T) {
	out, _ := generate(t, Options{Patients: 60, Seed: 8})
	notes, _, _, dosages := parseOutput(t, out)
	var all strings.Builder
	negated := 0
	for _, n := range notes {
		all.WriteString(n)
		all.WriteString("\n")
		if regexp.MustCompile(`(?i)\b(denies|no|negative for) [a-z]|: no\.`).MatchString(n) {
			negated++
		}
	}
	text := all.String()
	if negated < len(notes)*9/10 {
		t.Errorf("only %d of %d notes state a negated finding", negated, len(notes))
	}
	for _, want := range []string{
		"HTN", "T2DM", "SOB", "HLD", // abbreviations
		"Denies ", "Negative for ", ": no.", // negation cues
		"Family History", "Mother had ", " (father).", // family history
		"metformin 500 mg PO BID", "by mouth", "x10 days", // dosages
		"# Assessment and Plan", "# Chief Complaint",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("no note contains %q", want)
		}
	}
	if !contains(dosages, "metformin 500 mg PO BID") {
		t.Errorf("no MedicationRequest has the dosage text %q", "metformin 500 mg PO BID")
	}
}

// TestFamilyHistoryNotCoded: a condition the family history names is never
// coded for the patient, so an NLP reader that takes "mother had breast
// cancer" for the patient's own condition is wrong.
func TestFamilyHistoryNotCoded(t *testing.T) {
	out, _ := generate(t, Options{Patients: 60, Seed: 8})
	subjectConds := map[string]map[string]bool{}
	for _, b := range out.byType["Condition"] {
		var c struct {
			Code    struct{ Coding []struct{ Code string } }
			Subject struct{ Reference string }
		}
		json.Unmarshal(b, &c)
		if subjectConds[c.Subject.Reference] == nil {
			subjectConds[c.Subject.Reference] = map[string]bool{}
		}
		subjectConds[c.Subject.Reference][c.Code.Coding[0].Code] = true
	}
	checked := 0
	for _, b := range out.byType["DocumentReference"] {
		var d struct {
			Subject struct{ Reference string }
			Content []struct{ Attachment struct{ Data string } }
		}
		json.Unmarshal(b, &d)
		text, _ := base64.StdEncoding.DecodeString(d.Content[0].Attachment.Data)
		_, section, ok := strings.Cut(string(text), "# Family History\n")
		if !ok {
			continue
		}
		section, _, _ = strings.Cut(section, "\n#")
		for _, f := range familyHistory {
			if f.key == "" || !mentions(section, f.terms...) {
				continue
			}
			checked++
			if subjectConds[d.Subject.Reference][findDef(f.key).code.code] {
				t.Errorf("%s: family history %q names a condition coded for the patient", d.Subject.Reference, section)
			}
		}
	}
	if checked == 0 {
		t.Error("no family history that names a modelled condition")
	}
}

func findDef(key string) *conditionDef {
	for _, d := range chronicConditions {
		if d.key == key {
			return d
		}
	}
	return nil
}

// TestNegationCuesFromConText: the cue phrases notes use are rules of the
// embedded medspaCy ConText lexicon, so an NLP reader using it finds them.
func TestNegationCuesFromConText(t *testing.T) {
	for _, c := range []string{"denies", "no", "negative for", ": no", "without", "h/o", "mother", "family"} {
		if _, ok := vocabulary.cues[c]; !ok {
			t.Errorf("%q is not a ConText cue", c)
		}
	}
	if _, ok := vocabulary.cues["sometimes"]; ok {
		t.Error("cue index accepts anything")
	}
	defer func() {
		if recover() == nil {
			t.Error("cue() accepted a phrase that is no ConText rule")
		}
	}()
	cue("perhaps not")
}

// TestDeniedNeverPresenting: a negated symptom is never one the patient
// presents with, and never the wording of a coded condition.
func TestDeniedNeverPresenting(t *testing.T) {
	for _, def := range acuteConditions {
		for _, neg := range def.negatives {
			if hasSymptom(def, neg) {
				t.Errorf("%s both presents with and denies %s", def.key, neg)
			}
		}
	}
	var terms []string
	for _, d := range conditionBySNOMED {
		terms = append(terms, d.terms...)
	}
	for key, words := range symptoms {
		for _, w := range words {
			for _, term := range terms {
				if strings.EqualFold(w, term) {
					t.Errorf("symptom %s (%q) is also a condition wording", key, w)
				}
			}
		}
	}
}

// TestImmunizationSchedule: adult Td boosters are ten years apart, a
// childhood series never exceeds its doses, and no vaccine predates its
// introduction.
func TestImmunizationSchedule(t *testing.T) {
	out, _ := generate(t, Options{Patients: 60, Seed: 4})
	byPatient := map[string]map[string][]string{}
	for _, b := range out.byType["Immunization"] {
		var im struct {
			VaccineCode        struct{ Coding []struct{ Code string } }
			Patient            struct{ Reference string }
			OccurrenceDateTime string
		}
		json.Unmarshal(b, &im)
		p := byPatient[im.Patient.Reference]
		if p == nil {
			p = map[string][]string{}
			byPatient[im.Patient.Reference] = p
		}
		code := im.VaccineCode.Coding[0].Code
		p[code] = append(p[code], im.OccurrenceDateTime)
	}
	doses := map[string]int{}
	from := map[string]int{}
	for _, d := range vaccineSchedule {
		doses[d.code.code]++
		if d.from > 0 {
			from[d.code.code] = d.from
		}
	}
	td := 0
	for patient, shots := range byPatient {
		for code, dates := range shots {
			for _, d := range dates {
				if year := atoi(d[:4]); year < from[code] {
					t.Errorf("%s: CVX %s given in %d, introduced %d", patient, code, year, from[code])
				}
			}
			switch code {
			case "113":
				for i := 1; i < len(dates); i++ {
					td++
					if atoi(dates[i][:4])-atoi(dates[i-1][:4]) < 9 {
						t.Errorf("%s: Td boosters %s and %s", patient, dates[i-1], dates[i])
					}
				}
			case "140":
			default:
				if len(dates) > doses[code] && code != "207" && code != "208" {
					t.Errorf("%s: %d doses of CVX %s, schedule has %d", patient, len(dates), code, doses[code])
				}
			}
		}
	}
	if td == 0 {
		t.Error("no Td booster series to check")
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}
