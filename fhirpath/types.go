package fhirpath

import (
	"sync"

	"github.com/fhirlake/fhirlake/r4"
)

// TypeInfo names the type of a value: FHIR.Quantity, FHIR.date,
// System.String. Inline structures (Observation.component) are
// FHIR.BackboneElement; values whose type the model does not know are
// System.Any.
type TypeInfo struct {
	Namespace string // "FHIR" or "System"
	Name      string
}

func (t TypeInfo) String() string { return t.Namespace + "." + t.Name }

// System type names.
const (
	SystemBoolean  = "Boolean"
	SystemString   = "String"
	SystemInteger  = "Integer"
	SystemLong     = "Long"
	SystemDecimal  = "Decimal"
	SystemDate     = "Date"
	SystemDateTime = "DateTime"
	SystemTime     = "Time"
	SystemQuantity = "Quantity"
)

// typeDesc describes a type at run time: how to reach children and what a
// FHIR primitive means in System terms.
type typeDesc struct {
	info   TypeInfo
	fhir   *r4.Type    // FHIR named types
	elem   *r4.Element // inline (backbone) structures
	system string      // FHIR primitives: the System type of the value; System types: their own name
	base   *typeDesc   // the type it specializes (code → string, Age → Quantity, Patient → DomainResource)

	children map[string]*child // by JSON name (the stem for choices) and by full choice name (valueQuantity)
}

// child is an element reachable from a type.
type child struct {
	name     string
	extKey   string // "_name": where a primitive's id and extensions are
	many     bool
	typ      *typeDesc // single-typed, non-Resource elements
	resource bool      // type Resource: typed by resourceType at run time
	choices  []choice  // choice elements: one per allowed type
}

type choice struct {
	key    string // valueQuantity
	extKey string // _valueQuantity
	typ    *typeDesc
}

// model is the run-time view of the R4 model, built once.
type model struct {
	r4       *r4.Model
	types    map[string]*typeDesc // FHIR types by name
	system   map[string]*typeDesc // System types by name
	backbone map[*r4.Element]*typeDesc
	anyType  *typeDesc
}

var (
	modelOnce sync.Once
	theModel  *model
)

// fhirModel returns the run-time model, building it on first use.
func fhirModel() *model {
	modelOnce.Do(func() { theModel = buildModel(r4.Load()) })
	return theModel
}

var primitiveSystem = map[string]string{
	"boolean": SystemBoolean, "string": SystemString, "code": SystemString, "id": SystemString,
	"markdown": SystemString, "uri": SystemString, "url": SystemString, "canonical": SystemString,
	"oid": SystemString, "uuid": SystemString, "base64Binary": SystemString, "xhtml": SystemString,
	"integer": SystemInteger, "positiveInt": SystemInteger, "unsignedInt": SystemInteger,
	"integer64": SystemLong, "decimal": SystemDecimal, "date": SystemDate,
	"dateTime": SystemDateTime, "instant": SystemDateTime, "time": SystemTime,
}

func buildModel(m *r4.Model) *model {
	md := &model{r4: m, types: map[string]*typeDesc{}, system: map[string]*typeDesc{}, backbone: map[*r4.Element]*typeDesc{}}
	for _, name := range []string{SystemBoolean, SystemString, SystemInteger, SystemLong, SystemDecimal, SystemDate, SystemDateTime, SystemTime, SystemQuantity} {
		md.system[name] = &typeDesc{info: TypeInfo{"System", name}, system: name}
	}
	md.anyType = &typeDesc{info: TypeInfo{"System", "Any"}}
	for _, t := range m.Types {
		md.types[t.Name] = &typeDesc{info: TypeInfo{"FHIR", t.Name}, fhir: t, system: primitiveSystem[t.Name]}
	}
	for _, t := range m.Types {
		d := md.types[t.Name]
		if t.Base != "" {
			d.base = md.types[t.Base]
		}
		d.children = md.childrenOf(t.Elements)
	}
	return md
}

func (md *model) childrenOf(els []*r4.Element) map[string]*child {
	if len(els) == 0 {
		return nil
	}
	out := make(map[string]*child, len(els))
	for _, e := range els {
		c := &child{name: e.Name, extKey: "_" + e.Name, many: e.Many}
		switch {
		case e.Choice:
			for _, et := range e.Types {
				key := r4.ChoiceName(e.Name, et.Code)
				ch := choice{key: key, extKey: "_" + key, typ: md.types[et.Code]}
				if ch.typ == nil {
					ch.typ = md.anyType
				}
				c.choices = append(c.choices, ch)
				// valueQuantity is reachable by its own name too
				out[ch.key] = &child{name: ch.key, extKey: ch.extKey, many: e.Many, typ: ch.typ}
			}
		case e.IsBackbone():
			c.typ = md.backboneType(e)
		case len(e.Types) == 1 && e.Types[0].Code == "Resource":
			c.resource = true
		case len(e.Types) >= 1:
			c.typ = md.types[e.Types[0].Code]
		}
		if c.typ == nil && !c.resource && c.choices == nil {
			c.typ = md.anyType
		}
		out[e.Name] = c
	}
	return out
}

// backboneType returns the type of an inline structure, shared by the
// elements that reuse it through contentReference.
func (md *model) backboneType(e *r4.Element) *typeDesc {
	if e.ContentRef != "" {
		if target := md.r4.ElementAt(e.ContentRef); target != nil {
			e = target
		}
	}
	if d, ok := md.backbone[e]; ok {
		return d
	}
	name := "BackboneElement"
	if len(e.Types) == 1 && e.Types[0].Code == "Element" {
		name = "Element"
	}
	d := &typeDesc{info: TypeInfo{"FHIR", name}, elem: e, base: md.types[name]}
	md.backbone[e] = d
	d.children = md.childrenOf(e.Elements)
	return d
}

// resourceType returns the type of a resource by its resourceType, or nil.
func (md *model) resourceType(name string) *typeDesc {
	d := md.types[name]
	if d == nil || d.fhir.Kind != r4.Resource {
		return nil
	}
	return d
}

// lookupType resolves a type specifier: unqualified names are looked up in
// the FHIR model, then among the System types.
func (md *model) lookupType(ns, name string) *typeDesc {
	switch ns {
	case "FHIR":
		return md.types[name]
	case "System":
		return md.system[name]
	case "":
		if d := md.types[name]; d != nil {
			return d
		}
		return md.system[name]
	}
	return nil
}

// isA reports whether a value of type d is of type want: the same type or
// a specialization (code is a string, Age is a Quantity). A FHIR primitive
// is also an instance of the System type it maps to (a FHIR date is a
// System.Date), and a FHIR Quantity of System.Quantity.
func (d *typeDesc) isA(want *typeDesc) bool {
	if want.info.Namespace == "System" {
		if want.info.Name == "Any" {
			return true
		}
		if d.info.Namespace == "System" {
			return d.info.Name == want.info.Name
		}
		if want.info.Name == SystemQuantity {
			return d.isA(fhirModel().types["Quantity"])
		}
		return d.system == want.info.Name && d.fhir != nil && d.fhir.Kind == r4.Primitive
	}
	if d.info.Namespace == "System" {
		// 5 'mg' is Quantity: a System value matches the model type of the
		// same name when the name was not qualified
		return d.info.Name == want.info.Name
	}
	for t := d; t != nil; t = t.base {
		if t == want || (t.info == want.info && want.elem == nil) {
			return true
		}
	}
	return false
}

// isPrimitive reports whether values of the type are JSON primitives.
func (d *typeDesc) isPrimitive() bool {
	return d.system != "" || (d.fhir != nil && d.fhir.Kind == r4.Primitive)
}

// isTypeName reports whether a leading identifier names a type, for
// expressions such as Patient.name or Resource.id.
func (md *model) isTypeName(name string) bool {
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		return false
	}
	return md.types[name] != nil
}
