package fhirpath

import (
	"errors"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/r4"
)

// Every FHIRPath expression of the R4 search parameters parses, and so
// does its canonical form, to the same tree.
func TestSearchParamExpressionsParse(t *testing.T) {
	m := r4.Load()
	n := 0
	for _, p := range m.SearchParams {
		exprs := []string{p.Expression}
		for _, c := range p.Components {
			exprs = append(exprs, c.Expression)
		}
		for _, src := range exprs {
			if src == "" {
				continue
			}
			n++
			e, err := Parse(src)
			if err != nil {
				t.Errorf("%s (%s): %v", p.URL, src, err)
				continue
			}
			assertRoundTrip(t, src, e)
		}
		for _, base := range p.Base {
			if src := p.ExpressionFor(base); src != "" {
				if _, err := Parse(src); err != nil {
					t.Errorf("%s for %s (%s): %v", p.URL, base, src, err)
				}
			}
		}
	}
	if len(m.SearchParams) != 1378 || n < 1375 {
		t.Errorf("parsed %d expressions of %d parameters", n, len(m.SearchParams))
	}
}

func assertRoundTrip(t *testing.T, src string, e *Expr) {
	t.Helper()
	printed := e.String()
	again, err := Parse(printed)
	if err != nil {
		t.Errorf("%q printed as %q, which does not parse: %v", src, printed, err)
		return
	}
	if again.String() != printed {
		t.Errorf("%q: printed %q, reprinted %q", src, printed, again.String())
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"Patient.name.where(use='official').given", "Patient.name.where(use = 'official').given"},
		{"(1 + 2) * 3", "(1 + 2) * 3"},
		{"1 + (2 * 3)", "1 + 2 * 3"},
		{"1 - (2 - 3)", "1 - (2 - 3)"},
		{"(1 - 2) - 3", "1 - 2 - 3"},
		{"-(a.b)", "-a.b"},
		{"(-a).b", "(-a).b"},
		{"(a | b).count()", "(a | b).count()"},
		{"a is Quantity and b as FHIR.string", "a is Quantity and b as FHIR.string"},
		{"(a as Quantity).value", "(a as Quantity).value"},
		{"value.ofType(FHIR.Quantity)", "value.ofType(FHIR.Quantity)"},
		{"`div`.`a b`", "`div`.`a b`"},
		{"%`vs-x` = %y", "%`vs-x` = %y"},
		{"@2019-01-01T10:00:00Z + 3 days", "@2019-01-01T10:00:00Z + 3 days"},
		{"@2019T", "@2019T"},
		{"5 'mg' | 1 day", "5 'mg' | 1 day"},
		{"'it\\'s\\n'", "'it\\'s\\n'"},
		{"{}", "{}"},
		{"1.0", "1.0"},
		{"$this.a[0]", "$this.a[0]"},
		{"a implies (b or c) and d", "a implies (b or c) and d"},
	} {
		e, err := Parse(c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := e.String(); got != c.want {
			t.Errorf("%s printed %q, want %q", c.src, got, c.want)
		}
		assertRoundTrip(t, c.src, e)
	}
}

func TestParseTree(t *testing.T) {
	e := MustParse("Patient.name.where(use = 'official').given.first()")
	first, ok := e.Root().(*Call)
	if !ok || first.Name != "first" || len(first.Args) != 0 {
		t.Fatalf("root = %#v", e.Root())
	}
	given := first.Target.(*Member)
	where := given.Target.(*Call)
	if given.Name != "given" || where.Name != "where" || len(where.Args) != 1 {
		t.Fatalf("given/where = %#v %#v", given, where)
	}
	eq := where.Args[0].(*Binary)
	if eq.Op != "=" || eq.Left.(*Member).Name != "use" || eq.Left.(*Member).Target != nil {
		t.Fatalf("criteria = %#v", eq)
	}
	if lit := eq.Right.(*Literal); lit.Kind != StringLiteral || lit.Value != "official" || lit.Pos() != 25 {
		t.Fatalf("literal = %#v", lit)
	}
	patient := where.Target.(*Member).Target.(*Member)
	if patient.Name != "Patient" || patient.Target != nil {
		t.Fatalf("start = %#v", patient)
	}
	ts := MustParse("value.ofType(FHIR.Quantity)").Root().(*Call).Args[0].(*TypeSpecifier)
	if ts.Namespace != "FHIR" || ts.Name != "Quantity" {
		t.Errorf("type specifier = %#v", ts)
	}
	var vars []string
	Walk(MustParse("a.where(b = %x) | %y.c").Root(), func(n Node) bool {
		if v, ok := n.(*Variable); ok {
			vars = append(vars, v.Name)
		}
		return true
	})
	if strings.Join(vars, ",") != "x,y" {
		t.Errorf("variables = %v", vars)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"", "1:1: empty expression"},
		{"Patient.", "1:9: expected a name or function after '.', found end of expression"},
		{"Patient.name.where(use = 'x'", "1:29: expected ',' or ')' to close where( at 19, found end of expression"},
		{"(1 + 2", "1:7: expected ')' to close '(' at 1, found end of expression"},
		{"a[1", "1:4: expected ']' to close '[' at 2"},
		{"1 +", "1:4: expected an expression after '+'"},
		{"'abc", "1:1: unterminated string"},
		{"`abc", "1:1: unterminated delimited identifier"},
		{"'\\q'", "1:2: unknown escape sequence \\q"},
		{"@@", "1:1: expected a date"},
		{"@2019-02-31", "invalid date"},
		{"%", "1:1: expected a variable name after '%'"},
		{"$foo", "unknown special variable \"$foo\""},
		{"a # b", "1:3: unexpected character '#'"},
		{"a b", "1:3: expected an operator or end of expression, found identifier \"b\""},
		{"and", "1:1: expected an expression, found operator 'and'"},
		{"a is 5", "1:6: expected a type name, found number 5"},
		{"{ 1 }", "expected '}' after '{'"},
		{"a.ofType('x')", "1:10: ofType() expects a type name"},
		{"a.ofType(Foo)", "1:10: unknown type Foo"},
		{"a.nosuch()", "1:1: unknown function nosuch()"},
		{"a.where()", "where() takes 1 argument, got 0"},
		{"a.first(1)", "first() takes no arguments, got 1"},
		{"/* open", "unterminated comment"},
		{"a\n  .b(", "2:6: expected ',' or ')'"},
	} {
		_, err := Parse(c.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a *SyntaxError", c.src, err)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %q does not contain %q", c.src, err, c.want)
		}
	}
}

// FuzzParse checks that no input panics the parser or the printer, and that
// the printed form of what parses reads back the same.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"Patient.name.where(use = 'official').given.first()",
		"Observation.value.ofType(Quantity).value > 5.5 'mg'",
		"(a | b).select($this.c[0]) != {} and %x implies -1.5 < 2",
		"@2019-01-01T10:00:00.000+02:00 + 3 days",
		"`a b`.iif(x is FHIR.string, 'y\\u0041', @T10:30)",
		"a.b.c.extension('http://x').value as Coding",
		"1 div 2 mod 3 xor true or false",
		"/* c */ a // d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		printed := e.String()
		again, err := Parse(printed)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", src, printed, err)
		}
		if again.String() != printed {
			t.Fatalf("%q: printed %q, reprinted %q", src, printed, again.String())
		}
	})
}

// FuzzEvaluate checks that no expression that parses panics the evaluator
// over a resource with extensions, choices and contained resources.
func FuzzEvaluate(f *testing.F) {
	for _, s := range []string{
		"Patient.name.where(use = 'official').given.first()",
		"birthDate.extension.value + 1 day",
		"contained.repeat(children()).count()",
		"descendants().ofType(Quantity).lowBoundary()",
		"name.given.aggregate($total & $this, '')",
		"(1.5 / 0.3).round(2) | @2019.highBoundary() | 'a'.split('').join('-')",
		"iif(active, multipleBirth.toString().toInteger() * -2, {}).abs()",
	} {
		f.Add(s)
	}
	patient := loadJSON(f, "testdata/handmade-patient.json")
	ctx := &Context{Resolve: ReferenceStub, Vars: map[string]Collection{"x": {stringValue("x")}}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		e.EvaluateJSON(ctx, patient)
	})
}
