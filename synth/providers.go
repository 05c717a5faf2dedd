package synth

import (
	"fmt"
	"strconv"
)

// Identifier systems of the generated data.
const (
	idSystem  = "https://github.com/fhirlake/fhirlake/synth"
	mrnSystem = "https://github.com/fhirlake/fhirlake/synth/mrn"
	npiSystem = "http://hl7.org/fhir/sid/us-npi"
	ssnSystem = "http://hl7.org/fhir/sid/us-ssn"
)

const (
	orgClinic = iota
	orgHospital
	orgUrgent
)

// organization is a provider organisation of the shared pool with the one
// location it runs and its practitioners.
type organization struct {
	id, locID  string
	name       string
	kind       int
	city       city
	street     string
	phone      string
	orgRef     string // conditional reference
	locRef     string
	lat, lon   float64
	clinicians []*practitioner
}

type practitioner struct {
	id, npi      string
	given        string
	family       string
	male         bool
	ref, display string
	org          *organization
}

// providerPool is the shared set of organisations, locations and
// practitioners. It depends only on the seed, so every patient of every shard
// refers to the same pool.
type providerPool struct {
	orgs      []*organization
	byCity    [][3]*organization // clinic, hospital, urgent care per city
	resources []item             // Organization, Location, Practitioner JSON
	buf       []byte
}

// poolStream is the random stream of the pool; patient streams are their
// indexes, far below it.
const poolStream = 1 << 62

func newProviderPool(seed int64) *providerPool {
	r := newRNG(seed, poolStream)
	ids := newIDSpace(seed, poolStream)
	p := &providerPool{byCity: make([][3]*organization, len(cities))}
	npi := 0
	add := func(ci int, kind int, suffix string, doctors int) *organization {
		c := cities[ci]
		o := &organization{
			id: ids.next(), locID: ids.next(), kind: kind, city: c,
			street: fmt.Sprintf("%d %s %s", 10+r.intn(980), pick(r, streetNames), pick(r, streetKinds)),
			phone:  fmt.Sprintf("%03d-555-%04d", 200+r.intn(700), r.intn(10000)),
			lat:    c.lat + r.between(-0.02, 0.02), lon: c.lon + r.between(-0.02, 0.02),
		}
		if kind == orgClinic {
			o.name = pick(r, familyNames) + " " + suffix
		} else {
			o.name = c.name + " " + suffix
		}
		o.orgRef = "Organization?identifier=" + idSystem + "|" + o.id
		o.locRef = "Location?identifier=" + idSystem + "|" + o.locID
		for range doctors {
			npi++
			d := &practitioner{id: ids.next(), npi: "99999" + pad5(npi), male: r.chance(0.5), family: pick(r, familyNames), org: o}
			if d.male {
				d.given = pick(r, givenMale)
			} else {
				d.given = pick(r, givenFemale)
			}
			d.given += strconv.Itoa(r.intn(1000))
			d.family += strconv.Itoa(r.intn(1000))
			d.ref = "Practitioner?identifier=" + npiSystem + "|" + d.npi
			d.display = "Dr. " + d.given + " " + d.family
			o.clinicians = append(o.clinicians, d)
		}
		p.orgs = append(p.orgs, o)
		return o
	}
	clinics := []string{"Family Medicine", "Primary Care Associates", "Internal Medicine Group", "Community Health Center"}
	for ci := range cities {
		p.byCity[ci][orgClinic] = add(ci, orgClinic, pick(r, clinics), 3)
		if ci%3 == 0 {
			p.byCity[ci][orgHospital] = add(ci, orgHospital, pick(r, []string{"General Hospital", "Medical Center"}), 4)
			p.byCity[ci][orgUrgent] = add(ci, orgUrgent, "Urgent Care", 2)
		}
	}
	// Cities without a hospital use the one of their group of three.
	for ci := range cities {
		if ci%3 != 0 {
			p.byCity[ci][orgHospital] = p.byCity[ci-ci%3][orgHospital]
			p.byCity[ci][orgUrgent] = p.byCity[ci-ci%3][orgUrgent]
		}
	}
	p.write()
	return p
}

func pad5(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 5 {
		s = "0" + s
	}
	return s
}

// write renders the pool's resources once.
func (p *providerPool) write() {
	w := &jw{}
	emit := func(typ, id, ifNoneExist string, body func()) {
		start := len(w.b)
		w.comma = false
		w.obj()
		w.str("resourceType", typ)
		w.str("id", id)
		body()
		w.end()
		p.resources = append(p.resources, item{typ: typ, id: id, start: start, end: len(w.b), ifNoneExist: ifNoneExist})
	}
	for _, o := range p.orgs {
		emit("Organization", o.id, "identifier="+idSystem+"|"+o.id, func() {
			profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-organization")
			w.akey("identifier")
			w.obj()
			w.str("system", idSystem)
			w.str("value", o.id)
			w.end()
			w.endArr()
			w.bool("active", true)
			w.akey("type")
			codeable(w, "http://terminology.hl7.org/CodeSystem/organization-type", "prov", "Healthcare Provider", "Healthcare Provider")
			w.endArr()
			w.str("name", o.name)
			w.akey("telecom")
			telecom(w, "phone", o.phone, "work")
			w.endArr()
			w.akey("address")
			o.address(w)
			w.endArr()
		})
	}
	for _, o := range p.orgs {
		emit("Location", o.locID, "identifier="+idSystem+"|"+o.locID, func() {
			profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-location")
			w.akey("identifier")
			w.obj()
			w.str("system", idSystem)
			w.str("value", o.locID)
			w.end()
			w.endArr()
			w.str("status", "active")
			w.str("name", o.name)
			w.akey("telecom")
			telecom(w, "phone", o.phone, "work")
			w.endArr()
			w.key("address")
			o.address(w)
			w.okey("position")
			w.dec("longitude", o.lon, 6)
			w.dec("latitude", o.lat, 6)
			w.end()
			w.okey("managingOrganization")
			w.str("reference", o.orgRef)
			w.str("display", o.name)
			w.end()
		})
	}
	for _, o := range p.orgs {
		for _, d := range o.clinicians {
			emit("Practitioner", d.id, "identifier="+npiSystem+"|"+d.npi, func() {
				profile(w, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner")
				w.akey("identifier")
				w.obj()
				w.str("system", npiSystem)
				w.str("value", d.npi)
				w.end()
				w.endArr()
				w.bool("active", true)
				w.akey("name")
				w.obj()
				w.str("family", d.family)
				w.akey("given")
				w.strv(d.given)
				w.endArr()
				w.akey("prefix")
				w.strv("Dr.")
				w.endArr()
				w.end()
				w.endArr()
				w.akey("telecom")
				telecom(w, "email", d.given+"."+d.family+"@example.com", "work")
				w.endArr()
				w.akey("address")
				o.address(w)
				w.endArr()
				if d.male {
					w.str("gender", "male")
				} else {
					w.str("gender", "female")
				}
			})
		}
	}
	p.buf = w.b
}

func (o *organization) address(w *jw) {
	w.obj()
	w.akey("line")
	w.strv(o.street)
	w.endArr()
	w.str("city", o.city.name)
	w.str("state", "MA")
	w.str("postalCode", o.city.zip)
	w.str("country", "US")
	w.end()
}

// Shared JSON fragments.

func profile(w *jw, url string) {
	w.okey("meta")
	w.akey("profile")
	w.strv(url)
	w.endArr()
	w.end()
}

func telecom(w *jw, system, value, use string) {
	w.obj()
	w.str("system", system)
	w.str("value", value)
	w.str("use", use)
	w.end()
}

// codeable writes a CodeableConcept value with one coding; text is omitted
// when empty.
func codeable(w *jw, system, code, display, text string) {
	w.obj()
	w.akey("coding")
	coding(w, system, code, display)
	w.endArr()
	if text != "" {
		w.str("text", text)
	}
	w.end()
}

func coding(w *jw, system, code, display string) {
	w.obj()
	w.str("system", system)
	w.str("code", code)
	if display != "" {
		w.str("display", display)
	}
	w.end()
}

// concept writes a CodeableConcept of a vocabulary concept.
func (c concept) write(w *jw) { codeable(w, c.system, c.code, c.display, c.display) }
