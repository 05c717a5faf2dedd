package fhirapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fhirlake/fhirlake/r4"
)

// subset is a _summary / _elements request.
type subset struct {
	summary  string          // true, text, data, count, false or ""
	elements map[string]bool // top-level element names
}

func (s subset) none() bool {
	return (s.summary == "" || s.summary == "false") && s.elements == nil
}

func parseSubset(summary, elements string) (subset, error) {
	var s subset
	switch summary {
	case "", "true", "text", "data", "count", "false":
		s.summary = summary
	default:
		return s, badRequest("_summary must be true, text, data, count or false, not %q", summary)
	}
	if elements != "" {
		s.elements = map[string]bool{}
		for _, e := range strings.Split(elements, ",") {
			e = strings.TrimSpace(e)
			if i := strings.IndexByte(e, '.'); i >= 0 {
				e = e[i+1:] // Patient.name → name
			}
			if e != "" {
				s.elements[e] = true
			}
		}
	}
	return s, nil
}

// apply keeps the requested top-level elements of a resource and marks it
// SUBSETTED, as the FHIR specification asks.
func (s subset) apply(m *r4.Model, resource []byte) ([]byte, error) {
	if s.none() {
		return resource, nil
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(resource))
	if err := dec.Decode(&obj); err != nil {
		return nil, err
	}
	var rt string
	_ = json.Unmarshal(obj["resourceType"], &rt)
	t := m.Type(rt)
	if t == nil {
		return resource, nil
	}
	keep := func(name string) bool {
		switch name {
		case "resourceType", "id", "meta":
			return true
		}
		stem := strings.TrimPrefix(name, "_")
		e := t.Element(stem)
		if e == nil {
			for _, el := range t.Elements {
				if el.Choice && strings.HasPrefix(stem, el.Name) {
					e = el
				}
			}
		}
		if s.elements != nil {
			return s.elements[stem] || (e != nil && s.elements[e.Name]) || (e != nil && e.Min > 0)
		}
		switch s.summary {
		case "true":
			return e != nil && (e.Summary || e.Min > 0)
		case "text":
			return stem == "text" || (e != nil && e.Min > 0)
		case "data":
			return stem != "text"
		}
		return true
	}
	var out bytes.Buffer
	out.WriteByte('{')
	first := true
	// keep the order of the original document
	order, err := keyOrder(resource)
	if err != nil {
		return nil, err
	}
	for _, k := range order {
		if !keep(k) {
			continue
		}
		v := obj[k]
		if k == "meta" {
			v = addSubsetted(v)
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		out.Write(kb)
		out.WriteByte(':')
		out.Write(v)
	}
	if _, ok := obj["meta"]; !ok {
		out.WriteString(`,"meta":`)
		out.Write(addSubsetted(nil))
	}
	out.WriteByte('}')
	return out.Bytes(), nil
}

func keyOrder(doc []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("unexpected token %v", t)
		}
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// addSubsetted adds the SUBSETTED security tag to a meta object.
func addSubsetted(meta json.RawMessage) json.RawMessage {
	var m map[string]any
	if len(meta) > 0 {
		_ = json.Unmarshal(meta, &m)
	}
	if m == nil {
		m = map[string]any{}
	}
	tags, _ := m["tag"].([]any)
	tags = append(tags, map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED", "display": "subsetted"})
	m["tag"] = tags
	b, _ := json.Marshal(m)
	return b
}
