package fhirpath

import (
	"fmt"
	"reflect"
)

// Existence, filtering, subsetting and combining functions
// (FHIRPath §5.1–5.4), and the utility functions trace() and aggregate().
func init() {
	functions["empty"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		return boolCollection(len(in) == 0), nil
	})
	functions["exists"] = def(0, 1, func(c *call, in Collection) (Collection, error) {
		if !c.hasArg(0) {
			return boolCollection(len(in) > 0), nil
		}
		found := false
		err := c.each(0, in, func(_ int, _ Value, res Collection) (bool, error) {
			b, ok, err := singletonBool(res)
			found = ok && b
			return !found, err
		})
		return boolCollection(found), err
	})
	functions["all"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		all := true
		err := c.each(0, in, func(_ int, _ Value, res Collection) (bool, error) {
			b, ok, err := singletonBool(res)
			all = ok && b
			return all, err
		})
		return boolCollection(all), err
	})
	boolAgg := func(want bool, any bool) func(c *call, in Collection) (Collection, error) {
		return func(c *call, in Collection) (Collection, error) {
			for _, v := range in {
				b, ok := v.data.(bool)
				if !ok {
					return nil, fmt.Errorf("expected Booleans, got %s", v.describe())
				}
				if any && b == want {
					return boolCollection(true), nil
				}
				if !any && b != want {
					return boolCollection(false), nil
				}
			}
			return boolCollection(!any), nil
		}
	}
	functions["allTrue"] = def(0, 0, boolAgg(true, false))
	functions["anyTrue"] = def(0, 0, boolAgg(true, true))
	functions["allFalse"] = def(0, 0, boolAgg(false, false))
	functions["anyFalse"] = def(0, 0, boolAgg(false, true))
	subset := func(super bool) func(c *call, in Collection) (Collection, error) {
		return func(c *call, in Collection) (Collection, error) {
			other, err := c.arg(0)
			if err != nil {
				return nil, err
			}
			small, big := in, other
			if super {
				small, big = other, in
			}
			for _, v := range small {
				ok, err := containsValue(big, v)
				if err != nil || !ok {
					return boolCollection(false), err
				}
			}
			return boolCollection(true), nil
		}
	}
	functions["subsetOf"] = def(1, 1, subset(false))
	functions["supersetOf"] = def(1, 1, subset(true))
	functions["count"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		return Collection{intValue(int64(len(in)))}, nil
	})
	functions["distinct"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		return distinct(in)
	})
	functions["isDistinct"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		d, err := distinct(in)
		return boolCollection(len(d) == len(in)), err
	})
	functions["where"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		var out Collection
		err := c.each(0, in, func(_ int, item Value, res Collection) (bool, error) {
			b, ok, err := singletonBool(res)
			if err != nil {
				return false, fmt.Errorf("criteria: %w", err)
			}
			if ok && b {
				out = append(out, item)
			}
			return true, nil
		})
		return out, err
	})
	functions["select"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		var out Collection
		err := c.each(0, in, func(_ int, _ Value, res Collection) (bool, error) {
			out = append(out, res...)
			return true, nil
		})
		return out, err
	})
	functions["repeat"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		var out Collection
		seen := map[any]bool{}
		queue := in
		for len(queue) > 0 {
			var next Collection
			err := c.each(0, queue, func(_ int, _ Value, res Collection) (bool, error) {
				for _, v := range res {
					key := identity(v)
					if key == nil {
						if h, ok := hashKey(v); ok {
							key = h
						}
					}
					if key != nil {
						if seen[key] {
							continue
						}
						seen[key] = true
					} else if dup, err := containsValue(out, v); err != nil || dup {
						if err != nil {
							return false, err
						}
						continue
					}
					out = append(out, v)
					next = append(next, v)
				}
				return true, nil
			})
			if err != nil {
				return nil, err
			}
			if len(out) > maxRepeatItems {
				return nil, fmt.Errorf("more than %d items: the projection does not stop", maxRepeatItems)
			}
			queue = next
		}
		return out, nil
	})
	functions["ofType"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		return ofType(in, c.types[0]), nil
	})
	functions["first"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		if len(in) == 0 {
			return nil, nil
		}
		return in[:1], nil
	})
	functions["last"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		if len(in) == 0 {
			return nil, nil
		}
		return in[len(in)-1:], nil
	})
	functions["tail"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		if len(in) < 2 {
			return nil, nil
		}
		return in[1:], nil
	})
	functions["skip"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		n, ok, err := c.intArg(0)
		if err != nil || !ok {
			return nil, err
		}
		if n <= 0 {
			return in, nil
		}
		if n >= int64(len(in)) {
			return nil, nil
		}
		return in[n:], nil
	})
	functions["take"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		n, ok, err := c.intArg(0)
		if err != nil || !ok || n <= 0 {
			return nil, err
		}
		if n >= int64(len(in)) {
			return in, nil
		}
		return in[:n], nil
	})
	functions["single"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		if len(in) > 1 {
			return nil, fmt.Errorf("input has %d items, expected at most one", len(in))
		}
		return in, nil
	})
	functions["intersect"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		other, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		var out Collection
		for _, v := range in {
			ok, err := containsValue(other, v)
			if err != nil {
				return nil, err
			}
			if ok {
				out = append(out, v)
			}
		}
		return distinct(out)
	})
	functions["exclude"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		other, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		var out Collection
		for _, v := range in {
			ok, err := containsValue(other, v)
			if err != nil {
				return nil, err
			}
			if !ok {
				out = append(out, v)
			}
		}
		return out, nil
	})
	functions["union"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		other, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		return distinct(append(append(Collection{}, in...), other...))
	})
	functions["combine"] = def(1, 1, func(c *call, in Collection) (Collection, error) {
		other, err := c.arg(0)
		if err != nil {
			return nil, err
		}
		return append(append(Collection{}, in...), other...), nil
	})
	functions["iif"] = def(2, 3, func(c *call, in Collection) (Collection, error) {
		if len(in) > 1 {
			return nil, fmt.Errorf("input has %d items, expected at most one", len(in))
		}
		sub := *c.s
		if len(in) == 1 {
			sub.this = in
		}
		cond, err := c.args[0](&sub)
		if err != nil {
			return nil, err
		}
		b, ok, err := singletonBool(cond)
		if err != nil {
			return nil, fmt.Errorf("criterion: %w", err)
		}
		switch {
		case ok && b:
			return c.args[1](&sub)
		case len(c.args) > 2:
			return c.args[2](&sub)
		}
		return nil, nil
	})
	functions["not"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		b, ok, err := singletonBool(in)
		if err != nil || !ok {
			return nil, err
		}
		return boolCollection(!b), nil
	})
	functions["children"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		var out Collection
		for _, v := range in {
			out = v.appendAllChildren(out)
		}
		return out, nil
	})
	functions["descendants"] = def(0, 0, func(c *call, in Collection) (Collection, error) {
		var out Collection
		queue := in
		for len(queue) > 0 {
			var next Collection
			for _, v := range queue {
				next = v.appendAllChildren(next)
			}
			out = append(out, next...)
			queue = next
		}
		return out, nil
	})
	functions["trace"] = def(1, 2, func(c *call, in Collection) (Collection, error) {
		name, _, err := c.stringArg(0)
		if err != nil {
			return nil, err
		}
		if c.s.env.ctx.Trace == nil {
			return in, nil
		}
		shown := in
		if c.hasArg(1) {
			shown = nil
			err := c.each(1, in, func(_ int, _ Value, res Collection) (bool, error) {
				shown = append(shown, res...)
				return true, nil
			})
			if err != nil {
				return nil, err
			}
		}
		c.s.env.ctx.Trace(name, shown)
		return in, nil
	})
	functions["aggregate"] = def(1, 2, func(c *call, in Collection) (Collection, error) {
		total, err := c.arg(1)
		if err != nil {
			return nil, err
		}
		sub := &scope{env: c.s.env, inFn: true, inAgg: true}
		for i := range in {
			sub.this, sub.index, sub.total = in[i:i+1], i, total
			if total, err = c.args[0](sub); err != nil {
				return nil, err
			}
		}
		return total, nil
	})
}

// maxRepeatItems bounds repeat() for projections that never stop, such as
// repeat($this + 1).
const maxRepeatItems = 10_000

// identity is a key for items that are nodes of a resource (their map), so
// repeat() can stop on cycles without comparing values; nil for others.
func identity(v Value) any {
	if m, ok := v.data.(map[string]any); ok {
		return reflect.ValueOf(m).UnsafePointer()
	}
	return nil
}

func ofType(in Collection, t *typeDesc) Collection {
	var out Collection
	for _, v := range in {
		if v.typ != nil && v.typ.isA(t) {
			out = append(out, v)
		} else if v.typ != nil && v.data != nil && v.typ == fhirModel().anyType {
			// untyped JSON: judge by its System kind
			if FromJSON(v.data).typ.isA(t) {
				out = append(out, v)
			}
		}
	}
	return out
}

// appendAllChildren appends every child of v, in the order of the type's
// elements when it is known, else in JSON key order (sorted).
func (v Value) appendAllChildren(out Collection) Collection {
	m, ok := v.data.(map[string]any)
	if !ok {
		if v.ext != nil {
			out = v.appendChildren(out, "id")
			out = v.appendChildren(out, "extension")
		}
		return out
	}
	if v.typ != nil {
		var els []string
		switch {
		case v.typ.elem != nil:
			for _, e := range v.typ.elem.Elements {
				els = append(els, e.Name)
			}
		case v.typ.fhir != nil:
			for _, e := range v.typ.fhir.Elements {
				els = append(els, e.Name)
			}
		}
		if els != nil {
			for _, name := range els {
				out = v.appendChildren(out, name)
			}
			return out
		}
	}
	for _, k := range sortedKeys(m) {
		if k == "resourceType" || k[0] == '_' {
			continue
		}
		out = v.appendChildren(out, k)
	}
	return out
}
