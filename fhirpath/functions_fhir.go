package fhirpath

import (
	"fmt"
	"strings"

	"github.com/fhirlake/fhirlake/r4"
)

// FHIR-specific functions (FHIR R4 §2.1.9.1), the SQL on FHIR v2
// functions getResourceKey() and getReferenceKey(), the type functions
// is(), as() and the clock functions now(), today(), timeOfDay().
func init() {
	functions["extension"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		url, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		var out Collection
		for _, v := range in {
			for _, e := range v.appendChildren(nil, "extension") {
				if m, ok := e.data.(map[string]any); ok && m["url"] == url {
					out = append(out, e)
				}
			}
		}
		return out, nil
	})
	functions["hasValue"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		if len(in) != 1 {
			return boolCollection(false), nil
		}
		v := in[0]
		return boolCollection(v.typ != nil && v.typ.isPrimitive() && v.data != nil), nil
	})
	functions["getValue"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		if len(in) != 1 || in[0].typ == nil || !in[0].typ.isPrimitive() || in[0].data == nil {
			return nil, nil
		}
		p, err := in[0].system()
		if err != nil {
			return nil, err
		}
		v, err := Of(p)
		if err != nil {
			return nil, err
		}
		return Collection{v}, nil
	})
	functions["resolve"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		resolve := c.s.env.ctx.Resolve
		if resolve == nil {
			return nil, fmt.Errorf("no resolver: set Context.Resolve (ReferenceStub resolves to the type and id only)")
		}
		var out Collection
		for _, v := range in {
			ref := referenceString(v)
			if ref == "" {
				continue
			}
			r, err := resolve(ref)
			if err != nil {
				return nil, fmt.Errorf("resolve %q: %w", ref, err)
			}
			if r != nil {
				out = append(out, FromJSON(r))
			}
		}
		return out, nil
	})
	functions["memberOf"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		memberOf := c.s.env.ctx.MemberOf
		if memberOf == nil {
			return nil, fmt.Errorf("terminology is not supported: set Context.MemberOf to evaluate memberOf()")
		}
		vs, ok, err := c.stringArg(0)
		if err != nil || !ok {
			return nil, err
		}
		v, ok, err := inputSingleton(in)
		if err != nil || !ok {
			return nil, err
		}
		in2, err := memberOf(v, vs)
		if err != nil {
			return nil, err
		}
		return boolCollection(in2), nil
	})
	functions["getResourceKey"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		var out Collection
		for _, v := range in {
			m, ok := v.data.(map[string]any)
			if !ok || v.typ == nil || v.typ.fhir == nil || v.typ.fhir.Kind != r4.Resource {
				return nil, fmt.Errorf("getResourceKey() applies to resources, got %s", v.describe())
			}
			if id, ok := m["id"].(string); ok {
				out = append(out, stringValue(id))
			}
		}
		return out, nil
	})
	functions["getReferenceKey"] = def(0, 1, func(c *call, in Collection) (Collection, error) {
		want := ""
		if len(c.typeN) > 0 {
			want = c.typeN[0].Name
			if !fhirModel().r4.IsResource(want) {
				return nil, fmt.Errorf("getReferenceKey(%s): %s is not a resource type", want, want)
			}
		}
		var out Collection
		for _, v := range in {
			m, ok := v.data.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("getReferenceKey() applies to References, got %s", v.describe())
			}
			ref, _ := m["reference"].(string)
			typ, id := ReferenceKey(ref)
			if t, ok := m["type"].(string); ok && typ == "" {
				typ = t
			}
			if id == "" || (want != "" && typ != want) {
				continue
			}
			out = append(out, stringValue(id))
		}
		return out, nil
	})
	typeFn := func(op string) func(c *call, in Collection) (Collection, error) {
		return func(c *call, in Collection) (Collection, error) {
			return applyTypeOp(op, in, c.types[0])
		}
	}
	functions["is"] = def(1, 1, typeFn("is"))
	functions["as"] = def(1, 1, typeFn("as"))
	functions["now"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		return Collection{temporalValue(temporalFromTime(c.s.env.clock(), DateTimeKind))}, nil
	})
	functions["today"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		return Collection{temporalValue(temporalFromTime(c.s.env.clock(), DateKind))}, nil
	})
	functions["timeOfDay"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		return Collection{temporalValue(temporalFromTime(c.s.env.clock(), TimeKind))}, nil
	})
}

// referenceString is the reference a value holds: Reference.reference, or
// the value itself for canonical and uri values.
func referenceString(v Value) string {
	switch x := v.data.(type) {
	case map[string]any:
		s, _ := x["reference"].(string)
		return s
	case string:
		return x
	}
	return ""
}

// ReferenceKey splits a literal reference into the resource type and id it
// points to, as getReferenceKey() uses them:
//
//	Patient/123                              → Patient, 123
//	http://server/fhir/Patient/123/_history/2 → Patient, 123
//	urn:uuid:9f2a…                           → "", 9f2a… (the type is unknown)
//
// Contained (#id) and conditional (Patient?identifier=…) references, and
// logical references without a reference string, have no key: "", "".
func ReferenceKey(ref string) (typ, id string) {
	if ref == "" || strings.HasPrefix(ref, "#") || strings.Contains(ref, "?") {
		return "", ""
	}
	if rest, ok := strings.CutPrefix(ref, "urn:uuid:"); ok {
		return "", rest
	}
	if rest, ok := strings.CutPrefix(ref, "urn:oid:"); ok {
		return "", rest
	}
	parts := strings.Split(strings.TrimSuffix(ref, "/"), "/")
	if n := len(parts); n >= 4 && parts[n-2] == "_history" {
		parts = parts[:n-2]
	}
	n := len(parts)
	if n < 2 || !fhirModel().r4.IsResource(parts[n-2]) || parts[n-1] == "" {
		return "", ""
	}
	return parts[n-2], parts[n-1]
}

// ReferenceStub is a Context.Resolve that resolves a literal reference to
// a stub resource holding only its resourceType and id, enough for
// expressions such as subject.where(resolve() is Patient).
func ReferenceStub(ref string) (any, error) {
	typ, id := ReferenceKey(ref)
	if typ == "" {
		return nil, nil
	}
	return map[string]any{"resourceType": typ, "id": id}, nil
}

func (c *compiler) typeOp(n *TypeOp) (evalFn, error) {
	operand, err := c.compile(n.Operand)
	if err != nil {
		return nil, err
	}
	t := fhirModel().lookupType(n.Type.Namespace, n.Type.Name)
	if t == nil {
		return nil, c.errorf(n.Type, "unknown type %s", Format(n.Type))
	}
	return func(s *scope) (Collection, error) {
		in, err := operand(s)
		if err != nil {
			return nil, err
		}
		out, err := applyTypeOp(n.Op, in, t)
		return out, wrapOp(n.At, "operator "+n.Op, err)
	}, nil
}

// applyTypeOp implements is and as. "as" on several items filters them
// like ofType(), which the R4 search parameter expressions rely on
// (Observation.value as Quantity on repeating elements).
func applyTypeOp(op string, in Collection, t *typeDesc) (Collection, error) {
	if op == "as" {
		return ofType(in, t), nil
	}
	v, ok, err := inputSingleton(in)
	if err != nil || !ok {
		return nil, err
	}
	return boolCollection(len(ofType(Collection{v}, t)) == 1), nil
}
