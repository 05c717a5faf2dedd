package fhirsql

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// exprResources are hand-written resources that exercise the corners of
// the compiler: primitive lists with gaps, partial dates, choices, open
// choices and recursion kept as JSON, extensions, contained resources.
var exprResources = []string{
	`{"resourceType":"Patient","id":"p1","meta":{"profile":["http://x/p"],"tag":[{"system":"s","code":"t"}]},
	  "extension":[{"url":"http://x/race","extension":[{"url":"ombCategory","valueCoding":{"system":"urn:oid:2.16","code":"2106-3"}},{"url":"text","valueString":"White"}]},
	               {"url":"http://x/birthPlace","valueAddress":{"city":"Boston"}},{"url":"http://x/score","valueDecimal":1.50}],
	  "identifier":[{"type":{"coding":[{"code":"MR"}]},"system":"http://h","value":"M1"},{"system":"http://ssn","value":"999"}],
	  "active":true,
	  "name":[{"use":"official","family":"Alpha","given":["Jim","Bob"]},{"use":"usual","given":["Jimmy"],"_given":[{"extension":[{"url":"http://x/n","valueString":"n"}]}]},{"family":"Gamma"}],
	  "telecom":[{"system":"phone","value":"555-1"},{"system":"email","value":"a@b.c"},{"system":"phone","value":"556-2"}],
	  "gender":"male","birthDate":"1978-03","deceasedBoolean":false,
	  "address":[{"line":["1 Main St","Apt 2"],"city":"Springfield","period":{"start":"2001-02-03T04:05:06+02:00"}}],
	  "multipleBirthInteger":2,
	  "contained":[{"resourceType":"Practitioner","id":"pr1","name":[{"family":"Welby"}]},{"resourceType":"Organization","id":"o1","name":"Acme"}],
	  "contact":[{"name":{"family":"Cee","given":["Ann"]},"telecom":[{"system":"phone","value":"1"},{"system":"email","value":"2"}]}],
	  "communication":[{"language":{"coding":[{"system":"urn:ietf:bcp:47","code":"en"}]},"preferred":true}],
	  "generalPractitioner":[{"reference":"Practitioner/pr9"},{"reference":"#pr1"},{"reference":"urn:uuid:1f9f1d3c-4b5e-4c6d-8e7f-8a9b0c1d2e3f","type":"Organization"},{"reference":"http://s/fhir/Organization/o7/_history/3"}],
	  "link":[{"other":{"reference":"Patient/p2"},"type":"seealso"}]}`,
	`{"resourceType":"Patient","id":"p2","gender":"female","birthDate":"1990-12-31","deceasedDateTime":"2020-01-02T03:04:05Z",
	  "name":[{"family":"Beta","given":["Ann"]}]}`,
	`{"resourceType":"Patient","id":"p3","active":false,"birthDate":"1978"}`,
	`{"resourceType":"Observation","id":"o1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"85354-9"}]},
	  "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2019-01-01T10:00:00+02:00","issued":"2019-01-01T08:30:00.250+01:00",
	  "valueQuantity":{"value":7.50,"unit":"mg","system":"http://unitsofmeasure.org","code":"mg"},
	  "component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":120,"unit":"mm[Hg]"}},
	               {"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":80.5,"unit":"mm[Hg]"}},
	               {"code":{"text":"note"},"valueString":"fine"}]}`,
	`{"resourceType":"Observation","id":"o2","status":"final","code":{"text":"x"},"effectiveDateTime":"2019-01","valueString":"high",
	  "subject":{"reference":"Group/g1"}}`,
	`{"resourceType":"Observation","id":"o3","status":"final","code":{"text":"x"},"effectivePeriod":{"start":"2018-05-06","end":"2018-05-07"},
	  "valueBoolean":true}`,
	`{"resourceType":"QuestionnaireResponse","id":"q1","status":"completed","item":[
	  {"linkId":"1","item":[{"linkId":"1.1","item":[{"linkId":"1.1.1","item":[{"linkId":"1.1.1.1","text":"four","item":[{"linkId":"1.1.1.1.1","answer":[{"valueInteger":5}]}]}]}]}]},
	  {"linkId":"2","answer":[{"valueString":"two","item":[{"linkId":"2.a"}]}]}]}`,
	`{"resourceType":"Task","id":"t1","status":"draft","intent":"order","output":[{"type":{"text":"a"},"valueString":"out"},{"type":{"text":"b"},"valueInteger":3}]}`,
	`{"resourceType":"Bundle","id":"b1","type":"collection","entry":[{"resource":{"resourceType":"Patient","id":"bp","name":[{"family":"Inside"}]}},
	  {"resource":{"resourceType":"Observation","id":"bo","status":"final","code":{"text":"c"}}}]}`,
}

// exprCases are expressions evaluated on every resource of their type,
// through SQL and through the Go evaluator, which must agree.
var exprCases = map[string][]string{
	"Patient": {
		"name.given", "name.where(use = 'official').family", "name.given.first()", "name.given.last()",
		"name.given.tail()", "name.given.skip(1)", "name.given.take(2)", "name.given.count()", "name[1].given",
		"name[5].given", "name.given.distinct()", "name.given.join('-')", "name.family | name.given", "name.given.combine(name.family)",
		"name.given.exists()", "name.given.empty()", "name.all(given.exists())", "name.select(given.first())",
		"name.where($index = 1).given", "name.given.where($this.startsWith('Ji'))",
		"birthDate < @2000", "birthDate = @1978-03", "birthDate >= @1978-03-12", "birthDate != @1978", "birthDate ~ @1978-03",
		"birthDate.toString()", "birthDate.lowBoundary()", "birthDate.highBoundary()",
		"deceased.exists() and deceased != false", "deceased.ofType(dateTime) > @2019", "deceased is boolean", "deceased.is(dateTime)",
		"telecom.where(system = 'phone').value.startsWith('555')", "telecom.where(system = 'phone').value",
		"name.family.upper()", "name.family.lower()", "name.family.length()", "name.family.substring(1, 2)", "name.family.substring(2)",
		"name.family.indexOf('ph')", "name.family.replace('a', 'o')", "name.family.matches('^[A-G]')", "name.family.contains('lp')",
		"name.family.endsWith('a')", "name.family.trim()",
		"gender = 'male' xor active", "active implies gender = 'female'", "active or gender = 'female'", "(active and false).not()",
		"(1 + 2) * 3", "7 div 2", "7 mod 3", "10 / 4", "2.5 - 1", "-(3)", "7.5 div 2", "1 / 0", "'a' + 'b'", "'a' & {} & 'c'",
		"name.given contains 'Jim'", "'Jim' in name.given", "name.given ~ 'jim'",
		"extension('http://x/race').extension('ombCategory').value.ofType(Coding).code",
		"extension('http://x/race').extension('text').value.ofType(string)", "extension.url",
		"extension('http://x/birthPlace').value.ofType(Address).city", "extension('http://x/score').value.ofType(decimal)",
		"extension('http://x/none').exists()",
		"multipleBirth.ofType(integer) + 1", "multipleBirth.ofType(integer) > 1",
		"iif(active, 'yes', 'no')", "iif(active.exists(), 'known')",
		"link.other.getReferenceKey(Patient)", "link.other.getReferenceKey()", "generalPractitioner.getReferenceKey()",
		"generalPractitioner.getReferenceKey(Organization)", "getResourceKey()",
		"generalPractitioner.where(resolve() is Practitioner)", "generalPractitioner.where(resolve() is Organization).reference",
		"generalPractitioner.resolve().ofType(Organization).exists()", "generalPractitioner.resolve().exists()",
		"link.other.resolve().empty()", "generalPractitioner.resolve().is(Practitioner)",
		"meta.lastUpdated > @2020-01-01T00:00:00Z", "meta.lastUpdated", "meta.versionId", "meta.profile", "meta.exists()", "meta.empty()", "meta.tag.code",
		"Patient.id", "Resource.id", "Observation.id", "%resource.id", "address.line", "address.period.start > @2001-02-03T03:00:00+01:00",
		"contact.name.family", "contact.telecom.where(system = 'email').value",
		"communication.language.coding.code", "identifier.where(type.coding.code = 'MR').value", "identifier.value.count() = 2",
		"contained.ofType(Practitioner).name.family", "contained.ofType(Organization).name", "contained.count()",
		"name.given.isDistinct()", "name.family.allTrue()", "active.allTrue()", "(active | false).anyTrue()",
		"name.exists(family = 'Gamma')", "name.family.exists($this = 'Alpha')",
		"birthDate.exists() and birthDate.empty().not()", "{}", "{}.exists()", "name.family.single()", "active.single()",
		"gender.hasValue()", "name.given.select($this + '!')", "name.family.toString()", "multipleBirth.ofType(integer).toString()",
	},
	"Observation": {
		"value.ofType(Quantity).value > 5", "value.ofType(Quantity).value.lowBoundary()", "value.ofType(Quantity).value.highBoundary()",
		"effective.ofType(dateTime) > @2019-01-01T10:00:00+02:00", "effective.ofType(dateTime) = @2019-01-01T08:00:00Z",
		"effective.ofType(dateTime) < @2019-01-01T09:00:00+01:00", "effective.ofType(dateTime) >= @2019-01-01T08:00",
		"effective.ofType(dateTime).lowBoundary()", "effective.ofType(dateTime).highBoundary()",
		"effective.ofType(Period).start", "effective", "value", "value.ofType(string)", "value.ofType(boolean)",
		"component.code.coding.code", "component.value.ofType(Quantity).value", "component.value",
		"(value as Quantity).unit", "value is Quantity", "value.is(string)", "Observation.value.as(Quantity).value",
		"issued.toString()", "issued > @2019-01-01T07:30:00Z", "issued = @2019-01-01T07:30:00.250Z", "issued.lowBoundary()",
		"component.where(code.coding.code = '8480-6').value.ofType(Quantity).value",
		"subject.where(resolve() is Patient)", "subject.getReferenceKey(Patient)", "Observation | Observation.component",
		"code.coding.where(system = 'http://loinc.org').code", "value.ofType(Quantity).value * 2", "value.ofType(Quantity).value.floor()",
		"value.ofType(Quantity).value.round()", "component.count()", "component.first().code.coding.code",
	},
	"QuestionnaireResponse": {
		"item.linkId", "item.item.linkId", "item.item.item.linkId", "item.item.item.item.linkId", "item.item.item.item.text",
		"item.item.item.item.item.linkId", "item.item.item.item.item.answer.value.ofType(integer)",
		"item.answer.value.ofType(string)", "item.answer.item.linkId", "item.where(linkId = '2').answer.item.linkId",
	},
	"Task":   {"output.value.ofType(string)", "output.value.ofType(integer)", "output.value.ofType(integer) + 1", "output.type.text"},
	"Bundle": {"entry.resource.ofType(Patient).name.family", "entry.resource.ofType(Observation).code.text", "entry[0].resource.ofType(Patient).id"},
}

// TestExpressionsMatchGo runs exprCases through SQL and the Go evaluator.
// Where Go fails, SQL must fail too (when compiling or running).
func TestExpressionsMatchGo(t *testing.T) {
	b := fhirflat.Default()
	m := r4.Load()
	db := openDB(t)
	var raws [][]byte
	docs := map[string][]map[string]any{}
	for _, src := range exprResources {
		raws = append(raws, []byte(src))
		var r map[string]any
		dec := json.NewDecoder(strings.NewReader(src))
		dec.UseNumber()
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		meta, _ := r["meta"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			r["meta"] = meta
		}
		meta["versionId"] = "1"
		meta["lastUpdated"] = fhirflat.FormatInstant(testTime)
		docs[r["resourceType"].(string)] = append(docs[r["resourceType"].(string)], r)
	}
	for _, l := range load(t, db, b, raws) {
		if l.Minimal != "" {
			t.Errorf("%s/%s is not valid: %s", l.Type, l.ID, l.Minimal)
		}
	}
	ctx := &fhirpath.Context{Resolve: fhirpath.ReferenceStub}
	checked := 0
	for rt, exprs := range exprCases {
		s, _ := b.Schema(rt)
		for _, src := range exprs {
			e, err := fhirpath.Parse(src)
			if err != nil {
				t.Errorf("%s: %v", src, err)
				continue
			}
			x, cerr := CompileCollection(e, rt, b, "r")
			for _, doc := range docs[rt] {
				id := doc["id"].(string)
				var got map[string][]string
				err := cerr
				if err == nil {
					// one row at a time: an error raised for one row fails the query
					got, err = sqlValues(db, s, x, id)
				}
				out, gerr := e.Evaluate(ctx, fhirpath.Collection{fhirpath.FromJSON(doc)})
				if gerr != nil {
					if err == nil {
						t.Errorf("%s on %s/%s: Go fails (%v), SQL gives %v", src, rt, id, gerr, got[id])
					}
					continue
				}
				if err != nil {
					t.Errorf("%s on %s/%s: SQL fails: %v", src, rt, id, err)
					continue
				}
				var want []string
				for _, v := range out {
					if v.HasValue() {
						want = append(want, token(m, goTypeName(v), v.JSON(), id))
					}
				}
				sort.Strings(want)
				if !slices.Equal(got[id], want) {
					t.Errorf("%s on %s/%s:\n  sql: %v\n   go: %v\n%s", src, rt, id, got[id], want, sqlOf(x))
				}
				checked++
			}
		}
	}
	t.Logf("%d (expression, resource) pairs agree", checked)
}

func sqlOf(x SQLExpr) string {
	var b bytes.Buffer
	for _, p := range x.Parts {
		b.WriteString(p.Type + ": " + p.SQL + "\n")
	}
	return b.String()
}

// TestUnsupportedErrors checks that what has no SQL form fails at
// compile time with an *Error naming the construct.
func TestUnsupportedErrors(t *testing.T) {
	b := fhirflat.Default()
	for _, tc := range []struct{ expr, what string }{
		{"name.given.aggregate($this + $total, '')", "function aggregate()"},
		{"birthDate + 1 year", "quantity literal"},
		{"name.given.memberOf('http://vs')", "function memberOf()"},
		{"subject.resolve().code", "element code"},
		{"birthDate.extension('http://x').value", "element extension"},
		{"name.given.lowBoundary(2)", "function lowBoundary()"},
		{"value = 5", ""},
		{"name = name.family", "operator ="},
		{"%undefined", "%undefined"},
		{"contained.name", "element name"},
		{"(value | effective).first()", "function first()"},
	} {
		rt := "Patient"
		if strings.HasPrefix(tc.expr, "subject") || strings.HasPrefix(tc.expr, "value") || strings.HasPrefix(tc.expr, "(value") {
			rt = "Observation"
		}
		e, err := fhirpath.Parse(tc.expr)
		if err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		_, err = CompileCollection(e, rt, b, "r")
		if tc.what == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.expr, err)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) {
			t.Errorf("%s: want an *Error for %s, got %v", tc.expr, tc.what, err)
			continue
		}
		if !strings.Contains(fe.What, tc.what) || fe.Expr != tc.expr {
			t.Errorf("%s: error names %q in %q, want %q: %v", tc.expr, fe.What, fe.Expr, tc.what, err)
		}
	}
}
