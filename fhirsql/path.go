package fhirsql

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// Navigation: name and Target.name over the typed columns, the STRUCTs
// inside them and the JSON kept by design.

func (c *compiler) member(n *fhirpath.Member, s scope) (val, error) {
	var base val
	if n.Target == nil {
		base = s.this
		// Patient.name: a leading type name selects the focus items of
		// that type.
		if c.model.Type(n.Name) != nil && n.Name[0] >= 'A' && n.Name[0] <= 'Z' {
			if r := c.filterType(base, "", n.Name); !r.empty {
				return r, nil
			}
		}
	} else {
		var err error
		if base, err = c.compile(n.Target, s); err != nil {
			return val{}, err
		}
	}
	if base.resolved {
		return val{}, c.errorf(n, "element "+n.Name, "resolve() gives the resources references point to, which SQL over one table cannot read; only their type can be tested (is, as, ofType())")
	}
	return c.child(base, n.Name, n)
}

// child navigates from every item of v to its children called name.
func (c *compiler) child(v val, name string, n fhirpath.Node) (val, error) {
	if v.many && v.mapped != nil {
		// a.b.c: navigate inside the lambda that made a.b (struct access and
		// JSON reads give NULL for NULL, so the NULLs are dropped once)
		r, err := c.childOf(val{sql: v.mapped.body, t: v.t}, name, n)
		if err != nil {
			return val{}, err
		}
		return c.mapOver(v.mapped.src, v.mapped.x, "", r), nil
	}
	return c.each(v, func(item val, _ string) (val, error) { return c.childOf(item, name, n) })
}

// childOf navigates from one item (SQL NULL when absent).
func (c *compiler) childOf(x val, name string, n fhirpath.Node) (val, error) {
	switch x.t.repr {
	case row:
		switch name {
		case "id":
			return val{sql: x.sql + ".id", t: primitiveType("id")}, nil
		case "meta":
			f := x.t.schema.Field("meta")
			*c.used = append(*c.used, f)
			return val{sql: x.sql + "." + ident("meta"), t: itemType{fhir: "Meta", repr: structured, field: f, rowMeta: x.sql}}, nil
		}
		return c.fieldChild(x.sql+"."+ident(name), x.t.schema.Fields, x.t.schema.Field(name), name, n)
	case structured:
		if x.t.rowMeta != "" {
			switch name {
			case "versionId":
				return val{sql: "CAST(" + x.t.rowMeta + ".version_id AS VARCHAR)", t: primitiveType("id")}, nil
			case "lastUpdated":
				return val{sql: x.t.rowMeta + ".last_updated", t: primitiveType("instant")}, nil
			}
		}
		return c.fieldChild(paren(x.sql)+"."+ident(name), x.t.field.Fields, x.t.field.Field(name), name, n)
	case jsonValue:
		return c.jsonChild(x, name, n)
	}
	if name == "extension" || name == "id" {
		return val{}, c.errorf(n, "element "+name, "the id and extensions of primitive values are not supported in SQL")
	}
	return emptyVal(), nil
}

// fieldChild is the child of a row or STRUCT: access is the SQL of the
// field called name, f the field (nil for a choice stem or an unknown
// name).
func (c *compiler) fieldChild(access string, fields []*fhirflat.Field, f *fhirflat.Field, name string, n fhirpath.Node) (val, error) {
	if f == nil {
		// value: one column per type of value[x]
		var alts []val
		base := access[:strings.LastIndex(access, ".")+1]
		for _, cf := range fields {
			if cf.Choice == name && cf.Kind != fhirflat.JSON {
				from := len(*c.used)
				a, err := c.fieldChild(base+ident(cf.Name), fields, cf, cf.Name, n)
				if err != nil {
					return val{}, err
				}
				a.uses = [2]int{from, len(*c.used)}
				alts = append(alts, a)
			}
		}
		// an element the model does not have is never stored: {} (as the
		// Go evaluator, which finds nothing there either)
		return polyOf(alts, true), nil
	}
	if f.Name == fhirflat.PrimitiveExtField {
		return emptyVal(), nil
	}
	*c.used = append(*c.used, f)
	switch f.Kind {
	case fhirflat.Primitive:
		t := primitiveType(f.Type)
		t.field = f
		if f.Many {
			y := c.lambdaVar()
			return val{sql: "list_filter(" + access + ", lambda " + y + ": " + y + " IS NOT NULL)", many: true, t: t}, nil
		}
		parent := access[:strings.LastIndex(access, ".")]
		return val{sql: access, t: t, prim: "json_extract_string(" + parent + "." + ident(fhirflat.PrimitiveExtField) + ", " + quote("$."+f.Name) + ")"}, nil
	case fhirflat.Struct:
		return val{sql: access, many: f.Many, t: itemType{fhir: f.Type, repr: structured, field: f}}, nil
	}
	// kept as JSON
	if f.Choice != "" {
		// an open choice, stored as {"valueX": ...} under the stem
		return c.jsonChoice(access, f.Elem), nil
	}
	t := c.jsonType(f.Type, f.Elem)
	if f.Many {
		return val{sql: "json_extract(" + access + ", '$[*]')", many: true, t: t}, nil
	}
	return val{sql: access, t: t}, nil
}

// jsonType is the type of FHIR JSON values of an element of type code.
func (c *compiler) jsonType(code string, e *r4.Element) itemType {
	t := itemType{fhir: code, repr: jsonValue}
	switch {
	case e != nil && e.IsBackbone():
		t.fhir = "BackboneElement"
		t.elem = c.backbone(e)
	case code == "Resource":
		t.anyResource = true
	}
	return t
}

// backbone returns the element whose children a backbone element has
// (the target of a contentReference).
func (c *compiler) backbone(e *r4.Element) *r4.Element {
	if e.ContentRef != "" {
		if t := c.model.ElementAt(e.ContentRef); t != nil {
			return t
		}
	}
	return e
}

// jsonChoice is the choice element e of the JSON object at sql (FHIR
// JSON, or the {"valueX": ...} object fhirflat keeps under the stem of an
// open choice): one alternative per type, read from valueX.
func (c *compiler) jsonChoice(sql string, e *r4.Element) val {
	var alts []val
	for _, et := range e.Types {
		key := r4.ChoiceName(e.Name, et.Code)
		alts = append(alts, c.jsonElement(sql, key, et.Code, nil, false))
	}
	return polyOf(alts, true)
}

// jsonElement reads the child key of the FHIR JSON object at sql, of type
// code.
func (c *compiler) jsonElement(sql, key, code string, e *r4.Element, many bool) val {
	path := "'$." + key + "'"
	if many {
		path = "'$." + key + "[*]'"
	}
	t := c.model.Type(code)
	if t != nil && t.Kind == r4.Primitive && (e == nil || !e.IsBackbone()) {
		pt := primitiveType(code)
		st := pt.sqlType()
		conv := func(s string) string {
			if st == "VARCHAR" {
				return s
			}
			return "TRY_CAST(" + s + " AS " + st + ")"
		}
		if many {
			y, z := c.lambdaVar(), c.lambdaVar()
			return val{sql: "list_filter(list_transform(json_extract_string(" + sql + ", " + path + "), lambda " + y + ": " + conv(y) + "), lambda " + z + ": " + z + " IS NOT NULL)", many: true, t: pt}
		}
		return val{sql: conv("json_extract_string(" + sql + ", " + path + ")"), t: pt}
	}
	jt := c.jsonType(code, e)
	if many {
		return val{sql: "json_extract(" + sql + ", " + path + ")", many: true, t: jt}
	}
	return val{sql: "json_extract(" + sql + ", " + path + ")", t: jt}
}

// jsonChild navigates in FHIR JSON, following the R4 model.
func (c *compiler) jsonChild(x val, name string, n fhirpath.Node) (val, error) {
	if x.t.anyResource {
		return val{}, c.errorf(n, "element "+name, "the type of this resource is only known at run time; select one with ofType(<resource type>) first")
	}
	var els []*r4.Element
	if x.t.elem != nil {
		els = x.t.elem.Elements
	} else if t := c.model.Type(x.t.fhir); t != nil {
		els = t.Elements
	}
	for _, e := range els {
		if e.Name == name {
			if e.Choice {
				return c.jsonChoice(x.sql, e), nil
			}
			code := ""
			if len(e.Types) > 0 {
				code = e.Types[0].Code
			}
			return c.jsonElement(x.sql, name, code, e, e.Many), nil
		}
		if e.Choice && strings.HasPrefix(name, e.Name) {
			for _, et := range e.Types {
				if r4.ChoiceName(e.Name, et.Code) == name {
					return c.jsonElement(x.sql, name, et.Code, nil, false), nil
				}
			}
		}
	}
	return emptyVal(), nil
}

// Types: ofType(), as, is.

// resolveType finds the type a specifier names: FHIR first, then System.
func (c *compiler) resolveType(ns, name string) (fhir, system string, ok bool) {
	switch ns {
	case "FHIR":
		return name, "", c.model.Type(name) != nil
	case "System":
		_, known := systemFHIR[name]
		return "", name, known || name == "Any"
	}
	if c.model.Type(name) != nil {
		return name, "", true
	}
	_, known := systemFHIR[name]
	return "", name, known
}

// isA reports whether items of type t are of the FHIR type fhir or the
// System type system.
func (c *compiler) isA(t itemType, fhir, system string) bool {
	if system != "" {
		switch {
		case system == "Any":
			return true
		case t.fhir == "":
			return t.sys == system
		case system == "Quantity":
			return c.isA(t, "Quantity", "")
		}
		return t.repr == scalar && t.sys == system
	}
	if t.fhir == "" && t.repr != row {
		return t.sys == fhir // 5 'mg' is a Quantity
	}
	name := t.typeName()
	for name != "" {
		if name == fhir {
			return true
		}
		ty := c.model.Type(name)
		if ty == nil {
			return false
		}
		name = ty.Base
	}
	return false
}

// filterType keeps the items of v of a type (ofType()).
func (c *compiler) filterType(v val, ns, name string) val {
	fhir, system, ok := c.resolveType(ns, name)
	if !ok || v.empty {
		return emptyVal()
	}
	if v.isPoly() {
		var alts []val
		for _, a := range v.alts {
			f := c.filterType(a, ns, name)
			if f.empty && a.uses[1] > a.uses[0] {
				*c.dropped = append(*c.dropped, a.uses)
			}
			alts = append(alts, f)
		}
		return polyOf(alts, v.exclusive)
	}
	if v.t.anyResource && fhir != "" && c.model.IsResource(fhir) {
		t := itemType{fhir: fhir, repr: jsonValue}
		cond := func(x string) string { return "json_extract_string(" + x + ", '$.resourceType') = " + quote(fhir) }
		if v.many {
			y := c.lambdaVar()
			return val{sql: "list_filter(" + v.sql + ", lambda " + y + ": " + cond(y) + ")", many: true, t: t}
		}
		return val{sql: "CASE WHEN " + cond(v.sql) + " THEN " + v.sql + " END", t: t}
	}
	if c.isA(v.t, fhir, system) {
		return v
	}
	return emptyVal()
}

func (c *compiler) ofType(v val, ts *fhirpath.TypeSpecifier, n fhirpath.Node, what string) (val, error) {
	if _, _, ok := c.resolveType(ts.Namespace, ts.Name); !ok {
		return val{}, c.errorf(ts, what, "unknown type %s", fhirpath.Format(ts))
	}
	if v.resolved {
		return c.resolvedOfType(v, ts, n)
	}
	return c.filterType(v, ts.Namespace, ts.Name), nil
}

// isType is the is operator: whether the single item is of a type.
func (c *compiler) isType(v val, ts *fhirpath.TypeSpecifier, n fhirpath.Node) (val, error) {
	if _, _, ok := c.resolveType(ts.Namespace, ts.Name); !ok {
		return val{}, c.errorf(ts, "operator is", "unknown type %s", fhirpath.Format(ts))
	}
	if v.empty {
		return emptyVal(), nil
	}
	if v.resolved && !v.many {
		// of the type: true; another type: false; does not resolve: {}
		r, err := c.resolvedOfType(v, ts, n)
		if err != nil {
			return val{}, err
		}
		other, err := c.resolvedOfType(v, &fhirpath.TypeSpecifier{Name: "Resource"}, n)
		if err != nil {
			return val{}, err
		}
		if r.empty {
			return val{sql: "CASE WHEN " + paren(other.sql) + " IS NOT NULL THEN false END", t: sysType("Boolean"), cond: "false"}, nil
		}
		return val{sql: "CASE WHEN " + paren(r.sql) + " IS NOT NULL THEN true WHEN " + paren(other.sql) + " IS NOT NULL THEN false END",
			t: sysType("Boolean"), cond: "(" + paren(r.sql) + " IS NOT NULL)"}, nil
	}
	if v.resolved {
		// the references that resolve, one of them, of the type?
		all, err := c.resolvedOfType(v, &fhirpath.TypeSpecifier{Name: "Resource"}, n)
		if err != nil {
			return val{}, err
		}
		one, err := c.singleton(all, n, "operator is")
		if err != nil {
			return val{}, err
		}
		one.resolved = true
		r, err := c.resolvedOfType(one, ts, n)
		if err != nil {
			return val{}, err
		}
		if r.empty {
			return val{sql: "CASE WHEN " + paren(one.sql) + " IS NOT NULL THEN false END", t: sysType("Boolean")}, nil
		}
		return val{sql: "CASE WHEN " + paren(one.sql) + " IS NOT NULL THEN " + paren(r.sql) + " IS NOT NULL END", t: sysType("Boolean")}, nil
	}
	v, err := c.singleton(v, n, "operator is")
	if err != nil {
		return val{}, err
	}
	if v.isPoly() {
		var any, match []string
		for _, a := range v.alts {
			cond := paren(a.sql) + " IS NOT NULL"
			any = append(any, cond)
			if !c.filterType(a, ts.Namespace, ts.Name).empty {
				match = append(match, cond)
			}
		}
		res := "false"
		if len(match) > 0 {
			res = "(" + strings.Join(match, " OR ") + ")"
		}
		return val{sql: "CASE WHEN " + strings.Join(any, " OR ") + " THEN " + res + " END", t: sysType("Boolean")}, nil
	}
	if v.t.repr == row {
		res := "false"
		if !c.filterType(v, ts.Namespace, ts.Name).empty {
			res = "true"
		}
		if v.guard != "" {
			return val{sql: "CASE WHEN " + v.guard + " THEN " + res + " END", t: sysType("Boolean")}, nil
		}
		return val{sql: res, t: sysType("Boolean")}, nil
	}
	r := c.filterType(v, ts.Namespace, ts.Name)
	if r.empty {
		return val{sql: "CASE WHEN " + paren(v.sql) + " IS NOT NULL THEN false END", t: sysType("Boolean")}, nil
	}
	return val{sql: "CASE WHEN " + paren(v.sql) + " IS NOT NULL THEN " + paren(r.sql) + " IS NOT NULL END", t: sysType("Boolean")}, nil
}
