package synth

import (
	"math"
	"slices"
	"strconv"
	"time"
)

const year = time.Duration(365.2425 * 24 * float64(time.Hour))

// person is one simulated life: demographics, the conditions it will have
// and when, and the encounters that record them.
type person struct {
	id               string
	male             bool
	birth, end       time.Time // end: death or the end of the records
	deceased         bool
	given, family    string
	prefix           string
	maiden           string
	race             race
	hispanic         bool
	marital          int
	city             city
	street           string
	phone, ssn, mrn  string
	clinic           *organization
	hospital, urgent *organization
	doctor           *practitioner

	smokeStart, smokeQuit float64 // ages; smokeStart < 0: never smoked
	height                float64 // adult height, cm
	bmiBase, bmiSlope     float64
	sysBase, hrBase       float64
	payer                 string

	conds      []*condition
	allergies  []*allergy
	famHistory []string // family history sentences
	encs       []*encounter
}

// condition is one condition of a person: a chronic one or an acute episode.
type condition struct {
	def           *conditionDef
	onset, abated time.Time // abated zero: never during the record
	id            string
	diagnosed     *encounter
	last          *encounter // last encounter that addressed it
	meds          []*medDef
	term          string // the wording this person's notes prefer
}

func (c *condition) activeAt(t time.Time) bool {
	return c.diagnosed != nil && !c.onset.After(t) && (c.abated.IsZero() || c.abated.After(t))
}

type allergy struct {
	def      *allergyDef
	onset    time.Time
	recorded bool
}

// encounter is one visit of the simulated life.
type encounter struct {
	id         string
	kind       int
	start, end time.Time
	typ        concept
	class      string
	acute      *condition   // the episode treated (acute visits)
	diagnoses  []*condition // chronic conditions diagnosed here
	followed   []*condition // chronic conditions reviewed here
	org        *organization
	doctor     *practitioner
}

func (p *person) age(t time.Time) float64 { return float64(t.Sub(p.birth)) / float64(year) }

func (p *person) at(age float64) time.Time { return p.birth.Add(time.Duration(age * float64(year))) }

func (p *person) smokerAt(age float64) bool {
	return p.smokeStart >= 0 && age >= p.smokeStart && (p.smokeQuit < 0 || age < p.smokeQuit)
}

func (p *person) has(key string) *condition {
	for _, c := range p.conds {
		if c.def.key == key && c.def.chronic {
			return c
		}
	}
	return nil
}

// bmi is the person's BMI trend at an age (measurements add noise).
func (p *person) bmi(age float64) float64 {
	if age < 18 {
		return childBMI(age) * (0.85 + 0.15*p.bmiBase/24)
	}
	a := math.Min(age, 65) - 18
	return p.bmiBase + p.bmiSlope*a
}

// heightAt is the height trend at an age, from a simple growth curve.
func (p *person) heightAt(age float64) float64 {
	return p.height * interp(age, growthAges, growthShare)
}

var (
	growthAges  = []float64{0, 0.5, 1, 2, 4, 6, 8, 10, 12, 14, 16, 18}
	growthShare = []float64{0.29, 0.39, 0.44, 0.51, 0.60, 0.68, 0.75, 0.81, 0.87, 0.94, 0.98, 1}
	childAges   = []float64{0, 0.5, 1, 2, 5, 10, 15, 18}
	childBMIs   = []float64{13, 17, 17.5, 16.5, 15.5, 17.5, 20.5, 22}
)

func childBMI(age float64) float64 { return interp(age, childAges, childBMIs) }

func interp(x float64, xs, ys []float64) float64 {
	if x <= xs[0] {
		return ys[0]
	}
	for i := 1; i < len(xs); i++ {
		if x < xs[i] {
			f := (x - xs[i-1]) / (xs[i] - xs[i-1])
			return ys[i-1] + f*(ys[i]-ys[i-1])
		}
	}
	return ys[len(ys)-1]
}

// simulate draws a whole life into p.
func (g *patientGen) simulate(index int) {
	r, p := g.r, &g.p
	*p = person{conds: p.conds[:0], allergies: p.allergies[:0], famHistory: p.famHistory[:0], encs: p.encs[:0]}
	end := g.opts.End

	// Demographics and lifespan.
	p.id = g.ids.next()
	p.male = r.chance(0.49)
	p.birth = end.Add(-time.Duration(r.between(0, 100) * float64(year))).Truncate(24 * time.Hour).Add(time.Duration(r.intn(24*60)) * time.Minute)
	p.end = end
	if lifespan := r.norm(80, 12); p.at(lifespan).Before(end) && lifespan > 1 {
		p.end = p.at(lifespan)
		p.deceased = true
	}
	names := givenFemale
	if p.male {
		names = givenMale
	}
	p.given = pick(r, names) + strconv.Itoa(r.intn(1000))
	p.family = pick(r, familyNames) + strconv.Itoa(r.intn(1000))
	p.maiden = pick(r, familyNames) + strconv.Itoa(r.intn(1000))
	x := r.float()
	for _, rc := range races {
		p.race = rc
		if x < rc.share {
			break
		}
		x -= rc.share
	}
	p.hispanic = r.chance(0.12)
	ci := r.intn(len(cities))
	p.city = cities[ci]
	p.street = strconv.Itoa(1+r.intn(999)) + " " + pick(r, streetNames) + " " + pick(r, streetKinds)
	p.phone = "555-" + strconv.Itoa(100+r.intn(900)) + "-" + strconv.Itoa(1000+r.intn(9000))
	p.ssn = "999-" + strconv.Itoa(10+r.intn(90)) + "-" + strconv.Itoa(1000+r.intn(9000))
	p.mrn = strconv.Itoa(10000000 + index)
	orgs := g.pool.byCity[ci]
	p.clinic, p.hospital, p.urgent = orgs[orgClinic], orgs[orgHospital], orgs[orgUrgent]
	p.doctor = pick(r, p.clinic.clinicians)
	p.marital = r.intn(len(maritalStatuses))
	p.payer = pick(r, payersPrivate)
	if r.chance(0.15) {
		p.payer = payerMedicaid
	}

	// Physiology and habits.
	if p.male {
		p.height = r.clampNorm(176, 7, 155, 200)
	} else {
		p.height = r.clampNorm(163, 6.5, 145, 185)
	}
	p.bmiBase = r.clampNorm(23.5, 3.5, 17, 35)
	p.bmiSlope = r.clampNorm(0.13, 0.09, -0.05, 0.4)
	p.sysBase = r.clampNorm(112, 8, 95, 135)
	p.hrBase = r.clampNorm(72, 7, 55, 90)
	p.smokeStart, p.smokeQuit = -1, -1
	if r.chance(0.22) {
		p.smokeStart = r.between(14, 25)
		if r.chance(0.6) {
			p.smokeQuit = p.smokeStart + r.between(2, 35)
		}
	}

	g.drawConditions()
	g.drawAllergies()
	g.drawFamily()
	g.schedule()
}

// drawConditions decides which chronic conditions start when and which
// acute episodes happen.
func (g *patientGen) drawConditions() {
	r, p := g.r, &g.p
	lifeYears := p.age(p.end)
	for _, def := range chronicConditions {
		if def.sex == 'F' && p.male || def.sex == 'M' && !p.male {
			continue
		}
		prob := def.prob
		switch def.key {
		case "copd":
			if p.smokeStart >= 0 {
				prob *= 6
			}
		case "cad":
			if p.smokeStart >= 0 {
				prob *= 1.6
			}
			if p.male {
				prob *= 1.4
			}
		case "ckd3":
			if p.has("hypertension") != nil || p.has("diabetes") != nil {
				prob *= 3
			}
		case "heartfailure":
			if p.has("cad") != nil || p.has("hypertension") != nil {
				prob *= 2.5
			}
		case "hypothyroidism":
			if !p.male {
				prob *= 2.5
			}
		}
		onsetAge := r.between(def.minAge, def.maxAge)
		if !r.chance(prob) {
			if def.key != "diabetes" {
				continue
			}
			// Some prediabetes goes on to diabetes.
			pre := p.has("prediabetes")
			if pre == nil || !r.chance(0.35) {
				continue
			}
			onsetAge = p.age(pre.onset) + r.between(2, 8)
		}
		if onsetAge >= lifeYears {
			continue
		}
		c := g.newCondition(def, p.at(onsetAge))
		if def.key == "diabetes" {
			if pre := p.has("prediabetes"); pre != nil && pre.onset.Before(c.onset) {
				pre.abated = c.onset
			}
		}
	}
	for y := 0.0; y < lifeYears; y++ {
		for _, def := range acuteConditions {
			if def.sex == 'F' && p.male || def.sex == 'M' && !p.male {
				continue
			}
			if def.after > 0 && p.at(y+1).Year() < def.after {
				continue
			}
			rate := def.rate(y + 0.5)
			for n := 0; n < 2 && r.chance(rate); n++ {
				age := y + r.float()
				t := p.at(age)
				if age >= lifeYears || def.after > 0 && t.Year() < def.after {
					continue
				}
				c := g.newCondition(def, t)
				c.abated = t.Add(time.Duration(def.days) * 24 * time.Hour)
				if !c.abated.Before(p.end) {
					c.abated = time.Time{}
				}
			}
		}
	}
}

func (g *patientGen) newCondition(def *conditionDef, onset time.Time) *condition {
	c := g.takeCondition()
	*c = condition{def: def, onset: onset, term: pick(g.r, def.terms)}
	if len(def.meds) > 0 {
		for _, k := range pick(g.r, def.meds) {
			c.meds = append(c.meds, meds[k])
		}
	}
	g.p.conds = append(g.p.conds, c)
	return c
}

func (g *patientGen) drawAllergies() {
	r, p := g.r, &g.p
	n := 0
	if r.chance(0.25) {
		n = 1
		if r.chance(0.3) {
			n = 2
		}
	}
	for range n {
		def := &allergies[r.intn(len(allergies))]
		dup := false
		for _, a := range p.allergies {
			dup = dup || a.def == def
		}
		age := r.between(0, 20)
		if dup || age >= p.age(p.end) {
			continue
		}
		p.allergies = append(p.allergies, &allergy{def: def, onset: p.at(age)})
	}
}

// drawFamily writes the family history: conditions of relatives that the
// person never has, so a family mention never stands for a coded condition.
func (g *patientGen) drawFamily() {
	r, p := g.r, &g.p
	for range r.intn(4) {
		f := familyHistory[r.intn(len(familyHistory))]
		if f.key != "" && p.has(f.key) != nil {
			continue
		}
		rel := relatives[r.intn(len(relatives))]
		if f.sex != 0 && f.sex != rel.sex {
			continue
		}
		term := pick(r, f.terms)
		var s string
		switch r.intn(3) {
		case 0:
			s = capital(rel.name) + " had " + term + "."
		case 1:
			s = capital(rel.name) + " with " + term + "."
		default:
			s = "Family history of " + term + " (" + rel.name + ")."
		}
		if !slices.Contains(p.famHistory, s) {
			p.famHistory = append(p.famHistory, s)
		}
	}
}

// wellnessAges are the ages (in years) of routine visits through age 18.
var wellnessAges = []float64{3.0 / 365, 1.0 / 12, 2.0 / 12, 4.0 / 12, 6.0 / 12, 9.0 / 12, 1, 15.0 / 12, 1.5, 2, 2.5, 3,
	4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18}

// schedule lays out the encounters of the life: routine visits, visits
// that diagnose and follow chronic conditions, and acute visits.
func (g *patientGen) schedule() {
	r, p := g.r, &g.p
	life := p.age(p.end)
	var ages []float64
	ages = append(ages, wellnessAges...)
	for a := 20.0; a < 120; {
		ages = append(ages, a)
		switch {
		case a < 50:
			a += 2 + float64(r.intn(2))
		default:
			a++
		}
	}
	for _, a := range ages {
		if a >= life {
			break
		}
		jitter := 0.0
		if a >= 1 {
			jitter = r.between(-0.06, 0.06)
		}
		t := dayTime(r, p.at(math.Max(0, a+jitter)), 8, 17)
		if !t.Before(p.end) {
			break
		}
		typ := encGeneral
		if a < 18 {
			typ = encWellChild
		} else if r.chance(0.3) {
			typ = encCheckUp
		}
		p.encs = append(p.encs, g.newEncounter(kindWellness, t, t.Add(time.Duration(15+r.intn(30))*time.Minute), typ, "AMB", p.clinic))
	}
	wellness := len(p.encs)

	// Chronic conditions are diagnosed at the first routine visit after
	// onset; obesity when a routine visit measures it.
	var obese *condition
	for _, c := range p.conds {
		if !c.def.chronic {
			continue
		}
		for _, e := range p.encs[:wellness] {
			if !e.start.Before(c.onset) && (c.abated.IsZero() || e.start.Before(c.abated)) {
				c.diagnosed, c.onset = e, e.start
				e.diagnoses = append(e.diagnoses, c)
				break
			}
		}
	}
	for _, e := range p.encs[:wellness] {
		if a := p.age(e.start); a >= 18 && obese == nil && p.bmi(a) >= 30 {
			obese = g.newCondition(obesity, e.start)
			obese.diagnosed = e
			e.diagnoses = append(e.diagnoses, obese)
		}
	}

	// Follow-up visits: each chronic condition at its interval; visits
	// close in time merge, and routine visits review all active ones.
	type due struct {
		t time.Time
		c *condition
	}
	var dues []due
	for _, c := range p.conds {
		if c.diagnosed == nil || c.def.followMonths == 0 {
			continue
		}
		step := time.Duration(float64(c.def.followMonths) / 12 * float64(year))
		for t := c.onset.Add(step); t.Before(p.end) && (c.abated.IsZero() || t.Before(c.abated)); t = t.Add(step + time.Duration(r.between(-10, 10)*24)*time.Hour) {
			dues = append(dues, due{t, c})
		}
	}
	slices.SortStableFunc(dues, func(a, b due) int { return a.t.Compare(b.t) })
	var last *encounter
	for _, d := range dues {
		if near := nearWellness(p.encs[:wellness], d.t); near != nil {
			continue // reviewed at the routine visit
		}
		if last != nil && d.t.Sub(last.start) < 45*24*time.Hour {
			if !slices.Contains(last.followed, d.c) {
				last.followed = append(last.followed, d.c)
			}
			continue
		}
		t := dayTime(r, d.t, 8, 17)
		if !t.Before(p.end) {
			continue
		}
		last = g.newEncounter(kindFollowUp, t, t.Add(time.Duration(15+r.intn(20))*time.Minute), encFollowUp, "AMB", p.clinic)
		last.followed = append(last.followed, d.c)
		p.encs = append(p.encs, last)
	}
	for _, e := range p.encs[:wellness] {
		for _, c := range p.conds {
			if c.def.chronic && c.diagnosed != nil && c.diagnosed != e && c.activeAt(e.start) {
				e.followed = append(e.followed, c)
			}
		}
	}

	// Acute visits.
	for _, c := range p.conds {
		if c.def.chronic {
			continue
		}
		def := c.def
		var t time.Time
		org := p.clinic
		switch def.class {
		case "AMB":
			t = dayTime(r, c.onset, 8, 19)
			if def.encType == encUrgentCare {
				org = p.urgent
			}
		default:
			t = c.onset.Truncate(time.Minute)
			org = p.hospital
		}
		if !t.Before(p.end) {
			continue
		}
		c.onset = t
		stop := t.Add(time.Duration(30+r.intn(60)) * time.Minute)
		if def.stayDays > 0 {
			stop = t.Add(time.Duration(def.stayDays)*24*time.Hour + time.Duration(r.intn(600))*time.Minute)
		}
		if stop.After(p.end) {
			stop = p.end
		}
		e := g.newEncounter(kindAcute, t, stop, def.encType, def.class, org)
		e.acute = c
		c.diagnosed = e
		p.encs = append(p.encs, e)
	}
	slices.SortStableFunc(p.encs, func(a, b *encounter) int { return a.start.Compare(b.start) })
	for _, e := range p.encs {
		for _, c := range e.diagnoses {
			c.last = e
		}
		for _, c := range e.followed {
			c.last = e
		}
		if e.acute != nil {
			e.acute.last = e
		}
	}
}

func nearWellness(encs []*encounter, t time.Time) *encounter {
	i, _ := slices.BinarySearchFunc(encs, t, func(e *encounter, t time.Time) int { return e.start.Compare(t) })
	for _, j := range []int{i - 1, i} {
		if j >= 0 && j < len(encs) {
			d := encs[j].start.Sub(t)
			if d < 30*24*time.Hour && d > -30*24*time.Hour {
				return encs[j]
			}
		}
	}
	return nil
}

func (g *patientGen) newEncounter(kind int, start, end time.Time, typ concept, class string, org *organization) *encounter {
	e := g.takeEncounter()
	*e = encounter{kind: kind, start: start, end: end, typ: typ, class: class, org: org, doctor: g.p.doctor,
		diagnoses: e.diagnoses[:0], followed: e.followed[:0]}
	if org != g.p.clinic {
		e.doctor = pick(g.r, org.clinicians)
	}
	return e
}

// dayTime moves t to a random minute between the hours of its day.
func dayTime(r *rng, t time.Time, from, to int) time.Time {
	d := t.In(zone)
	day := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, zone)
	return day.Add(time.Duration(from*60+r.intn((to-from)*60)) * time.Minute)
}

func capital(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}
