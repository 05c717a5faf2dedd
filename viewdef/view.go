// Package viewdef reads SQL on FHIR v2 ViewDefinitions
// (https://sql-on-fhir.org/ig/latest/StructureDefinition-ViewDefinition.html),
// validates them, and evaluates them over FHIR resources in Go with the
// fhirpath package.
//
// A compiled View keeps the definition's structure (Select trees with
// parsed FHIRPath expressions) so that a SQL compiler can walk it too.
package viewdef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// View is a compiled ViewDefinition. It is immutable and safe for
// concurrent use.
type View struct {
	Name      string // may be empty
	Resource  string // the FHIR resource type the view reads
	Constants []Constant
	Where     []*fhirpath.Expr
	Select    []*Select

	columns []Column
	vars    map[string]fhirpath.Collection
}

// Select is one select element: columns, nested selects and unionAll
// branches, evaluated for each item of its iteration (forEach,
// forEachOrNull or repeat), or once for the enclosing focus.
type Select struct {
	Path          string // where it is in the definition: select[0].select[1]
	Columns       []*Column
	Select        []*Select
	UnionAll      []*Select
	ForEach       *fhirpath.Expr   // rows for each item; none when empty
	ForEachOrNull *fhirpath.Expr   // rows for each item; one row of nulls when empty
	Repeat        []*fhirpath.Expr // items reached by the paths, recursively, depth first
}

// Column is an output column.
type Column struct {
	Name string
	// Path is the FHIRPath expression of the column; Expr its parsed form.
	Path string
	Expr *fhirpath.Expr
	// Type is the declared FHIR type (column.type), or the type inferred
	// from the path through the R4 model when not declared; empty when it
	// cannot be known before evaluation.
	Type string
	// Collection columns hold a JSON array of every value.
	Collection  bool
	Description string
	// Tags are the column's tag name/value pairs (such as ansi/type).
	Tags []Tag
}

// Tag is a column tag.
type Tag struct{ Name, Value string }

// Constant is a named constant, referenced as %name in expressions.
type Constant struct {
	Name  string
	Type  string // the FHIR primitive type of value[x]: string, integer, date, …
	Value fhirpath.Value
}

// constantTypes are the value[x] types a ViewDefinition constant may have.
var constantTypes = []string{"base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal",
	"id", "instant", "integer", "integer64", "oid", "string", "positiveInt", "time", "unsignedInt", "uri", "url", "uuid"}

var nameRule = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)

// Columns lists the output columns in order.
func (v *View) Columns() []Column { return v.columns }

// Compile reads and validates a ViewDefinition in JSON.
func Compile(data []byte) (*View, error) {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var raw any
	if err := d.Decode(&raw); err != nil {
		return nil, fmt.Errorf("viewdef: invalid JSON: %w", err)
	}
	return CompileMap(raw)
}

// CompileMap validates a ViewDefinition already decoded from JSON (with
// UseNumber, so numbers are json.Number).
func CompileMap(raw any) (*View, error) {
	c := &compiler{}
	v, err := c.view(raw)
	if err != nil {
		return nil, fmt.Errorf("viewdef: %w", err)
	}
	return v, nil
}

type compiler struct {
	constants map[string]bool
}

type object map[string]any

func asObject(at string, v any) (object, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected an object, got %s", at, jsonKind(v))
	}
	return m, nil
}

func jsonKind(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("string %q", x)
	case json.Number:
		return "number " + string(x)
	case float64:
		return fmt.Sprintf("number %v", x)
	case bool:
		return fmt.Sprintf("boolean %v", x)
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// only checks that o has no keys but the allowed ones.
func (o object) only(at string, allowed ...string) error {
	allowed = append(allowed, "id", "extension", "modifierExtension")
	var extra []string
	for k := range o {
		if !slices.Contains(allowed, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("%s: unknown element %q (allowed: %s)", at, extra[0], strings.Join(allowed, ", "))
	}
	return nil
}

func (o object) str(at, key string, required bool) (string, error) {
	v, ok := o[key]
	if !ok {
		if required {
			return "", fmt.Errorf("%s: %s is required", at, key)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s.%s: expected a string, got %s", at, key, jsonKind(v))
	}
	if required && s == "" {
		return "", fmt.Errorf("%s.%s: must not be empty", at, key)
	}
	return s, nil
}

func (o object) array(at, key string) ([]any, error) {
	v, ok := o[key]
	if !ok {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s.%s: expected an array, got %s", at, key, jsonKind(v))
	}
	return a, nil
}

func (c *compiler) view(raw any) (*View, error) {
	o, err := asObject("ViewDefinition", raw)
	if err != nil {
		return nil, err
	}
	if err := o.only("ViewDefinition", "resourceType", "url", "identifier", "name", "title", "meta", "text",
		"version", "status", "experimental", "publisher", "contact", "description", "useContext",
		"copyright", "resource", "fhirVersion", "constant", "select", "where", "language", "implicitRules", "contained"); err != nil {
		return nil, err
	}
	if rt, ok := o["resourceType"]; ok && rt != "ViewDefinition" {
		return nil, fmt.Errorf("resourceType is %s, want \"ViewDefinition\"", jsonKind(rt))
	}
	v := &View{}
	if v.Resource, err = o.str("ViewDefinition", "resource", true); err != nil {
		return nil, err
	}
	if !r4.Load().IsResource(v.Resource) {
		return nil, fmt.Errorf("resource: %q is not a FHIR R4 resource type", v.Resource)
	}
	if v.Name, err = o.str("ViewDefinition", "name", false); err != nil {
		return nil, err
	}
	if v.Name != "" && !nameRule.MatchString(v.Name) {
		return nil, fmt.Errorf("name: %q must start with a letter and hold only letters, digits and _", v.Name)
	}
	if status, err := o.str("ViewDefinition", "status", false); err != nil {
		return nil, err
	} else if status != "" && !slices.Contains([]string{"draft", "active", "retired", "unknown"}, status) {
		return nil, fmt.Errorf("status: %q is not one of draft, active, retired, unknown", status)
	}
	if err := c.readConstants(o, v); err != nil {
		return nil, err
	}
	wheres, err := o.array("ViewDefinition", "where")
	if err != nil {
		return nil, err
	}
	for i, w := range wheres {
		at := fmt.Sprintf("where[%d]", i)
		wo, err := asObject(at, w)
		if err != nil {
			return nil, err
		}
		if err := wo.only(at, "path", "description"); err != nil {
			return nil, err
		}
		e, err := c.expr(at, wo, "path", true)
		if err != nil {
			return nil, err
		}
		v.Where = append(v.Where, e)
	}
	selects, err := o.array("ViewDefinition", "select")
	if err != nil {
		return nil, err
	}
	if len(selects) == 0 {
		return nil, fmt.Errorf("select: at least one select is required")
	}
	ctx := fhirpath.ResourceStatic(v.Resource)
	for i, s := range selects {
		sel, err := c.selectNode(fmt.Sprintf("select[%d]", i), s, ctx, v)
		if err != nil {
			return nil, err
		}
		v.Select = append(v.Select, sel)
	}
	v.columns = columnsOf(v.Select)
	seen := map[string]bool{}
	for _, col := range v.columns {
		if seen[col.Name] {
			return nil, fmt.Errorf("column %q is defined more than once; column names must be unique", col.Name)
		}
		seen[col.Name] = true
	}
	return v, nil
}

func (c *compiler) readConstants(o object, v *View) error {
	list, err := o.array("ViewDefinition", "constant")
	if err != nil {
		return err
	}
	c.constants = map[string]bool{}
	v.vars = map[string]fhirpath.Collection{}
	for i, raw := range list {
		at := fmt.Sprintf("constant[%d]", i)
		co, err := asObject(at, raw)
		if err != nil {
			return err
		}
		name, err := co.str(at, "name", true)
		if err != nil {
			return err
		}
		if !nameRule.MatchString(name) {
			return fmt.Errorf("%s.name: %q must start with a letter and hold only letters, digits and _", at, name)
		}
		if c.constants[name] || reservedVariables[name] {
			return fmt.Errorf("%s.name: %q is already defined", at, name)
		}
		var found []string
		for k := range co {
			if strings.HasPrefix(k, "value") {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			return fmt.Errorf("%s: a constant needs exactly one value[x] (valueString, valueInteger, …), found %d", at, len(found))
		}
		typ := strings.TrimPrefix(found[0], "value")
		if typ != "" {
			typ = strings.ToLower(typ[:1]) + typ[1:]
		}
		if !slices.Contains(constantTypes, typ) {
			return fmt.Errorf("%s.%s: %s is not a constant type (allowed: %s)", at, found[0], typ, strings.Join(constantTypes, ", "))
		}
		if err := co.only(at, "name", found[0]); err != nil {
			return err
		}
		raw := co[found[0]]
		if err := checkJSONKind(typ, raw); err != nil {
			return fmt.Errorf("%s.%s: %w", at, found[0], err)
		}
		val, err := fhirpath.Typed(raw, typ)
		if err != nil {
			return fmt.Errorf("%s.%s: %w", at, found[0], err)
		}
		c.constants[name] = true
		v.Constants = append(v.Constants, Constant{Name: name, Type: typ, Value: val})
		v.vars[name] = fhirpath.Collection{val}
	}
	return nil
}

// checkJSONKind checks that a constant's JSON value has the kind its FHIR
// type needs.
func checkJSONKind(typ string, raw any) error {
	switch typ {
	case "boolean":
		if _, ok := raw.(bool); !ok {
			return fmt.Errorf("expected a boolean, got %s", jsonKind(raw))
		}
	case "integer", "positiveInt", "unsignedInt", "decimal":
		n, ok := raw.(json.Number)
		if !ok {
			return fmt.Errorf("expected a number, got %s", jsonKind(raw))
		}
		if typ != "decimal" && strings.ContainsAny(string(n), ".eE") {
			return fmt.Errorf("expected an integer, got %s", n)
		}
		if (typ == "positiveInt" && strings.HasPrefix(string(n), "-")) || (typ == "positiveInt" && n == "0") || (typ == "unsignedInt" && strings.HasPrefix(string(n), "-")) {
			return fmt.Errorf("%s out of range for %s", n, typ)
		}
	default:
		if _, ok := raw.(string); !ok {
			return fmt.Errorf("expected a string, got %s", jsonKind(raw))
		}
	}
	return nil
}

// reservedVariables are the variables every view may use besides its
// constants; constants cannot take their names.
var reservedVariables = map[string]bool{
	"rowIndex": true, "resource": true, "rootResource": true, "context": true,
}

// standardVariables are the FHIRPath constants of FHIR (%ucum, …); a view
// constant of the same name replaces them.
var standardVariables = map[string]bool{"ucum": true, "sct": true, "loinc": true}

// expr parses the FHIRPath expression in o[key] and checks the variables
// it uses.
func (c *compiler) expr(at string, o object, key string, required bool) (*fhirpath.Expr, error) {
	raw, ok := o[key]
	if !ok {
		if required {
			return nil, fmt.Errorf("%s: %s is required", at, key)
		}
		return nil, nil
	}
	src, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf("%s.%s: expected a FHIRPath expression (string), got %s", at, key, jsonKind(raw))
	}
	e, err := fhirpath.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s.%s: %w", at, key, err)
	}
	var undefined error
	fhirpath.Walk(e.Root(), func(n fhirpath.Node) bool {
		if v, ok := n.(*fhirpath.Variable); ok && undefined == nil {
			if !c.constants[v.Name] && !reservedVariables[v.Name] && !standardVariables[v.Name] &&
				!strings.HasPrefix(v.Name, "vs-") && !strings.HasPrefix(v.Name, "ext-") {
				undefined = fmt.Errorf("%s.%s: %%%s is not a constant of the view (at offset %d of %q)", at, key, v.Name, v.At, src)
			}
		}
		return true
	})
	if undefined != nil {
		return nil, undefined
	}
	return e, nil
}

func (c *compiler) selectNode(at string, raw any, ctx fhirpath.Static, v *View) (*Select, error) {
	o, err := asObject(at, raw)
	if err != nil {
		return nil, err
	}
	if err := o.only(at, "column", "select", "forEach", "forEachOrNull", "repeat", "unionAll"); err != nil {
		return nil, err
	}
	s := &Select{Path: at}
	iterations := 0
	for _, k := range []string{"forEach", "forEachOrNull", "repeat"} {
		if _, ok := o[k]; ok {
			iterations++
		}
	}
	if iterations > 1 {
		return nil, fmt.Errorf("%s: use only one of forEach, forEachOrNull and repeat", at)
	}
	if s.ForEach, err = c.expr(at, o, "forEach", false); err != nil {
		return nil, err
	}
	if s.ForEachOrNull, err = c.expr(at, o, "forEachOrNull", false); err != nil {
		return nil, err
	}
	switch {
	case s.ForEach != nil:
		ctx = s.ForEach.Infer(ctx, v.staticVars()).Single()
	case s.ForEachOrNull != nil:
		ctx = s.ForEachOrNull.Infer(ctx, v.staticVars()).Single()
	}
	repeat, err := o.array(at, "repeat")
	if err != nil {
		return nil, err
	}
	if _, ok := o["repeat"]; ok && len(repeat) == 0 {
		return nil, fmt.Errorf("%s.repeat: at least one path is required", at)
	}
	for i, r := range repeat {
		e, err := c.expr(at+".repeat", object{fmt.Sprint(i): r}, fmt.Sprint(i), true)
		if err != nil {
			return nil, err
		}
		s.Repeat = append(s.Repeat, e)
	}
	if len(s.Repeat) > 0 {
		ctx = s.Repeat[0].Infer(ctx, v.staticVars()).Single()
	}
	columns, err := o.array(at, "column")
	if err != nil {
		return nil, err
	}
	for i, raw := range columns {
		col, err := c.column(fmt.Sprintf("%s.column[%d]", at, i), raw, ctx, v)
		if err != nil {
			return nil, err
		}
		s.Columns = append(s.Columns, col)
	}
	nested, err := o.array(at, "select")
	if err != nil {
		return nil, err
	}
	for i, raw := range nested {
		sel, err := c.selectNode(fmt.Sprintf("%s.select[%d]", at, i), raw, ctx, v)
		if err != nil {
			return nil, err
		}
		s.Select = append(s.Select, sel)
	}
	union, err := o.array(at, "unionAll")
	if err != nil {
		return nil, err
	}
	for i, raw := range union {
		sel, err := c.selectNode(fmt.Sprintf("%s.unionAll[%d]", at, i), raw, ctx, v)
		if err != nil {
			return nil, err
		}
		s.UnionAll = append(s.UnionAll, sel)
	}
	if len(s.UnionAll) > 0 {
		first := columnNames(columnsOf(s.UnionAll[:1]))
		for i, b := range s.UnionAll[1:] {
			if names := columnNames(columnsOf([]*Select{b})); !slices.Equal(names, first) {
				return nil, fmt.Errorf("%s.unionAll[%d]: columns (%s) differ from those of unionAll[0] (%s); every branch needs the same columns in the same order",
					at, i+1, strings.Join(names, ", "), strings.Join(first, ", "))
			}
		}
	}
	if len(s.Columns) == 0 && len(s.Select) == 0 && len(s.UnionAll) == 0 {
		return nil, fmt.Errorf("%s: a select needs a column, a select or a unionAll", at)
	}
	return s, nil
}

func (c *compiler) column(at string, raw any, ctx fhirpath.Static, v *View) (*Column, error) {
	o, err := asObject(at, raw)
	if err != nil {
		return nil, err
	}
	if err := o.only(at, "name", "path", "description", "collection", "type", "tag"); err != nil {
		return nil, err
	}
	col := &Column{}
	if col.Name, err = o.str(at, "name", true); err != nil {
		return nil, err
	}
	if !nameRule.MatchString(col.Name) {
		return nil, fmt.Errorf("%s.name: %q must start with a letter and hold only letters, digits and _", at, col.Name)
	}
	if col.Expr, err = c.expr(at, o, "path", true); err != nil {
		return nil, err
	}
	col.Path = col.Expr.Source()
	if col.Description, err = o.str(at, "description", false); err != nil {
		return nil, err
	}
	if raw, ok := o["collection"]; ok {
		b, ok := raw.(bool)
		if !ok {
			return nil, fmt.Errorf("%s.collection: expected a boolean, got %s", at, jsonKind(raw))
		}
		col.Collection = b
	}
	if col.Type, err = o.str(at, "type", false); err != nil {
		return nil, err
	}
	if col.Type != "" && fhirpathType(col.Type) == "" {
		return nil, fmt.Errorf("%s.type: %q is not a FHIR type", at, col.Type)
	}
	if col.Type == "" {
		if t := col.Expr.Infer(ctx, v.staticVars()); t.Known() {
			col.Type = t.FHIRType()
		}
	}
	tags, err := o.array(at, "tag")
	if err != nil {
		return nil, err
	}
	for i, raw := range tags {
		tat := fmt.Sprintf("%s.tag[%d]", at, i)
		to, err := asObject(tat, raw)
		if err != nil {
			return nil, err
		}
		if err := to.only(tat, "name", "value"); err != nil {
			return nil, err
		}
		name, err := to.str(tat, "name", true)
		if err != nil {
			return nil, err
		}
		value, err := to.str(tat, "value", true)
		if err != nil {
			return nil, err
		}
		col.Tags = append(col.Tags, Tag{name, value})
	}
	return col, nil
}

// fhirpathType returns the type name when it is a FHIR type.
func fhirpathType(name string) string {
	if r4.Load().Type(name) != nil {
		return name
	}
	return ""
}

func (v *View) staticVars() map[string]fhirpath.Static {
	out := map[string]fhirpath.Static{"rowIndex": fhirpath.SystemStatic("Integer")}
	for _, c := range v.Constants {
		out[c.Name] = fhirpath.FHIRStatic(c.Type)
	}
	return out
}

// columnsOf lists the columns of selects in output order: a select's own
// columns, then those of its nested selects, then those of its first
// unionAll branch.
func columnsOf(selects []*Select) []Column {
	var out []Column
	for _, s := range selects {
		for _, c := range s.Columns {
			out = append(out, *c)
		}
		out = append(out, columnsOf(s.Select)...)
		if len(s.UnionAll) > 0 {
			out = append(out, columnsOf(s.UnionAll[:1])...)
		}
	}
	return out
}

func columnNames(cols []Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}
