package fhirpath

// Static is what is known about an expression's result before it is
// evaluated: its type, when a single type is known, and whether it may
// hold more than one item. The zero Static is "unknown".
type Static struct {
	t *typeDesc
	// Many is true when the result may hold several items.
	Many bool
}

// ResourceStatic is the static type of one resource of a type.
func ResourceStatic(resourceType string) Static {
	return Static{t: fhirModel().resourceType(resourceType)}
}

// FHIRStatic is the static type of one value of a FHIR type ("date",
// "Quantity").
func FHIRStatic(name string) Static { return Static{t: fhirModel().types[name]} }

// SystemStatic is the static type of one System value ("Integer").
func SystemStatic(name string) Static { return Static{t: fhirModel().system[name]} }

// Known reports whether the type is known.
func (s Static) Known() bool { return s.t != nil && s.t != fhirModel().anyType }

// Type is the FHIR or System type; System.Any when unknown.
func (s Static) Type() TypeInfo {
	if s.t == nil {
		return TypeInfo{"System", "Any"}
	}
	return s.t.info
}

// Single is the same type, one item.
func (s Static) Single() Static { s.Many = false; return s }

var systemToFHIR = map[string]string{
	SystemBoolean: "boolean", SystemString: "string", SystemInteger: "integer", SystemLong: "integer64",
	SystemDecimal: "decimal", SystemDate: "date", SystemDateTime: "dateTime", SystemTime: "time", SystemQuantity: "Quantity",
}

// FHIRType names the type as a FHIR type: FHIR types by their own name,
// System types by the FHIR primitive they correspond to (Integer →
// integer); "" when unknown.
func (s Static) FHIRType() string {
	if !s.Known() {
		return ""
	}
	if s.t.info.Namespace == "System" {
		return systemToFHIR[s.t.info.Name]
	}
	return s.t.info.Name
}

// Infer returns the static type of the expression's result for an input
// of type input, with the given variables (%name) known. It follows the
// R4 model through navigation, ofType()/as(), and the result types of the
// operators and functions; what it cannot tell is unknown.
func (e *Expr) Infer(input Static, vars map[string]Static) Static {
	return infer(e.root, input, vars)
}

func infer(n Node, in Static, vars map[string]Static) Static {
	md := fhirModel()
	sys := func(name string) Static { return Static{t: md.system[name]} }
	switch n := n.(type) {
	case *Literal:
		if n.Kind == NullLiteral {
			return Static{}
		}
		v, err := Of(n.Value)
		if err != nil {
			return Static{}
		}
		if n.Kind == LongLiteral {
			return sys(SystemLong)
		}
		return Static{t: v.typ}
	case *Member:
		base := in
		if n.Target != nil {
			base = infer(n.Target, in, vars)
		} else if md.isTypeName(n.Name) && base.t != nil && base.t.isA(md.types[n.Name]) {
			return base
		}
		if base.t == nil || base.t.children == nil {
			return Static{}
		}
		c := base.t.children[n.Name]
		if c == nil {
			return Static{}
		}
		many := base.Many || c.many
		switch {
		case c.choices != nil:
			if len(c.choices) == 1 {
				return Static{t: c.choices[0].typ, Many: many}
			}
			return Static{Many: many}
		case c.resource:
			return Static{t: md.types["Resource"], Many: many}
		}
		return Static{t: c.typ, Many: many}
	case *Index:
		return infer(n.Target, in, vars).Single()
	case *Variable:
		if v, ok := vars[n.Name]; ok {
			return v
		}
		if _, ok := standardVariables[n.Name]; ok {
			return sys(SystemString)
		}
		return Static{}
	case *Special:
		switch n.Name {
		case "$this":
			return in.Single()
		case "$index":
			return sys(SystemInteger)
		}
		return Static{}
	case *Unary:
		return infer(n.Operand, in, vars)
	case *TypeOp:
		if n.Op == "is" {
			return sys(SystemBoolean)
		}
		t := md.lookupType(n.Type.Namespace, n.Type.Name)
		return Static{t: t, Many: infer(n.Operand, in, vars).Many}
	case *Binary:
		return inferBinary(n, in, vars)
	case *Call:
		return inferCall(n, in, vars)
	}
	return Static{}
}

func inferBinary(n *Binary, in Static, vars map[string]Static) Static {
	md := fhirModel()
	sys := func(name string) Static { return Static{t: md.system[name]} }
	switch n.Op {
	case "=", "~", "!=", "!~", "<", "<=", ">", ">=", "in", "contains", "and", "or", "xor", "implies":
		return sys(SystemBoolean)
	case "&":
		return sys(SystemString)
	}
	l, r := infer(n.Left, in, vars), infer(n.Right, in, vars)
	if n.Op == "|" {
		if l.t != nil && r.t != nil && l.t.info == r.t.info {
			return Static{t: l.t, Many: true}
		}
		return Static{Many: true}
	}
	kind := func(s Static) string {
		if s.t == nil {
			return ""
		}
		if s.t.system != "" {
			return s.t.system
		}
		if s.t.isA(md.types["Quantity"]) {
			return SystemQuantity
		}
		return ""
	}
	lk, rk := kind(l), kind(r)
	switch {
	case lk == "" || rk == "":
		return Static{}
	case lk == SystemString && rk == SystemString && n.Op == "+":
		return sys(SystemString)
	case lk == SystemQuantity || rk == SystemQuantity:
		return sys(SystemQuantity)
	case lk == SystemDate || lk == SystemDateTime || lk == SystemTime:
		return sys(lk)
	case n.Op == "/":
		return sys(SystemDecimal)
	case n.Op == "div":
		return sys(SystemInteger)
	case lk == SystemInteger && rk == SystemInteger:
		return sys(SystemInteger)
	case (lk == SystemInteger || lk == SystemDecimal) && (rk == SystemInteger || rk == SystemDecimal):
		return sys(SystemDecimal)
	}
	return Static{}
}

var (
	boolFunctions = setOf("exists", "empty", "all", "not", "is", "hasValue", "startsWith", "endsWith",
		"contains", "matches", "matchesFull", "subsetOf", "supersetOf", "isDistinct", "allTrue", "anyTrue",
		"allFalse", "anyFalse", "memberOf", "toBoolean", "convertsToBoolean", "convertsToInteger",
		"convertsToDecimal", "convertsToString", "convertsToDate", "convertsToDateTime", "convertsToTime",
		"convertsToQuantity")
	stringFunctions = setOf("join", "toString", "upper", "lower", "substring", "replace", "replaceMatches",
		"trim", "getResourceKey", "encode", "decode", "escape", "unescape")
	integerFunctions = setOf("count", "length", "indexOf", "lastIndexOf", "toInteger", "ceiling", "floor",
		"truncate", "precision")
	decimalFunctions = setOf("toDecimal", "round", "sqrt", "ln", "log", "power", "exp")
	sameFunctions    = setOf("where", "distinct", "trace", "tail", "skip", "take", "intersect", "exclude")
	singleFunctions  = setOf("first", "last", "single", "abs", "lowBoundary", "highBoundary")
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func inferCall(n *Call, in Static, vars map[string]Static) Static {
	md := fhirModel()
	sys := func(name string) Static { return Static{t: md.system[name]} }
	base := in
	if n.Target != nil {
		base = infer(n.Target, in, vars)
	}
	switch {
	case boolFunctions[n.Name]:
		return sys(SystemBoolean)
	case stringFunctions[n.Name]:
		return sys(SystemString)
	case integerFunctions[n.Name]:
		return sys(SystemInteger)
	case decimalFunctions[n.Name]:
		return sys(SystemDecimal)
	case sameFunctions[n.Name]:
		return base
	case singleFunctions[n.Name]:
		return base.Single()
	}
	switch n.Name {
	case "ofType", "as":
		if len(n.Args) == 1 {
			if ts, ok := n.Args[0].(*TypeSpecifier); ok {
				return Static{t: md.lookupType(ts.Namespace, ts.Name), Many: base.Many}
			}
		}
	case "select":
		r := infer(n.Args[0], base.Single(), vars)
		r.Many = r.Many || base.Many
		return r
	case "repeat":
		return Static{Many: true}
	case "union", "combine":
		r := infer(n.Args[0], in, vars)
		if base.t != nil && r.t != nil && base.t.info == r.t.info {
			return Static{t: base.t, Many: true}
		}
		return Static{Many: true}
	case "iif":
		return infer(n.Args[1], base.Single(), vars)
	case "extension":
		return Static{t: md.types["Extension"], Many: true}
	case "getReferenceKey":
		return Static{t: md.system[SystemString], Many: base.Many}
	case "getValue":
		if base.t != nil && base.t.system != "" {
			return sys(base.t.system)
		}
	case "toDate":
		return sys(SystemDate)
	case "toDateTime", "now":
		return sys(SystemDateTime)
	case "toTime", "timeOfDay":
		return sys(SystemTime)
	case "today":
		return sys(SystemDate)
	case "toQuantity":
		return sys(SystemQuantity)
	case "split", "toChars":
		return Static{t: md.system[SystemString], Many: true}
	}
	return Static{}
}
