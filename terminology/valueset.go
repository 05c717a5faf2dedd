package terminology

import (
	"context"
	"encoding/json"
	"fmt"
)

// the parts of a ValueSet resource read here
type valueSetJSON struct {
	ResourceType string `json:"resourceType"`
	URL          string `json:"url"`
	Compose      *struct {
		Include []includeJSON `json:"include"`
		Exclude []includeJSON `json:"exclude"`
	} `json:"compose"`
	Expansion *struct {
		Contains []containsJSON `json:"contains"`
	} `json:"expansion"`
}

type includeJSON struct {
	System  string `json:"system"`
	Concept []struct {
		Code string `json:"code"`
	} `json:"concept"`
	Filter []struct {
		Property string `json:"property"`
		Op       string `json:"op"`
		Value    string `json:"value"`
	} `json:"filter"`
	ValueSet []string `json:"valueSet"`
}

type containsJSON struct {
	System   string         `json:"system"`
	Code     string         `json:"code"`
	Abstract bool           `json:"abstract"`
	Contains []containsJSON `json:"contains"`
}

func versionOf(doc []byte) string {
	var v struct {
		Version string `json:"version"`
	}
	_ = json.Unmarshal(doc, &v) // a resource read back from the store is valid JSON
	return v.Version
}

// Expand gives the codes of a stored value set (:in, :not-in), named by
// its canonical URL (url or url|version) or as ValueSet/id. Its compose
// is evaluated when present (includes of concepts, whole systems, filters
// on stored code systems and other value sets, less the excludes), else
// its stored expansion is used.
func (t *Terms) Expand(ctx context.Context, canonical string) (*Set, error) {
	return t.expand(ctx, canonical, 0)
}

func (t *Terms) expand(ctx context.Context, canonical string, depth int) (*Set, error) {
	if s, ok := t.sets[canonical]; ok {
		if s == nil {
			return nil, errorf("the value set %s includes itself", canonical)
		}
		return s, nil
	}
	if depth > maxDepth {
		return nil, errorf("the value set %s nests value sets more than %d deep", canonical, maxDepth)
	}
	doc, err := t.canonical(ctx, "ValueSet", canonical)
	if err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, errorf("the value set %s is not stored in this data store", canonical)
	}
	var vs valueSetJSON
	if err := json.Unmarshal(doc, &vs); err != nil || vs.ResourceType != "ValueSet" {
		return nil, errorf("%s is not a ValueSet", canonical)
	}
	t.sets[canonical] = nil // being expanded: a cycle is an error
	s, err := t.evaluate(ctx, &vs, depth)
	if err != nil {
		delete(t.sets, canonical)
		return nil, err
	}
	if s.Len() > MaxCodes {
		delete(t.sets, canonical)
		return nil, errorf("the value set %s has more than %d codes", canonical, MaxCodes)
	}
	t.sets[canonical] = s
	return s, nil
}

func (t *Terms) evaluate(ctx context.Context, vs *valueSetJSON, depth int) (*Set, error) {
	s := NewSet()
	switch {
	case vs.Compose != nil && len(vs.Compose.Include) > 0:
		for i := range vs.Compose.Include {
			part, err := t.include(ctx, &vs.Compose.Include[i], depth)
			if err != nil {
				return nil, fmt.Errorf("%w (in compose.include[%d] of %s)", err, i, vs.URL)
			}
			s.Union(part)
		}
		for i := range vs.Compose.Exclude {
			part, err := t.include(ctx, &vs.Compose.Exclude[i], depth)
			if err != nil {
				return nil, fmt.Errorf("%w (in compose.exclude[%d] of %s)", err, i, vs.URL)
			}
			s.Subtract(part)
		}
	case vs.Expansion != nil:
		var walk func([]containsJSON)
		walk = func(list []containsJSON) {
			for _, c := range list {
				if c.Code != "" && !c.Abstract {
					s.Add(c.System, c.Code)
				}
				walk(c.Contains)
			}
		}
		walk(vs.Expansion.Contains)
	default:
		return nil, errorf("the value set %s has neither a compose nor an expansion", vs.URL)
	}
	return s, nil
}

// include is the set one compose.include (or exclude) selects: the codes
// of its system (listed, filtered, or all) and of every value set it
// names, intersected.
func (t *Terms) include(ctx context.Context, inc *includeJSON, depth int) (*Set, error) {
	if inc.System == "" && len(inc.ValueSet) == 0 {
		return nil, errorf("an include has neither a system nor a value set")
	}
	var s *Set
	if inc.System != "" {
		s = NewSet()
		switch {
		case len(inc.Concept) > 0:
			for _, c := range inc.Concept {
				s.Add(inc.System, c.Code)
			}
		case len(inc.Filter) > 0:
			cs, err := t.codeSystem(ctx, inc.System, "a value set's filter")
			if err != nil {
				return nil, err
			}
			for i, f := range inc.Filter {
				codes, err := cs.filter(f.Property, f.Op, f.Value)
				if err != nil {
					return nil, errorf("%v", err)
				}
				part := NewSet()
				part.Add(inc.System, codes...)
				if i == 0 {
					s = part
				} else {
					s.Intersect(part)
				}
			}
		default:
			s.AddSystem(inc.System)
		}
	}
	for _, url := range inc.ValueSet {
		o, err := t.expand(ctx, url, depth+1)
		if err != nil {
			return nil, err
		}
		if s == nil {
			s = NewSet()
			s.Union(o)
		} else {
			s.Intersect(o)
		}
	}
	return s, nil
}
