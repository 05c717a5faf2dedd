package synth

import "time"

// Claims: one per encounter (professional, or institutional for emergency
// and inpatient care) listing the visit, its procedures and vaccines with
// the conditions as diagnoses, and one pharmacy claim per prescription, as
// Synthea writes them.

// Costs in USD, a simple fee schedule.
var encounterCost = map[string]float64{"AMB": 125, "EMER": 1150, "IMP": 9800}

const (
	procedureCost = 310.0
	vaccineCost   = 140.0
)

func (g *patientGen) payer(t time.Time) string {
	if g.p.age(t) >= 65 {
		return payerMedicare
	}
	return g.p.payer
}

func (g *patientGen) writeClaims(e *encounter) {
	v, w := &g.v, &g.w
	typ := "professional"
	if e.class != "AMB" {
		typ = "institutional"
	}
	g.claimHead(typ, e)
	if len(v.condIDs) > 0 {
		w.akey("diagnosis")
		for i, id := range v.condIDs {
			w.obj()
			w.int("sequence", i+1)
			w.okey("diagnosisReference")
			g.refValue("Condition", id)
			w.end()
			w.end()
		}
		w.endArr()
	}
	if len(v.procIDs) > 0 {
		w.akey("procedure")
		for i, id := range v.procIDs {
			w.obj()
			w.int("sequence", i+1)
			w.okey("procedureReference")
			g.refValue("Procedure", id)
			w.end()
			w.end()
		}
		w.endArr()
	}
	total := encounterCost[e.class]
	w.akey("item")
	seq := 1
	claimItem(g, seq, e.typ, total, e)
	for _, pr := range v.procs {
		seq++
		claimItem(g, seq, pr, procedureCost, e)
		total += procedureCost
	}
	for _, c := range v.vaccineCodes {
		seq++
		claimItem(g, seq, c, vaccineCost, e)
		total += vaccineCost
	}
	w.endArr()
	money(w, "total", total)
	g.finish()

	for i, id := range v.medIDs {
		g.claimHead("pharmacy", e)
		w.okey("prescription")
		g.refValue("MedicationRequest", id)
		w.end()
		w.akey("item")
		w.obj()
		w.int("sequence", 1)
		w.okey("productOrService")
		w.str("text", "prescription")
		w.end()
		w.akey("encounter")
		w.obj()
		g.refValue("Encounter", e.id)
		w.end()
		w.endArr()
		money(w, "net", v.medCosts[i])
		w.end()
		w.endArr()
		money(w, "total", v.medCosts[i])
		g.finish()
	}
}

func (g *patientGen) claimHead(typ string, e *encounter) {
	w := &g.w
	g.begin("Claim")
	w.str("status", "active")
	w.key("type")
	codeable(w, "http://terminology.hl7.org/CodeSystem/claim-type", typ, claimTypeDisplay[typ], "")
	w.str("use", "claim")
	g.ref("patient", "Patient", g.p.id, g.p.given+" "+g.p.family)
	w.okey("billablePeriod")
	w.dateTime("start", e.start)
	w.dateTime("end", e.end)
	w.end()
	w.dateTime("created", e.end)
	g.sharedRef("provider", e.org.orgRef, e.org.name)
	w.key("priority")
	codeable(w, "http://terminology.hl7.org/CodeSystem/processpriority", "normal", "Normal", "")
	g.sharedRef("facility", e.org.locRef, e.org.name)
	w.akey("insurance")
	w.obj()
	w.int("sequence", 1)
	w.bool("focal", true)
	w.okey("coverage")
	w.str("display", g.payer(e.start))
	w.end()
	w.end()
	w.endArr()
}

var claimTypeDisplay = map[string]string{"professional": "Professional", "institutional": "Institutional", "pharmacy": "Pharmacy"}

func claimItem(g *patientGen, seq int, c concept, cost float64, e *encounter) {
	w := &g.w
	w.obj()
	w.int("sequence", seq)
	w.key("productOrService")
	c.write(w)
	w.akey("encounter")
	w.obj()
	g.refValue("Encounter", e.id)
	w.end()
	w.endArr()
	money(w, "net", cost)
	w.end()
}

func money(w *jw, key string, value float64) {
	w.okey(key)
	w.dec("value", value, 2)
	w.str("currency", "USD")
	w.end()
}
