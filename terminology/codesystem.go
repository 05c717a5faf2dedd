package terminology

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// codeSystem is a stored CodeSystem's concepts with their hierarchy: the
// nesting of CodeSystem.concept, and the properties parent and child.
type codeSystem struct {
	url      string
	concepts map[string]*concept
}

type concept struct {
	code, display string
	parents       []string
	children      []string
	props         map[string][]string // property code → values, as text
}

// the parts of a CodeSystem resource read here
type codeSystemJSON struct {
	ResourceType string        `json:"resourceType"`
	URL          string        `json:"url"`
	Version      string        `json:"version"`
	Concept      []conceptJSON `json:"concept"`
}

type conceptJSON struct {
	Code     string         `json:"code"`
	Display  string         `json:"display"`
	Concept  []conceptJSON  `json:"concept"`
	Property []propertyJSON `json:"property"`
}

type propertyJSON struct {
	Code          string                 `json:"code"`
	ValueCode     *string                `json:"valueCode"`
	ValueString   *string                `json:"valueString"`
	ValueBoolean  *bool                  `json:"valueBoolean"`
	ValueInteger  *json.Number           `json:"valueInteger"`
	ValueDecimal  *json.Number           `json:"valueDecimal"`
	ValueDateTime *string                `json:"valueDateTime"`
	ValueCoding   *struct{ Code string } `json:"valueCoding"`
}

func (p propertyJSON) text() (string, bool) {
	switch {
	case p.ValueCode != nil:
		return *p.ValueCode, true
	case p.ValueString != nil:
		return *p.ValueString, true
	case p.ValueBoolean != nil:
		return fmt.Sprint(*p.ValueBoolean), true
	case p.ValueInteger != nil:
		return p.ValueInteger.String(), true
	case p.ValueDecimal != nil:
		return p.ValueDecimal.String(), true
	case p.ValueDateTime != nil:
		return *p.ValueDateTime, true
	case p.ValueCoding != nil:
		return p.ValueCoding.Code, true
	}
	return "", false
}

// parseCodeSystem reads a CodeSystem resource.
func parseCodeSystem(doc []byte) (*codeSystem, error) {
	var j codeSystemJSON
	if err := json.Unmarshal(doc, &j); err != nil {
		return nil, fmt.Errorf("reading a CodeSystem: %w", err)
	}
	if j.ResourceType != "CodeSystem" {
		return nil, fmt.Errorf("a %q is not a CodeSystem", j.ResourceType)
	}
	cs := &codeSystem{url: j.URL, concepts: map[string]*concept{}}
	var walk func(list []conceptJSON, parent string)
	walk = func(list []conceptJSON, parent string) {
		for _, cj := range list {
			c := cs.concept(cj.Code)
			c.display = cj.Display
			if parent != "" {
				cs.link(parent, cj.Code)
			}
			for _, p := range cj.Property {
				v, ok := p.text()
				if !ok {
					continue
				}
				switch p.Code {
				case "parent":
					cs.link(v, cj.Code)
				case "child":
					cs.link(cj.Code, v)
				}
				c.props[p.Code] = append(c.props[p.Code], v)
			}
			walk(cj.Concept, cj.Code)
		}
	}
	walk(j.Concept, "")
	return cs, nil
}

func (cs *codeSystem) concept(code string) *concept {
	c, ok := cs.concepts[code]
	if !ok {
		c = &concept{code: code, props: map[string][]string{}}
		cs.concepts[code] = c
	}
	return c
}

// link records parent → child once.
func (cs *codeSystem) link(parent, child string) {
	p, c := cs.concept(parent), cs.concept(child)
	for _, k := range p.children {
		if k == child {
			return
		}
	}
	p.children = append(p.children, child)
	c.parents = append(c.parents, parent)
}

// closure gives code and the codes reached from it by next (descendants
// or ancestors), cycles included once.
func (cs *codeSystem) closure(code string, next func(*concept) []string) []string {
	seen := map[string]bool{code: true}
	queue := []string{code}
	for i := 0; i < len(queue); i++ {
		c, ok := cs.concepts[queue[i]]
		if !ok {
			continue
		}
		for _, n := range next(c) {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return queue
}

func (cs *codeSystem) descendants(code string) []string {
	return cs.closure(code, func(c *concept) []string { return c.children })
}

func (cs *codeSystem) ancestors(code string) []string {
	return cs.closure(code, func(c *concept) []string { return c.parents })
}

func (cs *codeSystem) all() []string {
	out := make([]string, 0, len(cs.concepts))
	for k := range cs.concepts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// filter gives the codes a ValueSet.compose.include.filter selects.
func (cs *codeSystem) filter(property, op, value string) ([]string, error) {
	hierarchy := property == "concept" || property == "code" || property == "parent" || property == "child"
	switch op {
	case "is-a", "descendent-of", "is-not-a", "generalizes":
		if !hierarchy {
			return nil, fmt.Errorf("the filter op %q applies to the property concept, not %q", op, property)
		}
		if _, known := cs.concepts[value]; !known {
			// a code the system lacks: nothing is below or above it
			if op == "is-not-a" {
				return cs.all(), nil
			}
			return nil, nil
		}
	}
	switch op {
	case "is-a":
		return cs.descendants(value), nil
	case "descendent-of":
		return cs.descendants(value)[1:], nil
	case "generalizes":
		return cs.ancestors(value), nil
	case "is-not-a":
		below := map[string]bool{}
		for _, k := range cs.descendants(value) {
			below[k] = true
		}
		return cs.where(func(c *concept) bool { return !below[c.code] }), nil
	case "in", "not-in":
		in := map[string]bool{}
		for _, v := range strings.Split(value, ",") {
			in[strings.TrimSpace(v)] = true
		}
		return cs.where(func(c *concept) bool { return anyOf(cs.values(c, property), in) == (op == "in") }), nil
	case "=":
		return cs.where(func(c *concept) bool { return anyOf(cs.values(c, property), map[string]bool{value: true}) }), nil
	case "regex":
		re, err := regexp.Compile("^(?:" + value + ")$")
		if err != nil {
			return nil, fmt.Errorf("the regex filter %q: %w", value, err)
		}
		return cs.where(func(c *concept) bool {
			for _, v := range cs.values(c, property) {
				if re.MatchString(v) {
					return true
				}
			}
			return false
		}), nil
	case "exists":
		want := value == "true"
		if value != "true" && value != "false" {
			return nil, fmt.Errorf("the exists filter takes true or false, not %q", value)
		}
		return cs.where(func(c *concept) bool { return (len(cs.values(c, property)) > 0) == want }), nil
	}
	return nil, fmt.Errorf("the filter op %q is not supported", op)
}

// values gives a concept's values of a property: its code for concept or
// code, its display for display.
func (cs *codeSystem) values(c *concept, property string) []string {
	switch property {
	case "concept", "code":
		return []string{c.code}
	case "display":
		if c.display == "" {
			return nil
		}
		return []string{c.display}
	case "parent":
		return c.parents
	case "child":
		return c.children
	}
	return c.props[property]
}

func (cs *codeSystem) where(keep func(*concept) bool) []string {
	var out []string
	for _, k := range cs.all() {
		if keep(cs.concepts[k]) {
			out = append(out, k)
		}
	}
	return out
}

func anyOf(values []string, set map[string]bool) bool {
	for _, v := range values {
		if set[v] {
			return true
		}
	}
	return false
}
