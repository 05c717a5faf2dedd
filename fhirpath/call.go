package fhirpath

import (
	"fmt"
	"sort"
	"strings"
)

// funcDef describes a function: its arity and its body. The body decides
// how each argument is evaluated: once against the caller's focus
// (call.arg) or once per input item with $this bound (call.each).
type funcDef struct {
	min, max int
	fn       func(c *call, in Collection) (Collection, error)
}

// call is one invocation during evaluation.
type call struct {
	s     *scope
	name  string
	args  []evalFn
	types []*typeDesc
	typeN []*TypeSpecifier
}

// functions is filled in by the files that define them (functions*.go).
var functions = map[string]*funcDef{}

// unsupported lists functions of the spec that this engine does not
// implement, with the reason given at parse time.
var unsupported = map[string]string{
	"conformsTo":        "profiles are not available to the evaluator",
	"htmlChecks":        "narrative validation is not supported",
	"elementDefinition": "element definitions are not available to the evaluator",
	"slice":             "profiles are not available to the evaluator",
	"checkModifiers":    "profiles are not available to the evaluator",
	"type":              "reflection (type()) is not supported; use is(), as() or ofType()",
	"comparable":        "UCUM unit conversion is not supported",
}

func def(min, max int, fn func(c *call, in Collection) (Collection, error)) *funcDef {
	return &funcDef{min: min, max: max, fn: fn}
}

func (c *compiler) call(n *Call) (evalFn, error) {
	d, ok := functions[n.Name]
	if !ok {
		if why, ok := unsupported[n.Name]; ok {
			return nil, c.errorf(n, "function %s() is not supported: %s", n.Name, why)
		}
		return nil, c.errorf(n, "unknown function %s()%s", n.Name, suggest(n.Name))
	}
	if len(n.Args) < d.min || len(n.Args) > d.max {
		return nil, c.errorf(n, "%s() takes %s, got %d", n.Name, arity(d.min, d.max), len(n.Args))
	}
	var target evalFn
	if n.Target != nil {
		var err error
		if target, err = c.compile(n.Target); err != nil {
			return nil, err
		}
	}
	proto := call{name: n.Name}
	for _, a := range n.Args {
		if ts, ok := a.(*TypeSpecifier); ok {
			t := fhirModel().lookupType(ts.Namespace, ts.Name)
			if t == nil && n.Name != "getReferenceKey" {
				return nil, c.errorf(ts, "unknown type %s", Format(ts))
			}
			proto.types = append(proto.types, t)
			proto.typeN = append(proto.typeN, ts)
			continue
		}
		fn, err := c.compile(a)
		if err != nil {
			return nil, err
		}
		proto.args = append(proto.args, fn)
	}
	body := d.fn
	return func(s *scope) (Collection, error) {
		in := s.this
		if target != nil {
			var err error
			if in, err = target(s); err != nil {
				return nil, err
			}
		}
		cl := proto
		cl.s = s
		out, err := body(&cl, in)
		if err != nil {
			if _, ok := err.(*EvalError); ok {
				return nil, err
			}
			return nil, &EvalError{n.At, n.Name + "()", err}
		}
		return out, nil
	}, nil
}

func arity(min, max int) string {
	switch {
	case min == max && min == 0:
		return "no arguments"
	case min == max && min == 1:
		return "1 argument"
	case min == max:
		return fmt.Sprintf("%d arguments", min)
	}
	return fmt.Sprintf("%d to %d arguments", min, max)
}

// suggest names a known function close to an unknown one.
func suggest(name string) string {
	lower := strings.ToLower(name)
	var names []string
	for k := range functions {
		if strings.ToLower(k) == lower {
			return fmt.Sprintf(" (did you mean %s()?)", k)
		}
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if strings.HasPrefix(k, name) || strings.HasPrefix(name, k) && len(k) > 3 {
			return fmt.Sprintf(" (did you mean %s()?)", k)
		}
	}
	return ""
}

// arg evaluates argument i against the focus of the calling scope.
func (c *call) arg(i int) (Collection, error) {
	if i >= len(c.args) {
		return nil, nil
	}
	return c.args[i](c.s)
}

func (c *call) hasArg(i int) bool { return i < len(c.args) }

func (c *call) stringArg(i int) (string, bool, error) {
	a, err := c.arg(i)
	if err != nil {
		return "", false, err
	}
	s, ok, err := singletonString(a)
	if err != nil {
		return "", false, fmt.Errorf("argument %d: %w", i+1, err)
	}
	return s, ok, nil
}

func (c *call) intArg(i int) (int64, bool, error) {
	a, err := c.arg(i)
	if err != nil {
		return 0, false, err
	}
	n, ok, err := singletonInt(a)
	if err != nil {
		return 0, false, fmt.Errorf("argument %d: %w", i+1, err)
	}
	return n, ok, nil
}

// each evaluates lambda argument i once per item of in, with $this and
// $index bound, and calls fn with the result.
func (c *call) each(i int, in Collection, fn func(idx int, item Value, res Collection) (bool, error)) error {
	sub := &scope{env: c.s.env, inFn: true, total: c.s.total, inAgg: c.s.inAgg}
	for idx := range in {
		sub.this = in[idx : idx+1]
		sub.index = idx
		res, err := c.args[i](sub)
		if err != nil {
			return err
		}
		more, err := fn(idx, in[idx], res)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// inputSingleton returns the only input item, failing on more than one.
func inputSingleton(in Collection) (Value, bool, error) {
	v, ok, err := singleton(in)
	if err != nil {
		return v, ok, fmt.Errorf("input: %w", err)
	}
	return v, ok, nil
}

// inputString returns the only input item as a string.
func inputString(in Collection) (string, bool, error) {
	s, ok, err := singletonString(in)
	if err != nil {
		return "", false, fmt.Errorf("input: %w", err)
	}
	return s, ok, nil
}
