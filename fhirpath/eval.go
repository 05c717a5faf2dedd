package fhirpath

import (
	"fmt"
	"strings"
	"time"
)

// Expr is a parsed and compiled expression. It is immutable: evaluate it
// many times, from many goroutines.
type Expr struct {
	src  string
	root Node
	eval evalFn
}

// Context carries what an evaluation needs besides its input. A nil
// *Context is valid: no variables, no resolver, the clock of the machine.
type Context struct {
	// Vars are the external constants (%name, without the '%').
	// %resource, %rootResource and %context default to the input.
	Vars map[string]Collection
	// Resolve returns the resource a reference points to (decoded JSON),
	// or nil when it cannot be found. resolve() fails without it; see
	// ReferenceStub for one that only knows the type and id.
	Resolve func(reference string) (any, error)
	// MemberOf tells whether a code, Coding or CodeableConcept is in a
	// value set. memberOf() fails without it.
	MemberOf func(code Value, valueSet string) (bool, error)
	// Now is the time of now(), today() and timeOfDay(); zero means the
	// clock at the start of the evaluation.
	Now time.Time
	// Trace receives the collections passed to trace().
	Trace func(name string, c Collection)
}

// Parse parses and compiles a FHIRPath expression. Syntax errors are
// *SyntaxError values with the line and column; unknown functions and
// wrong argument counts are reported the same way.
func Parse(src string) (*Expr, error) {
	fhirModel()
	root, err := parseTree(src)
	if err != nil {
		return nil, err
	}
	c := &compiler{src: src}
	fn, err := c.compile(root)
	if err != nil {
		return nil, err
	}
	return &Expr{src: src, root: root, eval: fn}, nil
}

// MustParse is Parse for expressions known to be valid; it panics on error.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return e
}

// Source is the text the expression was parsed from.
func (e *Expr) Source() string { return e.src }

// Root is the syntax tree.
func (e *Expr) Root() Node { return e.root }

// String writes the expression in canonical form (see Format).
func (e *Expr) String() string { return Format(e.root) }

// Evaluate runs the expression over an input collection (typically one
// resource: Collection{FromJSON(resource)}).
func (e *Expr) Evaluate(ctx *Context, input Collection) (Collection, error) {
	if ctx == nil {
		ctx = &Context{}
	}
	st := &struct {
		env   env
		scope scope
	}{env: env{ctx: ctx, input: input}}
	st.scope = scope{env: &st.env, this: input}
	out, err := e.eval(&st.scope)
	if err != nil {
		return nil, fmt.Errorf("evaluate %s: %w", e.src, err)
	}
	return out, nil
}

// EvaluateJSON evaluates the expression over one decoded JSON resource.
func (e *Expr) EvaluateJSON(ctx *Context, resource any) (Collection, error) {
	return e.Evaluate(ctx, Collection{FromJSON(resource)})
}

type env struct {
	ctx   *Context
	input Collection
	now   time.Time
}

func (en *env) clock() time.Time {
	if en.now.IsZero() {
		en.now = en.ctx.Now
		if en.now.IsZero() {
			en.now = time.Now()
		}
	}
	return en.now
}

// scope is the focus of a (sub)expression: the input at the top level, one
// item inside a lambda argument.
type scope struct {
	env   *env
	this  Collection
	index int
	total Collection
	inFn  bool // inside a lambda: $index is defined
	inAgg bool // inside aggregate(): $total is defined
}

type evalFn func(s *scope) (Collection, error)

// EvalError is an evaluation error at a place in the expression.
type EvalError struct {
	Offset int
	What   string // the operator or function
	Err    error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("%s (at offset %d): %v", e.What, e.Offset, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

type compiler struct {
	src string
}

func (c *compiler) errorf(n Node, format string, args ...any) error {
	return errorAt(c.src, n.Pos(), fmt.Sprintf(format, args...))
}

func (c *compiler) compile(n Node) (evalFn, error) {
	switch n := n.(type) {
	case *Literal:
		return c.literal(n)
	case *Member:
		return c.member(n)
	case *Call:
		return c.call(n)
	case *Index:
		return c.index(n)
	case *Variable:
		name := n.Name
		return func(s *scope) (Collection, error) { return s.variable(name, n.At) }, nil
	case *Special:
		return c.special(n)
	case *Unary:
		return c.unary(n)
	case *Binary:
		return c.binary(n)
	case *TypeOp:
		return c.typeOp(n)
	case *TypeSpecifier:
		return nil, c.errorf(n, "a type name (%s) is not an expression here", Format(n))
	}
	return nil, fmt.Errorf("fhirpath: unknown node %T", n)
}

func (c *compiler) literal(n *Literal) (evalFn, error) {
	var out Collection
	if n.Kind != NullLiteral {
		v, err := Of(n.Value)
		if err != nil {
			return nil, c.errorf(n, "%v", err)
		}
		if n.Kind == LongLiteral {
			v.typ = fhirModel().system[SystemLong]
		}
		out = Collection{v}
	}
	return func(*scope) (Collection, error) { return out, nil }, nil
}

func (c *compiler) member(n *Member) (evalFn, error) {
	name := n.Name
	if n.Target == nil {
		md := fhirModel()
		if md.isTypeName(name) {
			// Patient.name: a leading type name selects the focus items of
			// that type.
			want := md.types[name]
			return func(s *scope) (Collection, error) {
				var out Collection
				for _, v := range s.this {
					if v.typ != nil && v.typ.isA(want) {
						out = append(out, v)
					}
				}
				if out == nil {
					return navigate(s.this, name), nil
				}
				return out, nil
			}, nil
		}
		return func(s *scope) (Collection, error) { return navigate(s.this, name), nil }, nil
	}
	target, err := c.compile(n.Target)
	if err != nil {
		return nil, err
	}
	return func(s *scope) (Collection, error) {
		in, err := target(s)
		if err != nil {
			return nil, err
		}
		return navigate(in, name), nil
	}, nil
}

func (c *compiler) index(n *Index) (evalFn, error) {
	target, err := c.compile(n.Target)
	if err != nil {
		return nil, err
	}
	idx, err := c.compile(n.Index)
	if err != nil {
		return nil, err
	}
	return func(s *scope) (Collection, error) {
		in, err := target(s)
		if err != nil {
			return nil, err
		}
		ic, err := idx(s)
		if err != nil {
			return nil, err
		}
		i, ok, err := singletonInt(ic)
		if err != nil {
			return nil, &EvalError{n.At, "indexer []", err}
		}
		if !ok || i < 0 || i >= int64(len(in)) {
			return nil, nil
		}
		return in[i : i+1], nil
	}, nil
}

func (c *compiler) special(n *Special) (evalFn, error) {
	switch n.Name {
	case "$this":
		return func(s *scope) (Collection, error) { return s.this, nil }, nil
	case "$index":
		return func(s *scope) (Collection, error) {
			if !s.inFn {
				return nil, &EvalError{n.At, "$index", fmt.Errorf("$index is only defined inside where(), select(), all(), exists(), repeat() and the like")}
			}
			return Collection{intValue(int64(s.index))}, nil
		}, nil
	default: // $total
		return func(s *scope) (Collection, error) {
			if !s.inAgg {
				return nil, &EvalError{n.At, "$total", fmt.Errorf("$total is only defined inside aggregate()")}
			}
			return s.total, nil
		}, nil
	}
}

// standardVariables are the constants every FHIR FHIRPath engine knows.
var standardVariables = map[string]string{
	"ucum":  "http://unitsofmeasure.org",
	"sct":   "http://snomed.info/sct",
	"loinc": "http://loinc.org",
}

func (s *scope) variable(name string, at int) (Collection, error) {
	if v, ok := s.env.ctx.Vars[name]; ok {
		return v, nil
	}
	switch name {
	case "context", "resource", "rootResource":
		return s.env.input, nil
	}
	if u, ok := standardVariables[name]; ok {
		return Collection{stringValue(u)}, nil
	}
	if rest, ok := strings.CutPrefix(name, "vs-"); ok {
		return Collection{stringValue("http://hl7.org/fhir/ValueSet/" + rest)}, nil
	}
	if rest, ok := strings.CutPrefix(name, "ext-"); ok {
		return Collection{stringValue("http://hl7.org/fhir/StructureDefinition/" + rest)}, nil
	}
	return nil, &EvalError{at, "%" + name, fmt.Errorf("undefined variable %%%s", name)}
}

// navigate returns the children called name of every item in in.
func navigate(in Collection, name string) Collection {
	var out Collection
	for _, v := range in {
		out = v.appendChildren(out, name)
	}
	return out
}

// appendChildren appends the children of v called name (the stem of a
// choice finds every valueX present).
func (v Value) appendChildren(out Collection, name string) Collection {
	m, ok := v.data.(map[string]any)
	if !ok {
		// the id and extensions of a primitive live in its "_name" object
		if v.ext != nil && (name == "extension" || name == "id") {
			md := fhirModel()
			typ := md.types["Extension"]
			if name == "id" {
				typ = md.types["string"]
			}
			return appendJSON(out, v.ext[name], nil, typ, false)
		}
		return out
	}
	var c *child
	if v.typ != nil {
		c = v.typ.children[name]
	}
	if c == nil {
		// not in the model (or an untyped value): take the JSON as it is
		raw, ok := m[name]
		if !ok {
			return out
		}
		return appendJSON(out, raw, m["_"+name], nil, false)
	}
	if c.choices != nil {
		for _, ch := range c.choices {
			if raw, ok := m[ch.key]; ok {
				var ext any
				if ch.typ.isPrimitive() {
					ext = m[ch.extKey]
				}
				out = appendJSON(out, raw, ext, ch.typ, false)
			} else if ext, ok := m[ch.extKey]; ok {
				out = appendJSON(out, nil, ext, ch.typ, false)
			}
		}
		return out
	}
	raw, ok := m[name]
	var ext any
	if c.typ != nil && c.typ.isPrimitive() {
		ext = m[c.extKey]
	}
	if !ok && ext == nil {
		return out
	}
	return appendJSON(out, raw, ext, c.typ, c.resource)
}

// appendJSON appends raw (a JSON value or array) typed as typ, pairing
// primitives with their extension objects. typ nil infers the type from
// the JSON; resource types objects by their resourceType.
func appendJSON(out Collection, raw, ext any, typ *typeDesc, resource bool) Collection {
	if arr, ok := raw.([]any); ok {
		exts, _ := ext.([]any)
		for i, item := range arr {
			var e any
			if i < len(exts) {
				e = exts[i]
			}
			out = appendOne(out, item, e, typ, resource)
		}
		// primitives that only have extensions beyond the values
		for i := len(arr); i < len(exts); i++ {
			out = appendOne(out, nil, exts[i], typ, resource)
		}
		return out
	}
	if raw == nil {
		if exts, ok := ext.([]any); ok {
			for _, e := range exts {
				out = appendOne(out, nil, e, typ, resource)
			}
			return out
		}
	}
	return appendOne(out, raw, ext, typ, resource)
}

func appendOne(out Collection, item, ext any, typ *typeDesc, resource bool) Collection {
	em, _ := ext.(map[string]any)
	if item == nil && em == nil {
		return out
	}
	if resource || typ == nil {
		v := FromJSON(item)
		v.ext = em
		return append(out, v)
	}
	return append(out, Value{data: item, typ: typ, ext: em})
}

// singleton returns the only item of c; ok is false for an empty
// collection; more than one item is an error.
func singleton(c Collection) (Value, bool, error) {
	switch len(c) {
	case 0:
		return Value{}, false, nil
	case 1:
		return c[0], true, nil
	}
	return Value{}, false, fmt.Errorf("expected a single item, got %d", len(c))
}

// singletonBool applies the spec's singleton evaluation for a Boolean:
// empty → unknown, a Boolean → its value, any other single item → true.
func singletonBool(c Collection) (b, ok bool, err error) {
	v, ok, err := singleton(c)
	if !ok || err != nil {
		return false, false, err
	}
	if v.data == nil {
		return false, false, nil
	}
	if x, isBool := v.data.(bool); isBool {
		return x, true, nil
	}
	return true, true, nil
}

func singletonInt(c Collection) (int64, bool, error) {
	v, ok, err := singleton(c)
	if !ok || err != nil {
		return 0, false, err
	}
	s, err := v.system()
	if err != nil {
		return 0, false, err
	}
	n, isInt := s.(int64)
	if !isInt {
		return 0, false, fmt.Errorf("expected an integer, got %s", v.describe())
	}
	return n, true, nil
}

func singletonString(c Collection) (string, bool, error) {
	v, ok, err := singleton(c)
	if !ok || err != nil {
		return "", false, err
	}
	s, err := v.system()
	if err != nil {
		return "", false, err
	}
	str, isStr := s.(string)
	if !isStr {
		return "", false, fmt.Errorf("expected a string, got %s", v.describe())
	}
	return str, true, nil
}

func boolCollection(b bool) Collection { return Collection{boolValue(b)} }
