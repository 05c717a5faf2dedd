package search

import (
	"context"
	"errors"
	"sort"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/terminology"
)

// termModifiers are the token modifiers answered from the stored
// terminology.
var termModifiers = map[string]bool{"in": true, "not-in": true, "below": true, "above": true}

// resolveTerms reads, for every token value with :in, :not-in, :below or
// :above (chained and reverse-chained ones too), the codes it stands for
// from the store's ValueSet and CodeSystem resources.
func (c *Compiler) resolveTerms(ctx context.Context, st *engine.Store, q *Query) error {
	var terms *terminology.Terms
	var walk func(cl *Clause) error
	walk = func(cl *Clause) error {
		switch {
		case cl.Has != nil:
			return walk(cl.Has.Clause)
		case cl.Chain != nil:
			return walk(cl.Chain)
		case cl.Param == nil || cl.Param.Type != "token" || !termModifiers[cl.Modifier]:
			return nil
		}
		if terms == nil {
			terms = terminology.New(storeTerms{c: c, st: st})
		}
		for i := range cl.Values {
			v := &cl.Values[i]
			var err error
			switch cl.Modifier {
			case "in", "not-in":
				v.Codes, err = terms.Expand(ctx, v.Raw)
			default:
				system, code := "", v.Raw
				if segs := splitEscaped(v.Raw, '|'); len(segs) == 2 {
					system, code = segs[0], segs[1]
				}
				if cl.Modifier == "below" {
					v.Codes, err = terms.Below(ctx, system, code)
				} else {
					v.Codes, err = terms.Above(ctx, system, code)
				}
			}
			var te *terminology.Error
			if errors.As(err, &te) {
				return &Error{Msg: cl.Name + ":" + cl.Modifier + ": " + err.Error()}
			}
			if err != nil {
				return err
			}
		}
		return nil
	}
	for _, cl := range q.Clauses {
		if err := walk(cl); err != nil {
			return err
		}
	}
	return nil
}

// storeTerms reads CodeSystem and ValueSet resources from a store.
type storeTerms struct {
	c  *Compiler
	st *engine.Store
}

func (s storeTerms) ByURL(ctx context.Context, typ, url string) ([][]byte, error) {
	p := s.c.m.SearchParam(typ, "url")
	if p == nil {
		return nil, nil
	}
	q := &Query{Type: typ, Count: MaxCount, Total: "none",
		Clauses: []*Clause{{Param: p, Name: "url", Values: []Value{{Raw: url}}}}}
	res, err := s.c.Run(ctx, s.st, q, "")
	if err != nil {
		return nil, err
	}
	sort.SliceStable(res.Matches, func(i, j int) bool { return res.Matches[i].LastUpdated.After(res.Matches[j].LastUpdated) })
	out := make([][]byte, len(res.Matches))
	for i, r := range res.Matches {
		out[i] = r.JSON
	}
	return out, nil
}

func (s storeTerms) ByID(ctx context.Context, typ, id string) ([]byte, error) {
	r, err := s.st.Read(ctx, typ, id)
	var gone *engine.GoneError
	if errors.Is(err, engine.ErrNotFound) || errors.As(err, &gone) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return r.JSON, nil
}
