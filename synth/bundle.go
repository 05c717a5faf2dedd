package synth

// Bundles mode, shaped like Synthea's FHIR export: one transaction Bundle
// per patient whose entries POST each resource under a urn:uuid fullUrl
// (references inside use those urn:uuid values), and the shared pool as two
// batch Bundles, hospitalInformation (Organization, Location) and
// practitionerInformation (Practitioner), whose entries are conditional
// creates, to be loaded first.

func patientBundle(u *unit) {
	u.bundle = appendBundle(u.bbuf[:0], "transaction", u.buf, u.items, nil)
	u.bbuf = u.bundle
}

func poolBundles(u *unit) {
	hospital := func(it item) bool { return it.typ == "Organization" || it.typ == "Location" }
	u.name, u.name2 = "hospitalInformation", "practitionerInformation"
	u.bundle = appendBundle(nil, "batch", u.buf, u.items, hospital)
	u.bundle2 = appendBundle(nil, "batch", u.buf, u.items, func(it item) bool { return !hospital(it) })
}

func appendBundle(b []byte, typ string, buf []byte, items []item, keep func(item) bool) []byte {
	w := &jw{b: b}
	w.obj()
	w.str("resourceType", "Bundle")
	w.str("type", typ)
	w.akey("entry")
	for _, it := range items {
		if keep != nil && !keep(it) {
			continue
		}
		w.obj()
		w.str("fullUrl", "urn:uuid:"+it.id)
		w.key("resource")
		w.b = append(w.b, buf[it.start:it.end]...)
		w.comma = true
		w.okey("request")
		w.str("method", "POST")
		w.str("url", it.typ)
		if it.ifNoneExist != "" {
			w.str("ifNoneExist", it.ifNoneExist)
		}
		w.end()
		w.end()
	}
	w.endArr()
	w.end()
	return w.b
}
