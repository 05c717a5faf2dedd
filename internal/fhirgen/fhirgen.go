// Package fhirgen makes example resources of any R4 type from the r4
// model: every element present (or a random subset), values of the right
// type and lexical form, choices and cardinalities respected, codes of
// required bindings. Tests use it to cover all 147 resource types.
package fhirgen

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"

	"github.com/fhirlake/fhirlake/r4"
)

// Options shape the examples.
type Options struct {
	// Fill is the chance that an optional element is present (1: all).
	Fill float64
	// Depth is how many levels of complex values are filled in; deeper
	// optional elements are left out.
	Depth int
}

// Generator makes examples; it is not safe for concurrent use.
type Generator struct {
	m    *r4.Model
	rnd  *rand.Rand
	opts Options
}

// New returns a generator with a seed.
func New(m *r4.Model, seed int64, opts Options) *Generator {
	if opts.Depth == 0 {
		opts.Depth = 4
	}
	return &Generator{m: m, rnd: rand.New(rand.NewSource(seed)), opts: opts}
}

// Resource returns an example resource of a type as JSON.
func (g *Generator) Resource(typ string) ([]byte, error) {
	t := g.m.Type(typ)
	if t == nil || t.Kind != r4.Resource {
		return nil, fmt.Errorf("fhirgen: %q is not a resource type", typ)
	}
	obj := map[string]any{"resourceType": typ, "id": fmt.Sprintf("ex-%d", g.rnd.Intn(1<<30))}
	g.fill(obj, t.Elements, 0, map[string]int{})
	delete(obj, "contained") // contained resources must be referenced
	return json.Marshal(obj)
}

func (g *Generator) fill(obj map[string]any, els []*r4.Element, depth int, seen map[string]int) {
	for _, e := range els {
		switch e.Name {
		case "id", "meta", "implicitRules", "language":
			if depth == 0 {
				continue
			}
		case "extension", "modifierExtension":
			if g.rnd.Float64() < 0.3 {
				obj[e.Name] = []any{map[string]any{"url": "http://example.org/ext/" + e.Name, "valueString": "x"}}
			}
			continue
		}
		if e.Min == 0 && (depth >= g.opts.Depth || g.rnd.Float64() >= g.opts.Fill) {
			continue
		}
		children := e.Elements
		if e.ContentRef != "" {
			children = g.m.ElementAt(e.ContentRef).Elements
			if seen[e.ContentRef] >= 2 {
				if e.Min == 0 {
					continue
				}
			}
		}
		name, typ := e.Name, ""
		if len(e.Types) > 0 {
			et := e.Types[g.rnd.Intn(len(e.Types))]
			typ = et.Code
			if e.Choice {
				name = r4.ChoiceName(e.Name, typ)
			}
		}
		n := 1
		if e.Many {
			n = 1 + g.rnd.Intn(2)
		}
		var vals []any
		for i := 0; i < n; i++ {
			var v any
			if len(children) > 0 {
				key := e.Path
				if e.ContentRef != "" {
					key = e.ContentRef
				}
				seen[key]++
				sub := map[string]any{}
				g.fill(sub, children, depth+1, seen)
				seen[key]--
				if len(sub) == 0 {
					sub["id"] = "x"
				}
				v = sub
			} else {
				v = g.value(e, typ, depth, seen)
			}
			if v == nil {
				continue
			}
			vals = append(vals, v)
		}
		if len(vals) == 0 {
			continue
		}
		if e.Many {
			obj[name] = vals
		} else {
			obj[name] = vals[0]
		}
	}
}

func (g *Generator) value(e *r4.Element, typ string, depth int, seen map[string]int) any {
	if e.Binding != nil && len(e.Binding.Codes) > 0 {
		code := e.Binding.Codes[g.rnd.Intn(len(e.Binding.Codes))]
		switch typ {
		case "CodeableConcept":
			return map[string]any{"coding": []any{map[string]any{"code": code}}}
		case "Coding":
			return map[string]any{"code": code}
		case "code", "string", "uri":
			return code
		}
	}
	switch typ {
	case "Resource":
		return map[string]any{"resourceType": "Basic", "code": map[string]any{"text": "nested"}}
	case "Extension":
		return map[string]any{"url": "http://example.org/ext", "valueBoolean": true}
	}
	t := g.m.Type(typ)
	if t == nil {
		return nil
	}
	if t.Kind == r4.Primitive {
		return g.primitive(typ)
	}
	if seen[typ] >= 2 {
		return nil
	}
	seen[typ]++
	defer func() { seen[typ]-- }()
	sub := map[string]any{}
	g.fill(sub, t.Elements, depth+1, seen)
	if len(sub) == 0 {
		sub["id"] = "x"
	}
	return sub
}

func (g *Generator) primitive(typ string) any {
	r := g.rnd
	switch typ {
	case "boolean":
		return r.Intn(2) == 0
	case "integer":
		return r.Intn(2000) - 1000
	case "positiveInt":
		return 1 + r.Intn(1000)
	case "unsignedInt":
		return r.Intn(1000)
	case "decimal":
		return json.Number([]string{"1.5", "0.25", "100", "3.14159", "1.50", "-2.0", "1e3"}[r.Intn(7)])
	case "date":
		return []string{"2019", "2019-03", "2019-03-14"}[r.Intn(3)]
	case "dateTime":
		return []string{"2020", "2020-05", "2020-05-06", "2020-05-06T07:08:09Z", "2020-05-06T07:08:09.123-05:00"}[r.Intn(5)]
	case "instant":
		return []string{"2021-01-02T03:04:05Z", "2021-01-02T03:04:05.678+02:00"}[r.Intn(2)]
	case "time":
		return "10:20:30"
	case "code":
		return "code-" + fmt.Sprint(r.Intn(10))
	case "id":
		return fmt.Sprintf("id-%d", r.Intn(1000))
	case "uri", "url", "canonical":
		return fmt.Sprintf("http://example.org/%d", r.Intn(1000))
	case "oid":
		return "urn:oid:1.2.3." + fmt.Sprint(r.Intn(100))
	case "uuid":
		return "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"
	case "base64Binary":
		return "aGVsbG8="
	case "markdown":
		return "**text** " + strings.Repeat("é", r.Intn(3))
	case "xhtml":
		return `<div xmlns="http://www.w3.org/1999/xhtml">text</div>`
	}
	return fmt.Sprintf("text %d \"quoted\" ünïcode", r.Intn(100))
}
