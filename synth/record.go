package synth

import (
	"math"
	"strconv"
	"time"
)

// patientGen generates patients one after the other; a worker owns one and
// reuses its buffers, so steady-state generation allocates little.
type patientGen struct {
	opts Options
	pool *providerPool
	r    *rng
	ids  idSpace
	p    person
	w    jw
	u    *unit

	conds    []*condition // reused
	nConds   int
	encs     []*encounter // reused
	nEncs    int
	cur      item // resource being written
	v        visit
	note     []byte
	lastLab  map[string]time.Time
	given    []bool // vaccineSchedule doses given
	lastTd   time.Time
	covidVax bool
	colon    [3]bool
}

func newPatientGen(opts Options, pool *providerPool) *patientGen {
	return &patientGen{opts: opts, pool: pool, lastLab: map[string]time.Time{}, given: make([]bool, len(vaccineSchedule))}
}

func (g *patientGen) takeCondition() *condition {
	if g.nConds == len(g.conds) {
		g.conds = append(g.conds, &condition{})
	}
	c := g.conds[g.nConds]
	g.nConds++
	meds := c.meds[:0]
	*c = condition{meds: meds}
	return c
}

func (g *patientGen) takeEncounter() *encounter {
	if g.nEncs == len(g.encs) {
		g.encs = append(g.encs, &encounter{})
	}
	e := g.encs[g.nEncs]
	g.nEncs++
	return e
}

// generate writes patient index into u.
func (g *patientGen) generate(index int, u *unit) {
	g.r = newRNG(g.opts.Seed, uint64(index))
	g.ids = newIDSpace(g.opts.Seed, uint64(index))
	g.nConds, g.nEncs = 0, 0
	clear(g.lastLab)
	clear(g.given)
	g.lastTd, g.covidVax, g.colon = time.Time{}, false, [3]bool{}
	g.simulate(index)

	g.u = u
	u.items = u.items[:0]
	u.bundle, u.bundle2 = nil, nil
	g.w = jw{b: u.buf[:0]}
	g.writePatient()
	for _, e := range g.p.encs {
		g.writeEncounter(e)
	}
	u.buf = g.w.b
	u.name = g.p.given + "_" + g.p.family + "_" + g.p.id
	if g.opts.Bundles {
		patientBundle(u)
	}
}

// begin starts a resource and returns its id.
func (g *patientGen) begin(typ string) string {
	id := g.ids.next()
	g.cur = item{typ: typ, id: id, start: len(g.w.b)}
	g.w.comma = false
	g.w.obj()
	g.w.str("resourceType", typ)
	g.w.str("id", id)
	return id
}

func (g *patientGen) finish() {
	g.w.end()
	g.cur.end = len(g.w.b)
	g.u.items = append(g.u.items, g.cur)
}

// ref writes a reference to a resource of this patient: Type/id, or
// urn:uuid:id inside a transaction Bundle.
func (g *patientGen) ref(key, typ, id, display string) {
	w := &g.w
	w.okey(key)
	g.refValue(typ, id)
	if display != "" {
		w.str("display", display)
	}
	w.end()
}

func (g *patientGen) refValue(typ, id string) {
	w := &g.w
	w.key("reference")
	w.b = append(w.b, '"')
	if g.opts.Bundles {
		w.b = append(w.b, "urn:uuid:"...)
	} else {
		w.b = append(w.b, typ...)
		w.b = append(w.b, '/')
	}
	w.b = append(w.b, id...)
	w.b = append(w.b, '"')
	w.comma = true
}

// sharedRef writes a conditional reference to the provider pool.
func (g *patientGen) sharedRef(key, ref, display string) {
	w := &g.w
	w.okey(key)
	w.str("reference", ref)
	w.str("display", display)
	w.end()
}

func (g *patientGen) subject(key string) { g.ref(key, "Patient", g.p.id, "") }

func (g *patientGen) fullName() string {
	if g.p.prefix == "" {
		return g.p.given + " " + g.p.family
	}
	return g.p.prefix + " " + g.p.given + " " + g.p.family
}

func (g *patientGen) writePatient() {
	p, w, r := &g.p, &g.w, g.r
	adult := p.age(p.end) >= 18
	switch {
	case !adult:
	case p.male:
		p.prefix = "Mr."
	case p.marital == 0 || p.marital == 3:
		p.prefix = "Mrs."
	default:
		p.prefix = "Ms."
	}
	g.cur = item{typ: "Patient", id: p.id, start: len(w.b)}
	w.comma = false
	w.obj()
	w.str("resourceType", "Patient")
	w.str("id", p.id)
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient")
	w.akey("extension")
	ombExtension(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race", p.race.code, p.race.display)
	if p.hispanic {
		ombExtension(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", hispanic, "Hispanic or Latino")
	} else {
		ombExtension(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity", nonHispan, "Not Hispanic or Latino")
	}
	w.obj()
	w.str("url", "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName")
	w.str("valueString", pick(r, givenFemale)+" "+p.maiden)
	w.end()
	w.obj()
	w.str("url", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex")
	if p.male {
		w.str("valueCode", "M")
	} else {
		w.str("valueCode", "F")
	}
	w.end()
	w.obj()
	w.str("url", "http://hl7.org/fhir/StructureDefinition/patient-birthPlace")
	w.okey("valueAddress")
	w.str("city", pick(r, cities).name)
	w.str("state", "Massachusetts")
	w.str("country", "US")
	w.end()
	w.end()
	w.endArr()

	w.akey("identifier")
	w.obj()
	w.str("system", idSystem)
	w.str("value", p.id)
	w.end()
	identifier(w, "MR", "Medical Record Number", mrnSystem, p.mrn)
	if adult {
		identifier(w, "SS", "Social Security Number", ssnSystem, p.ssn)
	}
	w.endArr()
	w.akey("name")
	w.obj()
	w.str("use", "official")
	w.str("family", p.family)
	w.akey("given")
	w.strv(p.given)
	w.endArr()
	if p.prefix != "" {
		w.akey("prefix")
		w.strv(p.prefix)
		w.endArr()
	}
	w.end()
	w.endArr()
	w.akey("telecom")
	telecom(w, "phone", p.phone, "home")
	w.endArr()
	if p.male {
		w.str("gender", "male")
	} else {
		w.str("gender", "female")
	}
	w.date("birthDate", p.birth)
	if p.deceased {
		w.dateTime("deceasedDateTime", p.end)
	}
	w.akey("address")
	w.obj()
	w.akey("line")
	w.strv(p.street)
	w.endArr()
	w.str("city", p.city.name)
	w.str("state", "MA")
	w.str("postalCode", p.city.zip)
	w.str("country", "US")
	w.end()
	w.endArr()
	if adult {
		m := maritalStatuses[p.marital]
		w.key("maritalStatus")
		codeable(w, sysMarital, m.code, m.display, m.display)
	}
	w.bool("multipleBirthBoolean", false)
	w.akey("communication")
	w.obj()
	w.key("language")
	codeable(w, "urn:ietf:bcp:47", "en-US", "English (United States)", "English")
	w.end()
	w.endArr()
	g.finish()
}

func ombExtension(w *jw, url, code, display string) {
	w.obj()
	w.str("url", url)
	w.akey("extension")
	w.obj()
	w.str("url", "ombCategory")
	w.okey("valueCoding")
	w.str("system", sysOMB)
	w.str("code", code)
	w.str("display", display)
	w.end()
	w.end()
	w.obj()
	w.str("url", "text")
	w.str("valueString", display)
	w.end()
	w.endArr()
	w.end()
}

func identifier(w *jw, code, display, system, value string) {
	w.obj()
	w.okey("type")
	w.akey("coding")
	coding(w, "http://terminology.hl7.org/CodeSystem/v2-0203", code, display)
	w.endArr()
	w.str("text", display)
	w.end()
	w.str("system", system)
	w.str("value", value)
	w.end()
}

// visit collects what one encounter recorded, for its note and its claim.
type visit struct {
	e                      *encounter
	age                    float64
	conds                  []*condition // coded at or reviewed in this visit
	condIDs                []string
	height, weight, bmi    float64
	sys, dia, hr, rr, temp float64
	spo2                   float64
	pain                   int
	labs                   []labResult
	procs                  []concept
	procIDs                []string
	vaccines               []string
	vaccineCodes           []concept
	started, renewed       []*medDef
	medIDs                 []string
	medCosts               []float64
	fever                  bool
}

type labResult struct {
	def   *labDef
	value float64
}

var classDisplay = map[string]string{"AMB": "ambulatory", "EMER": "emergency", "IMP": "inpatient encounter"}

func (g *patientGen) writeEncounter(e *encounter) {
	p, w := &g.p, &g.w
	v := &g.v
	*v = visit{e: e, age: p.age(e.start), conds: v.conds[:0], condIDs: v.condIDs[:0], labs: v.labs[:0],
		procs: v.procs[:0], procIDs: v.procIDs[:0], vaccines: v.vaccines[:0], vaccineCodes: v.vaccineCodes[:0],
		started: v.started[:0], renewed: v.renewed[:0], medIDs: v.medIDs[:0], medCosts: v.medCosts[:0]}

	e.id = g.begin("Encounter")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter")
	w.akey("identifier")
	w.obj()
	w.str("use", "official")
	w.str("system", idSystem)
	w.str("value", e.id)
	w.end()
	w.endArr()
	w.str("status", "finished")
	w.okey("class")
	w.str("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode")
	w.str("code", e.class)
	w.str("display", classDisplay[e.class])
	w.end()
	w.akey("type")
	e.typ.write(w)
	w.endArr()
	g.subject("subject")
	w.akey("participant")
	w.obj()
	w.akey("type")
	codeable(w, "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer", "primary performer")
	w.endArr()
	w.okey("period")
	w.dateTime("start", e.start)
	w.dateTime("end", e.end)
	w.end()
	w.okey("individual")
	w.str("reference", e.doctor.ref)
	w.str("display", e.doctor.display)
	w.end()
	w.end()
	w.endArr()
	w.okey("period")
	w.dateTime("start", e.start)
	w.dateTime("end", e.end)
	w.end()
	if e.acute != nil || len(e.followed) > 0 {
		w.akey("reasonCode")
		if e.acute != nil {
			e.acute.def.code.write(w)
		}
		for _, c := range e.followed {
			c.def.code.write(w)
		}
		w.endArr()
	}
	if e.class == "IMP" {
		w.okey("hospitalization")
		w.key("dischargeDisposition")
		codeable(w, "http://www.nubc.org/patient-discharge", "01", "Discharged to home care or self care (routine discharge)", "")
		w.end()
	}
	w.akey("location")
	w.obj()
	g.sharedRef("location", e.org.locRef, e.org.name)
	w.end()
	w.endArr()
	g.sharedRef("serviceProvider", e.org.orgRef, e.org.name)
	g.finish()

	// Allergies are recorded at the first visit after they appear.
	for _, a := range p.allergies {
		if !a.recorded && !a.onset.After(e.start) {
			a.recorded = true
			g.writeAllergy(a, e)
		}
	}
	if e.acute != nil {
		g.writeCondition(e.acute, e)
	}
	for _, c := range e.diagnoses {
		g.writeCondition(c, e)
	}
	for _, c := range e.followed {
		v.conds = append(v.conds, c)
		v.condIDs = append(v.condIDs, c.id)
	}
	g.writeVitals(e)
	if e.kind == kindWellness {
		g.writeScreening(e)
	}
	g.writeLabs(e)
	g.writeProcedures(e)
	if e.kind == kindWellness {
		g.writeImmunizations(e)
	}
	g.writeMedications(e)
	g.writeNote(e)
	g.writeClaims(e)
}

func (g *patientGen) writeAllergy(a *allergy, e *encounter) {
	w := &g.w
	g.begin("AllergyIntolerance")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-allergyintolerance")
	w.key("clinicalStatus")
	codeable(w, "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active", "")
	w.key("verificationStatus")
	codeable(w, "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed", "")
	w.str("type", "allergy")
	w.akey("category")
	w.strv(a.def.category)
	w.endArr()
	w.str("criticality", a.def.crit)
	w.key("code")
	a.def.code.write(w)
	g.subject("patient")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("onsetDateTime", a.onset.Truncate(time.Minute))
	w.dateTime("recordedDate", e.start)
	w.akey("reaction")
	w.obj()
	w.akey("manifestation")
	a.def.reaction.write(w)
	w.endArr()
	if a.def.crit == "high" {
		w.str("severity", "severe")
	} else {
		w.str("severity", "mild")
	}
	w.end()
	w.endArr()
	g.finish()
}

func (g *patientGen) writeCondition(c *condition, e *encounter) {
	w := &g.w
	c.id = g.begin("Condition")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-condition-encounter-diagnosis")
	w.key("clinicalStatus")
	if c.abated.IsZero() {
		codeable(w, "http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active", "")
	} else {
		codeable(w, "http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved", "Resolved", "")
	}
	w.key("verificationStatus")
	codeable(w, "http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed", "")
	w.akey("category")
	codeable(w, "http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis", "")
	w.endArr()
	w.okey("code")
	w.akey("coding")
	coding(w, c.def.code.system, c.def.code.code, c.def.code.display)
	if c.def.icd.code != "" {
		coding(w, c.def.icd.system, c.def.icd.code, c.def.icd.display)
	}
	w.endArr()
	w.str("text", c.def.code.display)
	w.end()
	g.subject("subject")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("onsetDateTime", c.onset)
	if !c.abated.IsZero() {
		w.dateTime("abatementDateTime", c.abated)
	}
	w.dateTime("recordedDate", e.start)
	g.finish()
	g.v.conds = append(g.v.conds, c)
	g.v.condIDs = append(g.v.condIDs, c.id)
}

// observation starts an Observation of this visit with its category and code.
func (g *patientGen) observation(category, catDisplay, profileURL string, codes ...concept) {
	w, e := &g.w, g.v.e
	g.begin("Observation")
	if profileURL != "" {
		profile(w, profileURL)
	}
	w.str("status", "final")
	w.akey("category")
	codeable(w, "http://terminology.hl7.org/CodeSystem/observation-category", category, catDisplay, "")
	w.endArr()
	w.okey("code")
	w.akey("coding")
	for _, c := range codes {
		coding(w, c.system, c.code, c.display)
	}
	w.endArr()
	w.str("text", codes[0].display)
	w.end()
	g.subject("subject")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("effectiveDateTime", e.start)
	w.instant("issued", e.start.Add(5*time.Minute))
}

func quantity(w *jw, key string, value float64, places int, unit string) {
	w.okey(key)
	w.dec("value", value, places)
	w.str("unit", unit)
	w.str("system", sysUCUM)
	w.str("code", unit)
	w.end()
}

func (g *patientGen) vital(c concept, value float64, places int, unit string) {
	url := "http://hl7.org/fhir/StructureDefinition/vitalsigns"
	if p := vitalProfiles[c.code]; p != "" {
		url = "http://hl7.org/fhir/StructureDefinition/" + p
	}
	if c == vitSpO2 {
		g.observation("vital-signs", "Vital Signs", url, vitSpO2Arterial, vitSpO2)
	} else {
		g.observation("vital-signs", "Vital Signs", url, c)
	}
	quantity(&g.w, "valueQuantity", value, places, unit)
	g.finish()
}

func (g *patientGen) writeVitals(e *encounter) {
	p, r, v := &g.p, g.r, &g.v
	age := v.age
	wellness, follow := e.kind == kindWellness, e.kind == kindFollowUp
	v.fever = e.acute != nil && hasSymptom(e.acute.def, "fever")
	if wellness || follow || age < 2 {
		v.height = p.heightAt(age) + r.norm(0, 0.3)
		v.weight = math.Max(2.2, (p.bmi(age)+r.norm(0, 0.4))*v.height*v.height/10000)
		v.bmi = v.weight / (v.height * v.height / 10000)
		if !follow {
			g.vital(vitHeight, v.height, 1, "cm")
		}
		g.vital(vitWeight, v.weight, 1, "kg")
		switch {
		case age < 2:
			g.vital(vitWeightLen, r.clampNorm(50, 22, 1, 99), 1, "%")
			g.vital(vitHeadCirc, 35+14*(1-math.Exp(-age*1.5))+r.norm(0, 0.5), 1, "cm")
		case follow:
		case age < 18:
			g.vital(vitBMI, v.bmi, 1, "kg/m2")
			g.vital(vitBMIPct, math.Max(1, math.Min(99, 50+200*(v.bmi/childBMI(age)-1))), 1, "%")
		default:
			g.vital(vitBMI, v.bmi, 1, "kg/m2")
		}
	}
	if age >= 3 {
		sys := p.sysBase + math.Max(0, age-30)*0.45
		if age < 18 {
			sys = 88 + age*1.6 + (p.sysBase-112)/2
		}
		if htn := p.has("hypertension"); htn != nil && htn.activeAt(e.start) {
			if htn.diagnosed == e {
				sys += 22
			} else {
				sys += 8
			}
		}
		v.sys = math.Round(r.clampNorm(sys, 6, 80, 200))
		v.dia = math.Round(r.clampNorm(0.55*v.sys+10, 4, 45, 120))
		g.observation("vital-signs", "Vital Signs", "http://hl7.org/fhir/StructureDefinition/bp", vitBPPanel)
		w := &g.w
		w.akey("component")
		for i, c := range []concept{vitDiastolic, vitSystolic} {
			w.obj()
			w.key("code")
			c.write(w)
			quantity(w, "valueQuantity", []float64{v.dia, v.sys}[i], 0, "mm[Hg]")
			w.end()
		}
		w.endArr()
		g.finish()
	}
	hr := interp(age, []float64{0, 1, 3, 6, 12, 18}, []float64{135, 120, 105, 95, 85, p.hrBase})
	if v.fever {
		hr += 15
	}
	v.hr = math.Round(r.clampNorm(hr, 5, 45, 190))
	g.vital(vitHeartRate, v.hr, 0, "/min")
	if !follow {
		v.rr = math.Round(r.clampNorm(interp(age, []float64{0, 1, 3, 6, 12, 18}, []float64{40, 30, 25, 21, 18, 15}), 1.5, 10, 60))
		g.vital(vitRespRate, v.rr, 0, "/min")
	}
	if e.kind == kindAcute || age < 2 {
		t := r.clampNorm(36.8, 0.2, 36, 37.5)
		if v.fever {
			t = r.clampNorm(38.5, 0.4, 37.9, 40.5)
		}
		v.temp = t
		g.vital(vitTemperature, t, 1, "Cel")
	}
	copd := p.has("copd")
	respiratory := e.acute != nil && (v.fever || hasSymptom(e.acute.def, "cough") || hasSymptom(e.acute.def, "sob"))
	if respiratory || copd != nil && copd.activeAt(e.start) {
		s := r.clampNorm(98, 0.8, 95, 100)
		if copd != nil && copd.activeAt(e.start) {
			s = r.clampNorm(94, 1, 90, 97)
		}
		if e.acute != nil && e.acute.def.key == "pneumonia" {
			s = r.clampNorm(92, 1.5, 86, 95)
		}
		v.spo2 = math.Round(s)
		g.vital(vitSpO2, v.spo2, 0, "%")
	}
	if age >= 5 && !follow {
		pain := r.intn(3)
		if e.acute != nil {
			switch e.acute.def.class {
			case "EMER", "IMP":
				pain = 4 + r.intn(5)
			default:
				pain = 1 + r.intn(4)
			}
		}
		v.pain = pain
		g.observation("vital-signs", "Vital Signs", "", vitPain)
		quantity(&g.w, "valueQuantity", float64(pain), 0, "{score}")
		g.finish()
	}
}

func hasSymptom(d *conditionDef, s string) bool {
	for _, x := range d.symptoms {
		if x == s {
			return true
		}
	}
	return false
}

// writeScreening writes the surveys of a routine visit and the procedures
// that record them.
func (g *patientGen) writeScreening(e *encounter) {
	p, r, v, w := &g.p, g.r, &g.v, &g.w
	if v.age < 12 {
		return
	}
	status := smokingNever
	if p.smokerAt(v.age) {
		status = smokingEveryDay
	} else if p.smokeStart >= 0 && v.age >= p.smokeStart {
		status = smokingFormer
	}
	g.observation("social-history", "Social History", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-smokingstatus", obsSmoking)
	w.key("valueCodeableConcept")
	status.write(w)
	g.finish()

	phq := r.intn(3)
	if d := p.has("depression"); d != nil && d.activeAt(e.start) {
		phq = 2 + r.intn(5)
	}
	g.observation("survey", "Survey", "", obsPHQ2)
	quantity(w, "valueQuantity", float64(phq), 0, "{score}")
	g.finish()
	v.procs = append(v.procs, procDepScreen, procPHQ2)
	if v.age >= 18 {
		g.observation("survey", "Survey", "", obsAUDITC)
		quantity(w, "valueQuantity", float64(r.intn(5)), 0, "{score}")
		g.finish()
		g.observation("survey", "Survey", "", obsGAD7)
		quantity(w, "valueQuantity", float64(r.intn(6)), 0, "{score}")
		g.finish()
		v.procs = append(v.procs, procSocialNeeds, procSubstance, procAUDITC, procAnxiety)
		if !p.male && v.age < 50 {
			v.procs = append(v.procs, procAbuse)
		}
	}
}

// panelOrder fixes the order labs are written in.
var panelOrder = []string{"cbc", "cmp", "bmp", "lipid", "a1c", "tsh", "inr", "ntprobnp", "microalbumin"}

// panelEvery is the least time between two draws of a panel.
var panelEvery = map[string]time.Duration{"a1c": 80 * 24 * time.Hour, "inr": 25 * 24 * time.Hour}

func (g *patientGen) writeLabs(e *encounter) {
	r, v := g.r, &g.v
	want := map[string]bool{}
	for _, c := range v.conds {
		for _, k := range c.def.labs {
			want[k] = true
		}
	}
	if e.kind == kindWellness && v.age >= 18 {
		want["lipid"] = want["lipid"] || v.age >= 20 && g.since("lipid", e) > 5*year
		want["cmp"] = v.age >= 40 && g.since("cmp", e) > 3*year
		want["cbc"] = want["cbc"] || g.since("cbc", e) > 3*year && r.chance(0.4)
	}
	if want["cmp"] {
		want["bmp"] = false
	}
	for _, k := range panelOrder {
		if !want[k] {
			continue
		}
		every, ok := panelEvery[k]
		if !ok {
			every = 300 * 24 * time.Hour
		}
		if g.since(k, e) < every && (e.acute == nil || e.class == "AMB") {
			continue
		}
		g.lastLab[k] = e.start
		g.writePanel(panels[k], e)
	}
}

func (g *patientGen) since(panel string, e *encounter) time.Duration {
	t, ok := g.lastLab[panel]
	if !ok {
		return math.MaxInt64
	}
	return e.start.Sub(t)
}

func (g *patientGen) writePanel(panel *panelDef, e *encounter) {
	p, r, v, w := &g.p, g.r, &g.v, &g.w
	var ids [16]string
	n := 0
	for _, l := range panel.labs {
		mean, sd := l.mean, l.sd
		for _, s := range l.shifts {
			if c := p.has(s.condition); c != nil && c.activeAt(e.start) || e.acute != nil && e.acute.def.key == s.condition {
				mean, sd = s.mean, s.sd
			}
		}
		value := math.Max(r.norm(mean, sd), l.mean*0.05)
		if l.key == "egfr" && v.age < 18 {
			continue
		}
		ids[n] = g.labObservation(l, value)
		n++
		v.labs = append(v.labs, labResult{l, value})
	}
	if panel.code.code == "" {
		return
	}
	g.begin("DiagnosticReport")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-diagnosticreport-lab")
	w.str("status", "final")
	w.akey("category")
	codeable(w, "http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory", "")
	w.endArr()
	w.key("code")
	panel.code.write(w)
	g.subject("subject")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("effectiveDateTime", e.start)
	w.instant("issued", e.start.Add(2*time.Hour))
	w.akey("performer")
	w.obj()
	w.str("reference", e.doctor.ref)
	w.str("display", e.doctor.display)
	w.end()
	w.endArr()
	w.akey("result")
	for _, id := range ids[:n] {
		w.obj()
		g.refValue("Observation", id)
		w.end()
	}
	w.endArr()
	g.finish()
}

func (g *patientGen) labObservation(l *labDef, value float64) string {
	w := &g.w
	g.observation("laboratory", "Laboratory", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab", l.code)
	id := g.cur.id
	quantity(w, "valueQuantity", value, l.places, l.unit)
	interp, display := "N", "Normal"
	rounded := math.Round(value*math.Pow10(l.places)) / math.Pow10(l.places)
	if !math.IsNaN(l.high) && rounded > l.high {
		interp, display = "H", "High"
	} else if !math.IsNaN(l.low) && rounded < l.low {
		interp, display = "L", "Low"
	}
	w.akey("interpretation")
	codeable(w, "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", interp, display, "")
	w.endArr()
	w.akey("referenceRange")
	w.obj()
	if !math.IsNaN(l.low) {
		quantity(w, "low", l.low, 2, l.unit)
	}
	if !math.IsNaN(l.high) {
		quantity(w, "high", l.high, 2, l.unit)
	}
	w.end()
	w.endArr()
	g.finish()
	return id
}

func (g *patientGen) writeProcedures(e *encounter) {
	v := &g.v
	if e.acute != nil {
		v.procs = append(v.procs, e.acute.def.procs...)
	}
	for _, c := range e.diagnoses {
		if c.def.key == "copd" {
			v.procs = append(v.procs, procSpirometry)
		}
	}
	if e.kind == kindWellness {
		for i, a := range []float64{50, 60, 70} {
			if !g.colon[i] && v.age >= a && v.age < a+5 {
				g.colon[i] = true
				v.procs = append(v.procs, procColonoscopy)
			}
		}
	}
	if len(v.conds) > 0 && e.kind != kindAcute {
		for _, c := range v.conds {
			if len(c.meds) > 0 {
				v.procs = append(v.procs, procMedRec)
				if g.r.chance(0.5) {
					v.procs = append(v.procs, procMedDoc)
				}
				break
			}
		}
	}
	w := &g.w
	t := e.start.Add(10 * time.Minute)
	for _, pr := range v.procs {
		id := g.begin("Procedure")
		profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure")
		w.str("status", "completed")
		w.key("code")
		pr.write(w)
		g.subject("subject")
		g.ref("encounter", "Encounter", e.id, "")
		stop := t.Add(15 * time.Minute)
		if stop.After(e.end) && e.end.After(t) {
			stop = e.end
		}
		w.okey("performedPeriod")
		w.dateTime("start", t)
		w.dateTime("end", stop)
		w.end()
		g.sharedRef("location", e.org.locRef, e.org.name)
		if e.acute != nil {
			w.akey("reasonReference")
			w.obj()
			g.refValue("Condition", e.acute.id)
			w.str("display", e.acute.def.code.display)
			w.end()
			w.endArr()
		}
		g.finish()
		v.procIDs = append(v.procIDs, id)
	}
}

func (g *patientGen) writeImmunizations(e *encounter) {
	r, v := g.r, &g.v
	ageMo := v.age * 12
	yr := e.start.Year()
	for i, d := range vaccineSchedule {
		if g.given[i] || ageMo+0.5 < d.ageMo || d.from > 0 && yr < d.from || v.age > d.ageMo/12+3 && d.repeat == 0 && d.ageMo < 216 {
			continue
		}
		if d.repeat > 0 {
			if !g.lastTd.IsZero() && e.start.Sub(g.lastTd) < time.Duration(d.repeat*float64(year)) {
				continue
			}
			g.lastTd = e.start
		} else {
			g.given[i] = true
		}
		g.immunization(d.code, d.term, e)
	}
	if v.age >= 0.5 && yr >= 1995 && r.chance(0.4) {
		g.immunization(fluVaccine.code, fluVaccine.term, e)
	}
	if !g.covidVax && yr >= 2021 && v.age >= 12 {
		g.covidVax = true
		g.immunization(covidVaccines[r.intn(len(covidVaccines))], "COVID-19", e)
	}
}

func (g *patientGen) immunization(c concept, term string, e *encounter) {
	w := &g.w
	g.begin("Immunization")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-immunization")
	w.str("status", "completed")
	w.key("vaccineCode")
	c.write(w)
	g.subject("patient")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("occurrenceDateTime", e.start)
	w.bool("primarySource", true)
	g.sharedRef("location", e.org.locRef, e.org.name)
	g.finish()
	g.v.vaccines = append(g.v.vaccines, term)
	g.v.vaccineCodes = append(g.v.vaccineCodes, c)
}

func (g *patientGen) writeMedications(e *encounter) {
	p, v := &g.p, &g.v
	alive := !p.deceased
	if e.acute != nil {
		for _, m := range e.acute.meds {
			status := "completed"
			if !e.start.Add(time.Duration(m.days)*24*time.Hour).Before(g.opts.End) && alive {
				status = "active"
			}
			g.medicationRequest(m, e.acute, e, status)
			v.started = append(v.started, m)
		}
	}
	for _, c := range e.diagnoses {
		for _, m := range c.meds {
			g.medicationRequest(m, c, e, chronicStatus(c, e, alive))
			v.started = append(v.started, m)
		}
	}
	for _, c := range e.followed {
		for _, m := range c.meds {
			g.medicationRequest(m, c, e, chronicStatus(c, e, alive))
			v.renewed = append(v.renewed, m)
		}
	}
}

// chronicStatus: the last prescription of an ongoing condition of a living
// patient is active; earlier ones were replaced.
func chronicStatus(c *condition, e *encounter, alive bool) string {
	if c.last == e && alive && c.abated.IsZero() {
		return "active"
	}
	return "stopped"
}

func (g *patientGen) medicationRequest(m *medDef, c *condition, e *encounter, status string) {
	w := &g.w
	id := g.begin("MedicationRequest")
	profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest")
	w.str("status", status)
	w.str("intent", "order")
	w.akey("category")
	codeable(w, "http://terminology.hl7.org/CodeSystem/medicationrequest-category", "community", "Community", "Community")
	w.endArr()
	w.key("medicationCodeableConcept")
	m.code.write(w)
	g.subject("subject")
	g.ref("encounter", "Encounter", e.id, "")
	w.dateTime("authoredOn", e.start)
	w.okey("requester")
	w.str("reference", e.doctor.ref)
	w.str("display", e.doctor.display)
	w.end()
	w.akey("reasonReference")
	w.obj()
	g.refValue("Condition", c.id)
	w.str("display", c.def.code.display)
	w.end()
	w.endArr()
	w.akey("dosageInstruction")
	w.obj()
	w.int("sequence", 1)
	text := m.phrase()
	if m.days > 0 {
		text += " x" + strconv.Itoa(m.days) + " days"
	}
	w.str("text", text)
	w.okey("timing")
	w.okey("repeat")
	if m.days > 0 {
		w.okey("boundsDuration")
		w.int("value", m.days)
		w.str("unit", "days")
		w.str("system", sysUCUM)
		w.str("code", "d")
		w.end()
	}
	w.int("frequency", m.freq)
	w.dec("period", m.period, 2)
	w.str("periodUnit", m.unit)
	w.end()
	w.end()
	w.bool("asNeededBoolean", m.prn)
	w.akey("doseAndRate")
	w.obj()
	w.key("type")
	codeable(w, "http://terminology.hl7.org/CodeSystem/dose-rate-type", "ordered", "Ordered", "")
	w.okey("doseQuantity")
	w.dec("value", m.dose, 1)
	w.end()
	w.end()
	w.endArr()
	w.end()
	w.endArr()
	g.finish()
	g.v.medIDs = append(g.v.medIDs, id)
	g.v.medCosts = append(g.v.medCosts, m.cost)
}
