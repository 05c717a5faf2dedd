package synth

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fhirlake/fhirlake/r4"
)

// checker is a small structural validator: it walks a resource's JSON
// against the r4 model and reports unknown elements, wrong cardinality,
// wrong JSON kinds, primitive values that do not match their type's lexical
// form, missing required elements, codes outside required bindings, and
// references to types an element does not allow. (The project's validator
// will replace it; this one only has to keep the generator honest.)
type checker struct {
	m   *r4.Model
	res map[string]*regexp.Regexp
}

func newChecker() *checker { return &checker{m: r4.Load(), res: map[string]*regexp.Regexp{}} }

func (c *checker) resource(data []byte) []string {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	if d.More() {
		return []string{"trailing data after the resource"}
	}
	var errs []string
	c.checkResource("", v, &errs)
	return errs
}

func (c *checker) checkResource(path string, v any, errs *[]string) {
	obj, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, path+": resource is not an object")
		return
	}
	typ, _ := obj["resourceType"].(string)
	if !c.m.IsResource(typ) {
		*errs = append(*errs, fmt.Sprintf("%s: unknown resourceType %q", path, typ))
		return
	}
	c.elements(strings.TrimPrefix(path+"."+typ, "."), c.m.Type(typ).Elements, obj, true, errs)
}

func (c *checker) elements(path string, els []*r4.Element, obj map[string]any, root bool, errs *[]string) {
	if len(obj) == 0 {
		*errs = append(*errs, path+": empty object")
	}
	for k, v := range obj {
		if root && k == "resourceType" {
			continue
		}
		e, typ := findElement(els, k)
		if e == nil {
			*errs = append(*errs, fmt.Sprintf("%s: unknown element %q", path, k))
			continue
		}
		p := path + "." + k
		if arr, isArr := v.([]any); isArr {
			if !e.Many {
				*errs = append(*errs, p+": array for a single element")
				continue
			}
			if len(arr) == 0 {
				*errs = append(*errs, p+": empty array")
			}
			for i, x := range arr {
				c.value(fmt.Sprintf("%s[%d]", p, i), e, typ, x, errs)
			}
			continue
		}
		if e.Many {
			*errs = append(*errs, p+": single value for a repeating element")
		}
		c.value(p, e, typ, v, errs)
	}
	for _, e := range els {
		if e.Min == 0 {
			continue
		}
		present := false
		if e.Choice {
			for _, t := range e.Types {
				_, ok := obj[r4.ChoiceName(e.Name, t.Code)]
				present = present || ok
			}
		} else {
			_, present = obj[e.Name]
		}
		if !present {
			*errs = append(*errs, fmt.Sprintf("%s: required element %q missing", path, e.Name))
		}
	}
}

func findElement(els []*r4.Element, key string) (*r4.Element, string) {
	for _, e := range els {
		if !e.Choice {
			if e.Name == key {
				t := ""
				if len(e.Types) == 1 {
					t = e.Types[0].Code
				}
				return e, t
			}
			continue
		}
		for _, t := range e.Types {
			if r4.ChoiceName(e.Name, t.Code) == key {
				return e, t.Code
			}
		}
	}
	return nil, ""
}

func (c *checker) value(path string, e *r4.Element, typ string, v any, errs *[]string) {
	if e.IsBackbone() {
		obj, ok := v.(map[string]any)
		if !ok {
			*errs = append(*errs, path+": backbone element is not an object")
			return
		}
		c.elements(path, e.Elements, obj, false, errs)
		return
	}
	if typ == "Resource" {
		c.checkResource(path, v, errs)
		return
	}
	t := c.m.Type(typ)
	if t == nil {
		*errs = append(*errs, fmt.Sprintf("%s: unknown type %q", path, typ))
		return
	}
	if t.Kind == r4.Primitive {
		c.primitive(path, e, t, v, errs)
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		*errs = append(*errs, fmt.Sprintf("%s: %s is not an object", path, typ))
		return
	}
	c.elements(path, t.Elements, obj, false, errs)
	if b := e.Binding; b != nil && b.Strength == "required" && len(b.Codes) > 0 {
		for _, code := range codingCodes(typ, obj) {
			if !slices.Contains(b.Codes, code) {
				*errs = append(*errs, fmt.Sprintf("%s: code %q not in required value set %s", path, code, b.ValueSet))
			}
		}
	}
	if typ == "Reference" {
		if ref, ok := obj["reference"].(string); ok && len(e.Types) > 0 && len(e.Types[0].Targets) > 0 {
			target := refType(ref)
			if target != "" && !slices.Contains(e.Types[0].Targets, target) && !slices.Contains(e.Types[0].Targets, "Resource") {
				*errs = append(*errs, fmt.Sprintf("%s: reference to %s, allowed %v", path, target, e.Types[0].Targets))
			}
		}
	}
}

func codingCodes(typ string, obj map[string]any) []string {
	var codings []any
	switch typ {
	case "Coding":
		codings = []any{obj}
	case "CodeableConcept":
		codings, _ = obj["coding"].([]any)
	}
	var out []string
	for _, x := range codings {
		if m, ok := x.(map[string]any); ok {
			if s, ok := m["code"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// refType is the resource type a literal or conditional reference names.
func refType(ref string) string {
	if strings.HasPrefix(ref, "urn:") || strings.HasPrefix(ref, "#") {
		return ""
	}
	if i := strings.IndexAny(ref, "/?"); i > 0 {
		return ref[:i]
	}
	return ref
}

func (c *checker) primitive(path string, e *r4.Element, t *r4.Type, v any, errs *[]string) {
	var s string
	switch x := v.(type) {
	case string:
		if t.JSON != "string" {
			*errs = append(*errs, fmt.Sprintf("%s: string for %s", path, t.Name))
			return
		}
		s = x
	case json.Number:
		if t.JSON != "number" {
			*errs = append(*errs, fmt.Sprintf("%s: number for %s", path, t.Name))
			return
		}
		s = x.String()
	case bool:
		if t.JSON != "boolean" {
			*errs = append(*errs, fmt.Sprintf("%s: boolean for %s", path, t.Name))
		}
		return
	default:
		*errs = append(*errs, fmt.Sprintf("%s: %T for %s", path, v, t.Name))
		return
	}
	if t.Regex != "" {
		re := c.res[t.Name]
		if re == nil {
			re = regexp.MustCompile(`^(?:` + t.Regex + `)$`)
			c.res[t.Name] = re
		}
		if !re.MatchString(s) {
			*errs = append(*errs, fmt.Sprintf("%s: %q is not a valid %s", path, s, t.Name))
		}
	}
	if b := e.Binding; b != nil && b.Strength == "required" && len(b.Codes) > 0 && t.Name == "code" && !slices.Contains(b.Codes, s) {
		*errs = append(*errs, fmt.Sprintf("%s: code %q not in required value set %s", path, s, b.ValueSet))
	}
}

// TestCheckerCatchesErrors makes sure the checker is not blind: each broken
// resource must be reported.
func TestCheckerCatchesErrors(t *testing.T) {
	c := newChecker()
	bad := map[string]string{
		"unknown element":   `{"resourceType":"Patient","colour":"blue"}`,
		"required missing":  `{"resourceType":"Observation","code":{"text":"x"}}`,
		"bad code":          `{"resourceType":"Observation","status":"done","code":{"text":"x"}}`,
		"bad dateTime":      `{"resourceType":"Patient","birthDate":"1990-13-01"}`,
		"array for single":  `{"resourceType":"Patient","gender":["male"]}`,
		"single for many":   `{"resourceType":"Patient","name":{"family":"X"}}`,
		"wrong JSON kind":   `{"resourceType":"Patient","active":"true"}`,
		"bad choice":        `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueFoo":1}`,
		"bad reference":     `{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Claim/1"}}`,
		"bad binding CC":    `{"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":{"coding":[{"code":"sleeping"}]}}`,
		"empty object":      `{"resourceType":"Patient","meta":{}}`,
		"bad nested prim":   `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":"7"}}`,
		"unknown backbone":  `{"resourceType":"Bundle","type":"batch","entry":[{"what":1}]}`,
		"bad resource type": `{"resourceType":"Patients"}`,
	}
	for name, js := range bad {
		if errs := c.resource([]byte(js)); len(errs) == 0 {
			t.Errorf("%s: checker found nothing in %s", name, js)
		}
	}
	good := `{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":7.5,"unit":"kg"},"effectiveDateTime":"2020-01-02T03:04:05-05:00"}`
	if errs := c.resource([]byte(good)); len(errs) > 0 {
		t.Errorf("valid resource rejected: %v", errs)
	}
}

// generated collects a run's output in memory.
type generated struct {
	byType  map[string][][]byte
	bundles [][]byte
}

func generate(t testing.TB, opts Options) (*generated, Stats) {
	t.Helper()
	out := &generated{byType: map[string][][]byte{}}
	st, err := Generate(context.Background(), opts, func(typ string, b []byte) error {
		c := bytes.Clone(b)
		if typ == "Bundle" {
			out.bundles = append(out.bundles, c)
		} else {
			out.byType[typ] = append(out.byType[typ], c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out, st
}

// TestResourcesValid checks every generated resource against the R4 model
// and every reference against the output.
func TestResourcesValid(t *testing.T) {
	out, st := generate(t, Options{Patients: 12, Seed: 7})
	c := newChecker()
	failures := 0
	ids := map[string]bool{}
	idents := map[string]bool{} // Type?identifier=system|value
	var all [][]byte
	for typ, list := range out.byType {
		for _, b := range list {
			all = append(all, b)
			for _, e := range c.resource(b) {
				if failures++; failures <= 20 {
					t.Errorf("%s: %s", typ, e)
				}
			}
			var r struct {
				ResourceType string `json:"resourceType"`
				ID           string `json:"id"`
				Identifier   []struct{ System, Value string }
			}
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			if r.ResourceType != typ {
				t.Errorf("sink got type %s for a %s", typ, r.ResourceType)
			}
			key := typ + "/" + r.ID
			if ids[key] {
				t.Errorf("duplicate id %s", key)
			}
			ids[key] = true
			for _, id := range r.Identifier {
				idents[typ+"?identifier="+id.System+"|"+id.Value] = true
			}
		}
	}
	if st.Total() != len(all) {
		t.Errorf("stats count %d resources, sink got %d", st.Total(), len(all))
	}
	refs := 0
	for _, b := range all {
		for _, ref := range references(t, b) {
			refs++
			switch {
			case strings.Contains(ref, "?identifier="):
				if !idents[ref] {
					t.Errorf("conditional reference %s matches nothing", ref)
				}
			case !ids[ref]:
				t.Errorf("reference %s does not resolve", ref)
			}
		}
	}
	if refs < len(all) {
		t.Errorf("only %d references in %d resources", refs, len(all))
	}
	for _, typ := range []string{"Patient", "Organization", "Practitioner", "Location", "Encounter", "Condition",
		"Observation", "MedicationRequest", "Procedure", "Immunization", "DiagnosticReport", "AllergyIntolerance",
		"Claim", "DocumentReference"} {
		if len(out.byType[typ]) == 0 {
			t.Errorf("no %s generated", typ)
		}
	}
}

// references lists the "reference" strings anywhere in a resource.
func references(t testing.TB, b []byte) []string {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && k == "reference" {
					out = append(out, s)
				} else {
					walk(y)
				}
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return out
}

// TestBundlesValid checks Bundles mode: valid Bundles, urn:uuid references
// that resolve inside the patient's Bundle, conditional references that
// resolve against the batch Bundles of the pool.
func TestBundlesValid(t *testing.T) {
	out, st := generate(t, Options{Patients: 4, Seed: 3, Bundles: true})
	if len(out.byType) != 0 {
		t.Fatalf("Bundles mode emitted bare resources: %v", st.Types())
	}
	if len(out.bundles) != 6 || st.Bundles != 6 {
		t.Fatalf("got %d bundles (stats %d), want 2 shared + 4 patients", len(out.bundles), st.Bundles)
	}
	c := newChecker()
	idents := map[string]bool{}
	inner := 0
	for i, b := range out.bundles {
		for _, e := range c.resource(b) {
			t.Errorf("bundle %d: %s", i, e)
		}
		var bundle struct {
			Type  string
			Entry []struct {
				FullURL  string          `json:"fullUrl"`
				Resource json.RawMessage `json:"resource"`
				Request  struct{ Method, URL, IfNoneExist string }
			}
		}
		if err := json.Unmarshal(b, &bundle); err != nil {
			t.Fatal(err)
		}
		want := "transaction"
		if i < 2 {
			want = "batch"
		}
		if bundle.Type != want {
			t.Errorf("bundle %d is a %s, want %s", i, bundle.Type, want)
		}
		urls := map[string]bool{}
		for _, e := range bundle.Entry {
			inner++
			var r struct {
				ResourceType, ID string
				Identifier       []struct{ System, Value string }
			}
			json.Unmarshal(e.Resource, &r)
			if e.FullURL != "urn:uuid:"+r.ID || e.Request.Method != "POST" || e.Request.URL != r.ResourceType {
				t.Errorf("bundle %d: entry %s %s %s for %s/%s", i, e.FullURL, e.Request.Method, e.Request.URL, r.ResourceType, r.ID)
			}
			urls[e.FullURL] = true
			for _, id := range r.Identifier {
				idents[r.ResourceType+"?identifier="+id.System+"|"+id.Value] = true
			}
			if i < 2 && e.Request.IfNoneExist == "" {
				t.Errorf("shared %s without ifNoneExist", r.ResourceType)
			}
		}
		for _, ref := range references(t, b) {
			switch {
			case strings.HasPrefix(ref, "urn:uuid:"):
				if !urls[ref] {
					t.Errorf("bundle %d: %s is not an entry of the bundle", i, ref)
				}
			case strings.Contains(ref, "?identifier="):
				if !idents[ref] {
					t.Errorf("bundle %d: %s matches nothing", i, ref)
				}
			default:
				t.Errorf("bundle %d: literal reference %s in a transaction", i, ref)
			}
		}
	}
	if inner != st.Total() {
		t.Errorf("stats count %d resources, bundles hold %d", st.Total(), inner)
	}
}
