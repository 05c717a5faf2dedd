package synth

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// The clinical note of each encounter, shaped like Synthea's (sections with
// "#" headings) but worded with the variation of real notes: abbreviations,
// pertinent negatives, family history and dosages. Every condition coded at
// or reviewed in the encounter, and every medication ordered, is mentioned.

// nb appends note text.
type nb struct{ b []byte }

func (n *nb) s(parts ...string) {
	for _, p := range parts {
		n.b = append(n.b, p...)
	}
}

func (n *nb) heading(h string) {
	if len(n.b) > 0 {
		n.b = append(n.b, '\n')
	}
	n.b = append(n.b, "# "...)
	n.b = append(n.b, h...)
	n.b = append(n.b, '\n')
}

// list joins items as prose: "a", "a and b", "a, b and c" (or "or").
func (n *nb) list(items []string, conj string) {
	for i, it := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			n.s(" ", conj, " ")
		default:
			n.s(", ")
		}
		n.s(it)
	}
}

var sigWords = map[string]string{
	"daily": "once daily", "BID": "twice daily", "TID": "three times daily", "qHS": "at bedtime",
	"q6h PRN": "every 6 hours as needed", "q4h PRN": "every 4 hours as needed", "BID PRN": "twice daily as needed",
	"TID PRN": "three times daily as needed", "q5min PRN": "every 5 minutes as needed",
}

var routeWords = map[string]string{"PO": "by mouth", "SL": "sublingually", "inhaled": "inhaled"}

// medText words a medication with its dosage, in one of the ways clinicians
// write it: "metformin 500 mg PO BID", "metformin 500mg po bid",
// "Metformin 500 mg by mouth twice daily".
func (g *patientGen) medText(m *medDef) string {
	var s string
	switch g.r.intn(4) {
	case 0, 1:
		s = m.phrase()
	case 2:
		s = m.name + " " + strings.Replace(m.strength, " mg", "mg", 1) + " " + strings.ToLower(m.route) + " " + strings.ToLower(m.sig)
	default:
		s = capital(m.name) + " " + m.strength + " " + routeWords[m.route] + " " + sigWords[m.sig]
	}
	if m.days > 0 {
		s += " x" + strconv.Itoa(m.days) + " days"
	}
	return s
}

// term words a condition: usually the person's usual wording, sometimes
// another (an abbreviation or a synonym).
func (g *patientGen) term(c *condition) string {
	if g.r.chance(0.6) {
		return c.term
	}
	return pick(g.r, c.def.terms)
}

func (g *patientGen) symptom(key string) string { return pick(g.r, symptoms[key]) }

func (g *patientGen) ageText(age float64) string {
	switch {
	case age < 25.0/365:
		return "newborn"
	case age < 2:
		return strconv.Itoa(int(age*12)) + "-month-old"
	case g.r.chance(0.5):
		return strconv.Itoa(int(age)) + " y/o"
	default:
		return strconv.Itoa(int(age)) + "-year-old"
	}
}

func (g *patientGen) sexText(age float64) string {
	switch {
	case age < 13 && g.p.male:
		return "boy"
	case age < 13:
		return "girl"
	case g.r.chance(0.5) && g.p.male:
		return "male"
	case g.p.male:
		return "man"
	case g.r.chance(0.5):
		return "female"
	}
	return "woman"
}

// negatives picks up to n pertinent negatives for the visit, never a symptom
// the patient presents with.
func (g *patientGen) negatives(e *encounter, n int, skip []string) []string {
	var pool []string
	add := func(keys []string) {
		for _, k := range keys {
			if !contains(pool, k) && !contains(skip, k) && (e.acute == nil || !hasSymptom(e.acute.def, k)) {
				pool = append(pool, k)
			}
		}
	}
	for _, c := range g.v.conds {
		add(c.def.negatives)
	}
	if g.v.age < 5 {
		add(infantNegatives)
	} else {
		add(genericNegatives)
	}
	var out []string
	for len(out) < n && len(pool) > 0 {
		i := g.r.intn(len(pool))
		out = append(out, pool[i])
		pool = append(pool[:i], pool[i+1:]...)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (g *patientGen) noteText(e *encounter) []byte {
	p, r, v := &g.p, g.r, &g.v
	n := &nb{b: g.note[:0]}
	n.s(e.start.In(zone).Format(time.DateOnly), "\n")

	var history []*condition // chronic, diagnosed before this visit
	for _, c := range p.conds {
		if c.def.chronic && c.diagnosed != nil && c.diagnosed != e && c.activeAt(e.start) {
			history = append(history, c)
		}
	}

	// Chief complaint.
	n.heading("Chief Complaint")
	var presenting []string
	switch {
	case e.acute != nil:
		for _, k := range e.acute.def.symptoms {
			presenting = append(presenting, g.symptom(k))
		}
		n.s("- ")
		n.list(presenting, "and")
		n.s("\n")
	case e.kind == kindFollowUp:
		n.s(pick(r, []string{"Follow-up of ", "F/u ", "Recheck of "}))
		var ts []string
		for _, c := range e.followed {
			ts = append(ts, g.term(c))
		}
		n.list(ts, "and")
		n.s(".\n")
	case v.age < 18:
		n.s("Well-child visit.\n")
	default:
		n.s(pick(r, []string{"Annual physical.", "Routine health maintenance.", "Annual wellness visit."}), "\n")
	}

	// History of present illness.
	n.heading("History of Present Illness")
	n.s(g.p.given, " is a ", g.ageText(v.age), " ", p.race.adjective, " ", g.sexText(v.age))
	if len(history) > 0 {
		n.s(pick(r, []string{" with a history of ", " with PMH of ", " with " + cue("h/o") + " "}))
		var ts []string
		for _, c := range history {
			ts = append(ts, g.term(c))
		}
		n.list(ts, "and")
	}
	var denied []string
	switch {
	case e.acute != nil:
		days := 1 + r.intn(5)
		n.s(" who presents with ")
		n.list(presenting, "and")
		if days == 1 {
			n.s(" since yesterday")
		} else {
			n.s(" for ", strconv.Itoa(days), " days")
		}
		if neg := g.negatives(e, 1, nil); len(neg) > 0 && r.chance(0.5) {
			n.s(" ", cue("without"), " ", g.symptom(neg[0]))
			denied = append(denied, neg[0])
		}
		n.s(".")
		if e.acute.def.class != "AMB" {
			n.s(" Brought to the emergency department.")
		}
	case e.kind == kindFollowUp:
		n.s(" who presents for follow-up of ")
		var ts []string
		for _, c := range e.followed {
			ts = append(ts, g.term(c))
		}
		n.list(ts, "and")
		n.s(".")
		for _, c := range e.followed {
			if len(c.meds) > 0 {
				n.s(" Reports taking ", c.meds[0].name, " as prescribed.")
				break
			}
		}
	case v.age < 18:
		n.s(pick(r, []string{" who presents for a well-child visit.", " here with a parent for a routine check-up.", " who presents for a routine visit."}))
		n.s(pick(r, []string{" No acute complaints.", " Parent has no concerns.", " Eating and sleeping well."}))
	default:
		n.s(pick(r, []string{" who presents for an annual physical exam.", " who comes in for a routine check-up.", " who presents for a routine visit."}))
		n.s(pick(r, []string{" No acute complaints.", " Feels well.", " No new concerns today."}))
	}
	if e.kind != kindWellness {
		for _, k := range g.negatives(e, 1+r.intn(3), denied) {
			denied = append(denied, k)
		}
		neg := denied[len(denied)-min(len(denied), 3):]
		var words []string
		for _, k := range neg {
			words = append(words, g.symptom(k))
		}
		switch r.intn(3) {
		case 0:
			n.s(" ", capital(cue("denies")), " ")
			n.list(words, "or")
			n.s(".")
		case 1:
			n.s(" Patient ", cue("denies"), " ")
			n.list(words, "or")
			n.s(".")
		default:
			for _, w := range words {
				n.s(" ", capital(cue("no")), " ", w, ".")
			}
		}
	}
	n.s("\n")

	if len(history) > 0 {
		n.heading("Past Medical History")
		for _, c := range history {
			n.s("- ", g.term(c), "\n")
		}
	}
	if len(p.famHistory) > 0 && (e.kind == kindWellness || r.chance(0.3)) {
		n.heading("Family History")
		for _, f := range p.famHistory {
			n.s(f, "\n")
		}
	}

	n.heading("Social History")
	switch {
	case v.age < 12:
		n.s("Lives at home with family.\n")
	case p.smokerAt(v.age):
		n.s(pick(r, []string{"Current every-day smoker.", "Smokes 1 ppd.", "Smokes tobacco daily."}), "\n")
	case p.smokeStart >= 0 && v.age >= p.smokeStart:
		n.s("Former smoker, quit at age ", strconv.Itoa(int(p.smokeQuit)), ".\n")
	default:
		n.s(pick(r, []string{"Never smoker.", capital(cue("denies")) + " tobacco use.", "Non-smoker."}), "\n")
	}

	n.heading("Allergies")
	var al []string
	for _, a := range p.allergies {
		if a.recorded {
			al = append(al, a.def.term+" ("+reactionTerms[a.def.reaction.code]+")")
		}
	}
	if len(al) == 0 {
		n.s(pick(r, []string{"No known allergies.", "NKDA."}), "\n")
	} else {
		n.s(strings.Join(al, "; "), "\n")
	}

	n.heading("Medications")
	count := 0
	for _, c := range history {
		for _, m := range c.meds {
			n.s("- ", g.medText(m), "\n")
			count++
		}
	}
	if count == 0 {
		n.s("No active medications.\n")
	}

	n.heading("Review of Systems")
	ros := g.negatives(e, 2+r.intn(3), denied)
	if len(ros) > 0 {
		var words []string
		for _, k := range ros {
			words = append(words, g.symptom(k))
		}
		if r.chance(0.5) {
			n.s(capital(cue("negative for")), " ")
			n.list(words, "and")
			n.s(".\n")
		} else {
			for _, w := range words {
				n.s(capital(w), cue(": no"), ".\n")
			}
		}
	}

	n.heading("Physical Exam")
	n.s("Vitals: ")
	if v.sys > 0 {
		n.s("BP ", strconv.Itoa(int(v.sys)), "/", strconv.Itoa(int(v.dia)), ", ")
	}
	n.s("HR ", strconv.Itoa(int(v.hr)))
	if v.rr > 0 {
		n.s(", RR ", strconv.Itoa(int(v.rr)))
	}
	if v.temp > 0 {
		n.s(", T ", strconv.FormatFloat(math.Round(v.temp*10)/10, 'f', 1, 64), " C")
	}
	if v.spo2 > 0 {
		n.s(", SpO2 ", strconv.Itoa(int(v.spo2)), "%")
	}
	if v.weight > 0 {
		n.s(", Wt ", strconv.FormatFloat(math.Round(v.weight*10)/10, 'f', 1, 64), " kg")
	}
	n.s(".\n")
	if e.acute != nil && e.acute.def.key == "pneumonia" {
		n.s("Lungs: crackles at the right base.\n")
	} else {
		n.s("Lungs: clear to auscultation bilaterally.\n")
	}
	n.s("Extremities: ", capital(cue("no")), " edema.\n")

	n.heading("Assessment and Plan")
	item := 0
	next := func() {
		item++
		n.s(strconv.Itoa(item), ". ")
	}
	if c := e.acute; c != nil {
		next()
		n.s(capital(g.term(c)), ". ", pick(r, c.def.plan))
		for _, m := range c.meds {
			n.s(" Start ", g.medText(m), ".")
		}
		n.s("\n")
	}
	for _, c := range e.diagnoses {
		next()
		n.s(capital(g.term(c)), " - new diagnosis.")
		g.labNote(n, c)
		for _, m := range c.meds {
			n.s(" Start ", g.medText(m), ".")
		}
		if len(c.def.plan) > 0 {
			n.s(" ", pick(r, c.def.plan))
		}
		n.s("\n")
	}
	for _, c := range e.followed {
		next()
		n.s(capital(g.term(c)), " - ", pick(r, []string{"stable", "well controlled", "improving", "not at goal"}), ".")
		g.labNote(n, c)
		for _, m := range c.meds {
			n.s(" Continue ", g.medText(m), ".")
		}
		if len(c.def.plan) > 0 && r.chance(0.5) {
			n.s(" ", pick(r, c.def.plan))
		}
		n.s("\n")
	}
	if e.kind == kindWellness {
		next()
		n.s("Health maintenance.")
		if len(v.vaccines) > 0 {
			n.s(" Immunizations given today: ")
			n.list(v.vaccines, "and")
			n.s(".")
		}
		n.s(" Return in one year.\n")
	}
	if len(v.procs) > 0 {
		n.s("\nProcedures: ")
		for i, pr := range v.procs {
			if i > 0 {
				n.s("; ")
			}
			n.s(strings.ToLower(pr.display))
		}
		n.s(".\n")
	}
	g.note = n.b
	return n.b
}

// panelHeadline is the result of a panel a note quotes.
var panelHeadline = map[string]string{"cbc": "hgb", "bmp": "creatinine", "cmp": "creatinine", "lipid": "ldl",
	"a1c": "a1c", "tsh": "tsh", "inr": "inr", "ntprobnp": "ntprobnp", "microalbumin": "microalbumin"}

// labNote quotes today's result that matters for a condition.
func (g *patientGen) labNote(n *nb, c *condition) {
	for _, k := range c.def.labs {
		for _, l := range g.v.labs {
			if l.def.key != panelHeadline[k] {
				continue
			}
			n.s(" ", l.def.term, " ", strconv.FormatFloat(math.Round(l.value*math.Pow10(l.def.places))/math.Pow10(l.def.places), 'f', -1, 64))
			if l.def.unit == "%" {
				n.s("%")
			} else if !strings.HasPrefix(l.def.unit, "{") {
				n.s(" ", l.def.unit)
			}
			n.s(".")
			break
		}
	}
}

// writeNote writes the note as a DiagnosticReport and a DocumentReference,
// both carrying the text as base64 text/plain, as Synthea does.
func (g *patientGen) writeNote(e *encounter) {
	text := g.noteText(e)
	w := &g.w
	types := []concept{noteTypeHP, noteTypeEvalPlan}
	if e.class != "AMB" {
		types = []concept{noteTypeEmergency}
	}
	g.begin("DiagnosticReport")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-diagnosticreport-note")
	w.str("status", "final")
	w.akey("category")
	w.obj()
	w.akey("coding")
	for _, t := range types {
		coding(w, t.system, t.code, t.display)
	}
	w.endArr()
	w.end()
	w.endArr()
	w.okey("code")
	w.akey("coding")
	for _, t := range types {
		coding(w, t.system, t.code, t.display)
	}
	w.endArr()
	w.end()
	g.subject("subject")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("effectiveDateTime", e.start)
	w.instant("issued", e.end)
	w.akey("performer")
	w.obj()
	w.str("reference", e.doctor.ref)
	w.str("display", e.doctor.display)
	w.end()
	w.endArr()
	w.akey("presentedForm")
	w.obj()
	w.str("contentType", "text/plain; charset=utf-8")
	w.sep()
	w.comma = false
	start := len(w.b)
	w.base64("data", text)
	encoded := w.b[start:] // `"data":"..."`, reused below
	w.end()
	w.endArr()
	g.finish()

	id := g.begin("DocumentReference")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference")
	w.akey("identifier")
	w.obj()
	w.str("system", "urn:ietf:rfc:3986")
	w.str("value", "urn:uuid:"+id)
	w.end()
	w.endArr()
	w.str("status", "current")
	w.okey("type")
	w.akey("coding")
	for _, t := range types {
		coding(w, t.system, t.code, t.display)
	}
	w.endArr()
	w.end()
	w.akey("category")
	codeable(w, "http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category", "clinical-note", "Clinical Note", "")
	w.endArr()
	g.subject("subject")
	w.instant("date", e.end)
	w.akey("author")
	w.obj()
	w.str("reference", e.doctor.ref)
	w.str("display", e.doctor.display)
	w.end()
	w.endArr()
	g.sharedRef("custodian", e.org.orgRef, e.org.name)
	w.akey("content")
	w.obj()
	w.okey("attachment")
	w.str("contentType", "text/plain; charset=utf-8")
	w.sep()
	w.b = append(w.b, encoded[:len(encoded):len(encoded)]...)
	w.comma = true
	w.end()
	w.okey("format")
	w.str("system", "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode")
	w.str("code", "urn:ihe:iti:xds:2017:mimeTypeSufficient")
	w.str("display", "mimeType Sufficient")
	w.end()
	w.end()
	w.endArr()
	w.okey("context")
	w.akey("encounter")
	w.obj()
	g.refValue("Encounter", e.id)
	w.end()
	w.endArr()
	w.okey("period")
	w.dateTime("start", e.start)
	w.dateTime("end", e.end)
	w.end()
	w.end()
	g.finish()
}
