package fhirapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// patchOp is one RFC 6902 JSON Patch operation.
type patchOp struct {
	Op    string          `json:"op"`
	Path  string          `json:"path"`
	From  string          `json:"from"`
	Value json.RawMessage `json:"value"`
}

// applyJSONPatch applies an RFC 6902 patch document to a JSON document.
func applyJSONPatch(doc []byte, patch []byte) ([]byte, error) {
	var ops []patchOp
	if err := json.Unmarshal(patch, &ops); err != nil {
		return nil, badRequest("the JSON Patch is not an array of operations: %v", err)
	}
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return nil, err
	}
	for i, op := range ops {
		var err error
		root, err = applyOp(root, op)
		if err != nil {
			return nil, outcome(422, "processing", "JSON Patch operation %d (%s %s): %v", i, op.Op, op.Path, err)
		}
	}
	return json.Marshal(root)
}

func applyOp(root any, op patchOp) (any, error) {
	var value any
	needValue := op.Op == "add" || op.Op == "replace" || op.Op == "test"
	if needValue {
		if op.Value == nil {
			return nil, fmt.Errorf("the operation has no value")
		}
		if err := json.Unmarshal(op.Value, &value); err != nil {
			return nil, fmt.Errorf("value: %v", err)
		}
	}
	switch op.Op {
	case "add":
		return pointerSet(root, op.Path, value, true)
	case "remove":
		r, _, err := pointerRemove(root, op.Path)
		return r, err
	case "replace":
		if _, err := pointerGet(root, op.Path); err != nil {
			return nil, err
		}
		return pointerSet(root, op.Path, value, false)
	case "move":
		if strings.HasPrefix(op.Path, op.From+"/") {
			return nil, fmt.Errorf("cannot move %s into itself", op.From)
		}
		r, v, err := pointerRemove(root, op.From)
		if err != nil {
			return nil, err
		}
		return pointerSet(r, op.Path, v, true)
	case "copy":
		v, err := pointerGet(root, op.From)
		if err != nil {
			return nil, err
		}
		return pointerSet(root, op.Path, deepCopy(v), true)
	case "test":
		v, err := pointerGet(root, op.Path)
		if err != nil {
			return nil, err
		}
		if !reflect.DeepEqual(v, value) {
			return nil, fmt.Errorf("test failed: the value at %s differs", op.Path)
		}
		return root, nil
	}
	return nil, fmt.Errorf("unknown operation %q (add, remove, replace, move, copy, test)", op.Op)
}

func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// splitPointer splits an RFC 6901 JSON Pointer into unescaped tokens.
func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if p[0] != '/' {
		return nil, fmt.Errorf("path %q must start with /", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func arrayIndex(tok string, n int, allowEnd bool) (int, error) {
	if tok == "-" && allowEnd {
		return n, nil
	}
	i, err := strconv.Atoi(tok)
	if err != nil || i < 0 || (tok != "0" && strings.HasPrefix(tok, "0")) {
		return 0, fmt.Errorf("%q is not an array index", tok)
	}
	max := n - 1
	if allowEnd {
		max = n
	}
	if i > max {
		return 0, fmt.Errorf("index %d is out of range (length %d)", i, n)
	}
	return i, nil
}

func pointerGet(root any, p string) (any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	cur := root
	for _, t := range toks {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[t]
			if !ok {
				return nil, fmt.Errorf("no member %q", t)
			}
			cur = v
		case []any:
			i, err := arrayIndex(t, len(c), false)
			if err != nil {
				return nil, err
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot descend into a %T at %q", cur, t)
		}
	}
	return cur, nil
}

// pointerSet sets (add: inserts into arrays) the value at p.
func pointerSet(root any, p string, value any, add bool) (any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return value, nil
	}
	parent, err := pointerGet(root, "/"+joinPointer(toks[:len(toks)-1]))
	if len(toks) == 1 {
		parent, err = root, nil
	}
	if err != nil {
		return nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		c[last] = value
		return root, nil
	case []any:
		i, err := arrayIndex(last, len(c), add)
		if err != nil {
			return nil, err
		}
		if !add {
			c[i] = value
			return root, nil
		}
		c = append(c, nil)
		copy(c[i+1:], c[i:])
		c[i] = value
		return pointerSet(root, "/"+joinPointer(toks[:len(toks)-1]), c, false)
	}
	return nil, fmt.Errorf("cannot set a member of a %T", parent)
}

func pointerRemove(root any, p string) (any, any, error) {
	toks, err := splitPointer(p)
	if err != nil {
		return nil, nil, err
	}
	if len(toks) == 0 {
		return nil, nil, fmt.Errorf("cannot remove the whole document")
	}
	parentPath := "/" + joinPointer(toks[:len(toks)-1])
	parent, err := pointerGet(root, parentPath)
	if len(toks) == 1 {
		parent, err = root, nil
	}
	if err != nil {
		return nil, nil, err
	}
	last := toks[len(toks)-1]
	switch c := parent.(type) {
	case map[string]any:
		v, ok := c[last]
		if !ok {
			return nil, nil, fmt.Errorf("no member %q", last)
		}
		delete(c, last)
		return root, v, nil
	case []any:
		i, err := arrayIndex(last, len(c), false)
		if err != nil {
			return nil, nil, err
		}
		v := c[i]
		c = append(c[:i:i], c[i+1:]...)
		if len(toks) == 1 {
			return c, v, nil
		}
		r, err := pointerSet(root, parentPath, c, false)
		return r, v, err
	}
	return nil, nil, fmt.Errorf("cannot remove from a %T", parent)
}

func joinPointer(toks []string) string {
	esc := make([]string, len(toks))
	for i, t := range toks {
		esc[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1")
	}
	return strings.Join(esc, "/")
}
