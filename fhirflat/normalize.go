package fhirflat

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fhirlake/fhirlake/r4"
)

// Level is how thoroughly a resource is checked on the way in; the names
// are HealthLake's import validation levels.
type Level uint8

const (
	// Minimal: the resource must fit the columns (known elements, values of
	// the right JSON kind, instants and numbers that parse).
	Minimal Level = iota
	// StructureOnly adds the lexical form of every primitive (dates, ids,
	// codes, uris, ...).
	StructureOnly
	// Strict adds required elements and the codes of required bindings.
	Strict
)

// ParseLevel reads a HealthLake validation level name.
func ParseLevel(s string) (Level, error) {
	switch strings.ToLower(s) {
	case "", "strict":
		return Strict, nil
	case "structure-only", "structure_only":
		return StructureOnly, nil
	case "minimal":
		return Minimal, nil
	}
	return Strict, fmt.Errorf("unknown validation level %q (strict, structure-only or minimal)", s)
}

// Issue is one problem found in a resource, at a FHIRPath location.
type Issue struct {
	Code    string // OperationOutcome issue type: structure, value, required, code-invalid, invalid, not-supported
	Path    string // e.g. Patient.name[0].given[1]
	Message string
}

// Error lists the problems that stop a resource from being stored.
type Error struct{ Issues []Issue }

func (e *Error) Error() string {
	var b strings.Builder
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString("; ")
		}
		if is.Path != "" {
			b.WriteString(is.Path)
			b.WriteString(": ")
		}
		b.WriteString(is.Message)
	}
	return b.String()
}

func singleIssue(code, path, msg string) *Error {
	return &Error{Issues: []Issue{{Code: code, Path: path, Message: msg}}}
}

const maxIssues = 20

// Row is a checked resource in the layout of its table: Row.JSON is an
// object whose keys are the table's columns (id and the FHIR elements, not
// version_id and last_updated), which DuckDB's json_transform turns into
// the typed columns.
type Row struct {
	Schema  *Schema
	Type    string
	ID      string // empty when the resource has none
	JSON    []byte
	Present Bits // the fields the row has values for
}

// Normalizer checks resources and writes their Rows. It reuses its
// buffers and is not safe for concurrent use; use one per goroutine.
type Normalizer struct {
	b       *Builder
	level   Level
	doc     doc
	issues  []Issue
	paths   []elemPath // by depth, see elemPath
	out     []byte
	present Bits
	choices []choiceUse // of the objects being laid out, innermost last
}

// choiceUse is a choice element an object holds: its stem ("value") and
// the JSON name it used ("valueQuantity").
type choiceUse struct{ stem, key string }

// usedChoice gives the JSON name the object whose uses start at base used
// for stem.
func (n *Normalizer) usedChoice(base int, stem string) (string, bool) {
	for _, c := range n.choices[base:] {
		if c.stem == stem {
			return c.key, true
		}
	}
	return "", false
}

// NewNormalizer returns a Normalizer checking at the given level.
func (b *Builder) NewNormalizer(level Level) *Normalizer {
	return &Normalizer{b: b, level: level}
}

// Normalize parses, checks and lays out one resource. The returned Row's
// JSON is valid until the next call. Errors are *Error.
func (n *Normalizer) Normalize(src []byte) (*Row, error) { return n.NormalizeAs(src, "", "") }

// NormalizeAs is Normalize for a resource that must be of one type (the
// type in the URL of a FHIR interaction; "" accepts any type). A non-empty
// id replaces the resource's own (a create gets the id the server gives).
func (n *Normalizer) NormalizeAs(src []byte, resourceType, id string) (*Row, error) {
	if err := parseDoc(src, &n.doc); err != nil {
		return nil, singleIssue("structure", "", err.Error())
	}
	d := &n.doc
	root := d.root()
	n.issues = n.issues[:0]
	n.choices = n.choices[:0]
	if d.nodes[root].kind != kObject {
		return nil, singleIssue("structure", "", "a resource must be a JSON object")
	}
	rtNode := d.get(root, "resourceType")
	if rtNode < 0 || d.nodes[rtNode].kind != kString {
		return nil, singleIssue("required", "", "resourceType is missing")
	}
	rt := d.nodes[rtNode].str // checked against the schemas, then their name is kept
	if resourceType != "" && rt != resourceType {
		return nil, singleIssue("invalid", strings.Clone(rt), fmt.Sprintf("resourceType %q does not match the type %q of the request", rt, resourceType))
	}
	schema, err := n.b.Schema(rt)
	if err != nil {
		return nil, singleIssue("not-supported", "", fmt.Sprintf("%q is not an R4 resource type", rt))
	}
	rt = schema.ResourceType
	row := &Row{Schema: schema, Type: rt, Present: NewBits(schema)}
	n.present = row.Present
	n.out = n.out[:0]
	n.out = append(n.out, '{')
	if id != "" {
		row.ID = id
		n.out = append(n.out, `"id":`...)
		n.out = appendQuoted(n.out, id)
	} else if idNode := d.get(root, "id"); idNode >= 0 {
		if d.nodes[idNode].kind != kString || !checkID(d.nodes[idNode].str) {
			n.issue("value", rt+".id", "id must be 1-64 characters of A-Z a-z 0-9 - .")
		} else {
			row.ID = strings.Clone(d.nodes[idNode].str)
			n.out = append(n.out, `"id":`...)
			n.out = append(n.out, d.raw(idNode)...)
		}
	}
	n.object(root, n.root(rt), schema.Fields, schema.byName, true, row.ID != "")
	if len(n.issues) > 0 {
		return nil, &Error{Issues: slices.Clone(n.issues)}
	}
	row.JSON = n.out
	return row, nil
}

func (n *Normalizer) issue(code, path, msg string) {
	if len(n.issues) < maxIssues {
		n.issues = append(n.issues, Issue{Code: code, Path: path, Message: msg})
	}
}

// key writes ,"name": (or "name": as the first member).
func (n *Normalizer) key(name string, started *bool) {
	if *started {
		n.out = append(n.out, ',')
	}
	*started = true
	n.out = appendQuoted(n.out, name)
	n.out = append(n.out, ':')
}

// object writes the members of a JSON object laid out as fields; the
// caller has written the opening brace, object writes the closing one.
func (n *Normalizer) object(obj int32, path *elemPath, fields []*Field, byName map[string]*Field, isResource, started bool) {
	d := &n.doc
	nd := d.nodes[obj]
	choices := len(n.choices) // this object's uses are n.choices[choices:]
	var prim []byte           // members of _primitive
	addPrim := func(key string, raw []byte) {
		if prim != nil {
			prim = append(prim, ',')
		}
		prim = appendQuoted(prim, key)
		prim = append(prim, ':')
		prim = append(prim, raw...)
	}
	for j := int32(0); j < nd.n; j++ {
		key, v := d.member(obj, j)
		if isResource {
			switch key {
			case "resourceType", "id":
				continue
			case "meta":
				n.meta(v, n.member(path, "meta"), byName["meta"], &started)
				continue
			}
		}
		if strings.HasPrefix(key, "_") {
			name := key[1:]
			fld := byName[name]
			if fld == nil || fld.Kind != Primitive {
				n.issue("structure", path.child(key), fmt.Sprintf("unknown element %q", key))
				continue
			}
			n.primitiveExt(v, path.child(key), fld.Many)
			addPrim(key, appendCompact(nil, d.raw(v)))
			continue
		}
		fld := byName[key]
		if fld == nil {
			if open := openChoiceFor(key, fields); open != nil {
				if !allowedChoice(open, choiceSuffix(key, open.Choice)) {
					n.issue("structure", path.child(key), fmt.Sprintf("%q is not an allowed type for %s[x]", choiceSuffix(key, open.Choice), open.Choice))
					continue
				}
				if prev, dup := n.usedChoice(choices, open.Choice); dup {
					n.issue("structure", path.child(key), fmt.Sprintf("only one of the %s[x] choices may be present, found %s and %s", open.Choice, prev, key))
					continue
				}
				n.choices = append(n.choices, choiceUse{open.Choice, key})
				if d.nodes[v].kind == kNull {
					n.issue("structure", path.child(key), "null is not allowed")
					continue
				}
				// kept as {"valueX": ...} under the stem
				n.present.Set(open.Seq)
				n.key(open.Name, &started)
				n.out = append(n.out, '{')
				n.out = appendQuoted(n.out, key)
				n.out = append(n.out, ':')
				n.out = appendCompact(n.out, d.raw(v))
				n.out = append(n.out, '}')
				continue
			}
		}
		if fld == nil || fld.Name == PrimitiveExtField {
			n.issue("structure", path.child(key), unknownMessage(key, fields))
			continue
		}
		if fld.Choice != "" {
			if prev, dup := n.usedChoice(choices, fld.Choice); dup {
				n.issue("structure", path.child(key), fmt.Sprintf("only one of the %s[x] choices may be present, found %s and %s", fld.Choice, prev, key))
				continue
			}
			n.choices = append(n.choices, choiceUse{fld.Choice, key})
		}
		// After an issue the output is discarded, so a bad value may leave
		// it incomplete.
		n.present.Set(fld.Seq)
		n.key(key, &started)
		if residue, ok := n.field(v, n.member(path, key), fld); ok && residue != nil {
			addPrim(key, residue)
		}
	}
	if n.level >= Strict {
		n.required(obj, path, fields, choices)
	}
	if prim != nil {
		n.present.Set(byName[PrimitiveExtField].Seq)
		n.key(PrimitiveExtField, &started)
		n.out = append(n.out, '{')
		n.out = append(n.out, prim...)
		n.out = append(n.out, '}')
	}
	n.out = append(n.out, '}')
	n.choices = n.choices[:choices]
}

// required reports the required fields an object lacks; its choices are
// n.choices[choices:].
func (n *Normalizer) required(obj int32, path *elemPath, fields []*Field, choices int) {
	d := &n.doc
	reported := map[string]bool{}
	for _, fld := range fields {
		if fld.Min == 0 {
			continue
		}
		name := fld.Name
		if fld.Choice != "" {
			name = fld.Choice + "[x]"
			if _, used := n.usedChoice(choices, fld.Choice); used || reported[name] {
				continue
			}
		} else if d.get(obj, fld.Name) >= 0 || (fld.Kind == Primitive && d.get(obj, "_"+fld.Name) >= 0) {
			continue
		}
		reported[name] = true
		n.issue("required", path.child(name), fmt.Sprintf("%s is required", name))
	}
}

func unknownMessage(key string, fields []*Field) string {
	for _, f := range fields {
		if f.Choice != "" && choiceSuffix(key, f.Choice) != "" {
			return fmt.Sprintf("%q is not an allowed type for %s[x]", choiceSuffix(key, f.Choice), f.Choice)
		}
	}
	return fmt.Sprintf("unknown element %q", key)
}

// openChoiceFor returns the JSON-kept choice field that key (valueX) belongs to.
func openChoiceFor(key string, fields []*Field) *Field {
	for _, f := range fields {
		if f.Kind == JSON && f.Choice != "" && choiceSuffix(key, f.Choice) != "" {
			return f
		}
	}
	return nil
}

// choiceSuffix returns X of stemX, or "".
func choiceSuffix(key, stem string) string {
	if len(key) > len(stem) && strings.HasPrefix(key, stem) && key[len(stem)] >= 'A' && key[len(stem)] <= 'Z' {
		return key[len(stem):]
	}
	return ""
}

// allowedChoice reports whether a choice element allows the type whose JSON
// suffix is given (Quantity, String, DateTime, ...).
func allowedChoice(fld *Field, suffix string) bool {
	for _, t := range fld.Elem.Types {
		if r4.ChoiceName("", t.Code) == suffix {
			return true
		}
	}
	return false
}

// meta writes Resource.meta without versionId and lastUpdated, which the
// server sets and keeps in the version_id and last_updated columns.
func (n *Normalizer) meta(v int32, path *elemPath, fld *Field, started *bool) {
	d := &n.doc
	nd := d.nodes[v]
	if nd.kind != kObject {
		n.issue("structure", path.String(), "meta must be an object")
		return
	}
	var kept []int32
	for j := int32(0); j < nd.n; j++ {
		switch key, _ := d.member(v, j); key {
		case "versionId", "lastUpdated", "_versionId", "_lastUpdated":
		default:
			kept = append(kept, j)
		}
	}
	if len(kept) == 0 {
		return
	}
	n.present.Set(fld.Seq)
	n.key("meta", started)
	n.out = append(n.out, '{')
	n.object(d.subObject(v, kept), path, fld.Fields, fld.byName, false, false)
}

// elemPath is the path of an element for issues, joined only when an
// issue names it (most values have none): the enclosing element's path,
// ".key" (the resource type alone at the root), then "[index]" when index
// is not negative. The normalizer keeps one per depth (paths), so walking
// a resource allocates none.
type elemPath struct {
	up    *elemPath
	key   string
	index int
	depth int
}

func (p *elemPath) String() string {
	s := p.key
	if p.up != nil {
		s = p.up.String() + "." + s
	}
	if p.index >= 0 {
		s += "[" + strconv.Itoa(p.index) + "]"
	}
	return s
}

// child is the path of a member of the object at p, as a string.
func (p *elemPath) child(key string) string { return p.String() + "." + key }

// root starts the paths of a resource of type rt.
func (n *Normalizer) root(rt string) *elemPath {
	if n.paths == nil {
		n.paths = make([]elemPath, maxJSONDepth+2) // an element is at most as deep as its JSON
	}
	n.paths[0] = elemPath{key: rt, index: -1}
	return &n.paths[0]
}

// member is the path of the member key of the object at p. It takes the
// slot of p's depth + 1, so it is valid until the next sibling's.
func (n *Normalizer) member(p *elemPath, key string) *elemPath {
	c := &n.paths[p.depth+1]
	*c = elemPath{up: p, key: key, index: -1, depth: p.depth + 1}
	return c
}

// field writes the value of one field. It returns the literal to keep in
// _primitive when the column cannot reproduce it, and false when the value
// was rejected.
func (n *Normalizer) field(v int32, p *elemPath, fld *Field) (residue []byte, ok bool) {
	d := &n.doc
	nd := d.nodes[v]
	if nd.kind == kNull {
		n.issue("structure", p.String(), "null is not allowed")
		return nil, false
	}
	if fld.Many && nd.kind != kArray {
		n.issue("structure", p.String(), fmt.Sprintf("%s must be an array", fld.Name))
		return nil, false
	}
	if !fld.Many && nd.kind == kArray {
		n.issue("structure", p.String(), fmt.Sprintf("%s must be a single value, not an array", fld.Name))
		return nil, false
	}
	if fld.Kind == JSON {
		n.out = appendCompact(n.out, d.raw(v))
		return nil, true
	}
	if !fld.Many {
		return n.single(v, p, fld)
	}
	if nd.n == 0 {
		n.issue("structure", p.String(), "empty arrays are not allowed")
		return nil, false
	}
	n.out = append(n.out, '[')
	var residues [][]byte
	good := true
	for j := int32(0); j < nd.n; j++ {
		if j > 0 {
			n.out = append(n.out, ',')
		}
		e := d.elem(v, j)
		p.index = int(j)
		ep := p
		switch d.nodes[e].kind {
		case kNull:
			if fld.Kind != Primitive {
				n.issue("structure", ep.String(), "null is not allowed")
				good = false
			}
			n.out = append(n.out, "null"...)
			continue
		case kArray:
			n.issue("structure", ep.String(), "nested arrays are not allowed")
			good = false
			n.out = append(n.out, "null"...)
			continue
		}
		r, ok := n.single(e, ep, fld)
		if !ok {
			good = false
			n.out = append(n.out, "null"...)
		}
		if r != nil {
			if residues == nil {
				residues = make([][]byte, nd.n)
			}
			residues[j] = r
		}
	}
	n.out = append(n.out, ']')
	if residues != nil {
		b := []byte{'['}
		for j, r := range residues {
			if j > 0 {
				b = append(b, ',')
			}
			if r == nil {
				r = []byte("null")
			}
			b = append(b, r...)
		}
		residue = append(b, ']')
	}
	return residue, good
}

// single writes one (non-array) Primitive or Struct value.
func (n *Normalizer) single(v int32, p *elemPath, fld *Field) (residue []byte, ok bool) {
	d := &n.doc
	nd := d.nodes[v]
	if fld.Kind == Struct {
		if nd.kind != kObject {
			n.issue("structure", p.String(), fmt.Sprintf("%s must be an object (%s), not a %s", fld.Name, fld.Type, nd.kind))
			return nil, false
		}
		if nd.n == 0 {
			n.issue("structure", p.String(), "empty objects are not allowed")
			return nil, false
		}
		before := len(n.issues)
		n.out = append(n.out, '{')
		n.object(v, p, fld.Fields, fld.byName, false, false)
		return nil, len(n.issues) == before
	}
	lit, ok := n.primitive(v, p, fld)
	if ok {
		n.out = append(n.out, d.raw(v)...)
	}
	return lit, ok
}

// primitive checks a FHIR primitive value. It returns, as a JSON string,
// the literal to keep when the column's canonical rendering differs from it
// (an instant with a zone offset, a decimal such as 1.50).
func (n *Normalizer) primitive(v int32, p *elemPath, fld *Field) ([]byte, bool) {
	d := &n.doc
	nd := d.nodes[v]
	switch fld.Type {
	case "boolean":
		if nd.kind != kTrue && nd.kind != kFalse {
			n.issue("structure", p.String(), fmt.Sprintf("%s must be a JSON boolean, not a %s", fld.Name, nd.kind))
			return nil, false
		}
		return nil, true
	case "integer", "positiveInt", "unsignedInt":
		raw := string(d.raw(v))
		if nd.kind != kNumber {
			n.issue("structure", p.String(), fmt.Sprintf("%s must be a JSON number (%s), not a %s", fld.Name, fld.Type, nd.kind))
			return nil, false
		}
		i, err := strconv.ParseInt(raw, 10, 32)
		if err != nil {
			n.issue("value", p.String(), fmt.Sprintf("%s is not a valid %s (a whole number from -2147483648 to 2147483647)", raw, fld.Type))
			return nil, false
		}
		if fld.Type == "positiveInt" && i < 1 || fld.Type == "unsignedInt" && i < 0 {
			n.issue("value", p.String(), fmt.Sprintf("%s is not a valid %s", raw, fld.Type))
			return nil, false
		}
		return nil, true
	case "decimal":
		if nd.kind != kNumber {
			n.issue("structure", p.String(), fmt.Sprintf("%s must be a JSON number (decimal), not a %s", fld.Name, nd.kind))
			return nil, false
		}
		raw := d.raw(v)
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || math.IsInf(x, 0) {
			n.issue("value", p.String(), fmt.Sprintf("%s is out of the range of a decimal", raw))
			return nil, false
		}
		if FormatDecimal(x) != string(raw) {
			return strconv.AppendQuote(nil, string(raw)), true
		}
		return nil, true
	}
	if nd.kind != kString {
		n.issue("structure", p.String(), fmt.Sprintf("%s must be a JSON string (%s), not a %s", fld.Name, fld.Type, nd.kind))
		return nil, false
	}
	s := nd.str
	if s == "" {
		n.issue("value", p.String(), "empty strings are not allowed")
		return nil, false
	}
	if fld.Type == "instant" {
		t, ok := parseInstant(s)
		if !ok {
			n.issue("value", p.String(), fmt.Sprintf("%q is not a valid instant (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))", clip(s)))
			return nil, false
		}
		if FormatInstant(t) != s {
			return d.raw(v), true
		}
		return nil, true
	}
	if n.level >= StructureOnly {
		if ok, want := checkPrimitiveString(fld.Type, s); !ok {
			n.issue("value", p.String(), fmt.Sprintf("%q is not %s", clip(s), want))
			return nil, false
		}
	}
	if n.level >= Strict && fld.Codes != nil && !slices.Contains(fld.Codes, s) {
		n.issue("code-invalid", p.String(), fmt.Sprintf("%q is not one of the codes allowed for %s: %s", clip(s), fld.Path, strings.Join(fld.Codes, ", ")))
		return nil, false
	}
	return nil, true
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// primitiveExt checks the _name sibling of a primitive: an object with id
// and extension, or for a list, an array of such objects and nulls.
func (n *Normalizer) primitiveExt(v int32, path string, many bool) {
	d := &n.doc
	check := func(e int32, p string) {
		if d.nodes[e].kind != kObject {
			n.issue("structure", p, "a primitive's extension element must be an object")
			return
		}
		ne := d.nodes[e]
		for j := int32(0); j < ne.n; j++ {
			if key, _ := d.member(e, j); key != "id" && key != "extension" {
				n.issue("structure", p+"."+key, fmt.Sprintf("unknown element %q", key))
			}
		}
	}
	if !many {
		check(v, path)
		return
	}
	nd := d.nodes[v]
	if nd.kind != kArray {
		n.issue("structure", path, "must be an array")
		return
	}
	for j := int32(0); j < nd.n; j++ {
		if e := d.elem(v, j); d.nodes[e].kind != kNull {
			check(e, path+"["+strconv.Itoa(int(j))+"]")
		}
	}
}
