package fhirsql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/viewdef"
)

// repeat: the rows of a select for every item its paths reach from the
// focus, recursively, depth first (each item followed by the items
// reached from it). %rowIndex is the item's position in that order.
//
// Items in STRUCT columns have a different type at each level (the
// deepest level of a recursive element is kept as JSON by fhirflat), so
// the compiler follows the typed levels itself: the rows of an item are
// its own rows followed by the rows of each child's subtree. From the
// level kept as JSON on, items share one type: they are listed depth
// first in one LIST. Either way the SQL follows repeatDepth levels; deeper
// data stops the query with an error.
//
// An item is identified by its key, the list of its positions among the
// children of its ancestors. When %rowIndex is used, the keys of all items
// are listed depth first once (bound to a lambda parameter), and an
// item's %rowIndex is the position of its key in that list.

type repeatCompiler struct {
	vc   *viewCompiler
	sel  *viewdef.Select
	s    scope
	keys string // the lambda parameter holding every key, when %rowIndex is used
}

const (
	noKeys    = "CAST([] AS BIGINT[])"   // the key of the focus
	noKeyList = "CAST([] AS BIGINT[][])" // no items
)

func (vc *viewCompiler) repeatRows(sel *viewdef.Select, s scope) (rowset, error) {
	rc := &repeatCompiler{vc: vc, sel: sel, s: s}
	// the columns' types, even when no item can be reached
	empty := s
	empty.this, empty.rowIndex = emptyVal(), "0"
	if _, err := vc.itemRows(sel, empty); err != nil {
		return rowset{}, err
	}
	names := columnsOf(sel)
	if !usesRowIndex(sel) {
		rows, err := rc.descendants(s.this, noKeys, repeatDepth)
		if err != nil {
			return rowset{}, err
		}
		return rowset{names: names, single: map[string]string{}, list: rows}, nil
	}
	keys, err := rc.keysBelow(s.this, noKeys, repeatDepth)
	if err != nil {
		return rowset{}, err
	}
	rc.keys = vc.c.lambdaVar()
	rows, err := rc.descendants(s.this, noKeys, repeatDepth)
	if err != nil {
		return rowset{}, err
	}
	list := "list_transform([" + keys + "], lambda " + rc.keys + ": " + rows + ")[1]"
	return rowset{names: names, single: map[string]string{}, list: list}, nil
}

// usesRowIndex reports whether %rowIndex of a select's items is used: in
// its columns, or those of nested selects and unionAll branches that do
// not iterate themselves, or in their iteration paths.
func usesRowIndex(sel *viewdef.Select) bool {
	found := false
	check := func(e *fhirpath.Expr) {
		fhirpath.Walk(e.Root(), func(n fhirpath.Node) bool {
			if v, ok := n.(*fhirpath.Variable); ok && v.Name == "rowIndex" {
				found = true
			}
			return !found
		})
	}
	for _, c := range sel.Columns {
		check(c.Expr)
	}
	for _, n := range append(append([]*viewdef.Select{}, sel.Select...), sel.UnionAll...) {
		switch {
		case n.ForEach != nil:
			check(n.ForEach)
		case n.ForEachOrNull != nil:
			check(n.ForEachOrNull)
		case len(n.Repeat) > 0:
			for _, r := range n.Repeat {
				check(r)
			}
		default:
			found = found || usesRowIndex(n)
		}
	}
	return found
}

// position is the SQL of %rowIndex for the item with the given key.
func (rc *repeatCompiler) position(key string) string {
	if rc.keys == "" {
		return "0" // not used
	}
	return "CAST(list_position(" + rc.keys + ", " + key + ") - 1 AS INTEGER)"
}

// children compiles the repeat paths on one item.
func (rc *repeatCompiler) children(x val) ([]val, error) {
	var out []val
	for _, p := range rc.sel.Repeat {
		c := rc.vc.c.with(p.Source())
		sub := rc.s
		sub.this = x
		v, err := c.compile(p.Root(), sub)
		if err != nil {
			return nil, err
		}
		if v.empty {
			out = append(out, v)
			continue
		}
		if v.isPoly() || v.t.repr == scalar || v.t.repr == row || v.resolved {
			return nil, &Error{Expr: p.Source(), What: rc.sel.Path + ".repeat", Msg: "repeat needs complex items, got " + v.typeNames()}
		}
		out = append(out, v)
	}
	return out, nil
}

// tooDeep is the SQL that stops the query when items nest deeper than
// the compiled levels.
func (rc *repeatCompiler) tooDeep(lists []string) string {
	msg := fmt.Sprintf("fhirsql: %s.repeat: the data nests deeper than %d levels, which the SQL of this view follows; use the Go runner", rc.sel.Path, repeatDepth)
	var any []string
	for _, l := range lists {
		any = append(any, "coalesce(len("+l+"), 0) > 0")
	}
	return "CASE WHEN " + strings.Join(any, " OR ") + " THEN error(" + quote(msg) + ") END"
}

func concatLists(lists []string) string {
	out := lists[len(lists)-1]
	for i := len(lists) - 2; i >= 0; i-- {
		out = "list_concat(" + lists[i] + ", " + out + ")"
	}
	return out
}

// keyOf extends a key by one position.
func keyOf(prefix, pos string) string {
	return "list_concat(" + prefix + ", [CAST(" + pos + " AS BIGINT)])"
}

// descendants is the rows of the items reached from x, depth first; key
// is x's key.
func (rc *repeatCompiler) descendants(x val, key string, depth int) (string, error) {
	kids, err := rc.children(x)
	if err != nil {
		return "", err
	}
	c := rc.vc.c
	rowType := rc.vc.rowType(columnsOf(rc.sel))
	var parts, lists []string
	for p, k := range kids {
		if k.empty {
			continue
		}
		list := c.list(k)
		lists = append(lists, list)
		if depth == 0 {
			continue
		}
		prefix := keyOf(key, strconv.Itoa(p))
		var part string
		if k.t.repr == jsonValue {
			part, err = rc.jsonRows(list, k.t, prefix, depth)
		} else {
			part, err = rc.typedRows(list, k.t, prefix, depth)
		}
		if err != nil {
			return "", err
		}
		parts = append(parts, part)
	}
	switch {
	case len(lists) == 0:
		return "CAST([] AS " + rowType + "[])", nil
	case depth == 0:
		return "coalesce(" + rc.tooDeep(lists) + ", CAST([] AS " + rowType + "[]))", nil
	}
	return concatLists(parts), nil
}

// typedRows is the rows of the STRUCT items of list and their
// descendants; prefix is the key of the list.
func (rc *repeatCompiler) typedRows(list string, t itemType, prefix string, depth int) (string, error) {
	c := rc.vc.c
	x, i := c.lambdaVar(), c.lambdaVar()
	key := keyOf(prefix, i)
	sub := rc.s
	sub.this, sub.rowIndex = val{sql: x, t: t}, rc.position(key)
	own, err := rc.vc.itemRows(rc.sel, sub)
	if err != nil {
		return "", err
	}
	below, err := rc.descendants(val{sql: x, t: t}, key, depth-1)
	if err != nil {
		return "", err
	}
	return "flatten(list_transform(" + list + ", lambda " + x + ", " + i + ": list_concat(" + rc.vc.toList(own) + ", " + below + ")))", nil
}

// jsonRows is the rows of the JSON items of list and their descendants.
func (rc *repeatCompiler) jsonRows(list string, t itemType, prefix string, depth int) (string, error) {
	dfs, err := rc.jsonDFS(list, t, prefix, depth)
	if err != nil {
		return "", err
	}
	c := rc.vc.c
	e := c.lambdaVar()
	sub := rc.s
	sub.this, sub.rowIndex = val{sql: e + ".item", t: t}, rc.position(e+".key")
	own, err := rc.vc.itemRows(rc.sel, sub)
	if err != nil {
		return "", err
	}
	return "flatten(list_transform(" + dfs + ", lambda " + e + ": " + rc.vc.toList(own) + "))", nil
}

// jsonDFS lists the JSON items of list, each followed by the items
// reached from it, depth first, as STRUCTs of the item and its key.
func (rc *repeatCompiler) jsonDFS(list string, t itemType, prefix string, depth int) (string, error) {
	c := rc.vc.c
	y, i := c.lambdaVar(), c.lambdaVar()
	key := keyOf(prefix, i)
	below, err := rc.jsonBelow(val{sql: y, t: t}, key, depth-1)
	if err != nil {
		return "", err
	}
	return "flatten(list_transform(" + list + ", lambda " + y + ", " + i + ": list_concat([{'item': " + y + ", 'key': " + key + "}], " + below + ")))", nil
}

// jsonBelow lists the JSON items reached from the JSON item x (key key),
// depth first.
func (rc *repeatCompiler) jsonBelow(x val, key string, depth int) (string, error) {
	kids, err := rc.children(x)
	if err != nil {
		return "", err
	}
	c := rc.vc.c
	var lists []string
	for _, k := range kids {
		if k.empty {
			continue
		}
		if k.t.repr != jsonValue || k.t.fhir != x.t.fhir || k.t.elem != x.t.elem {
			return "", &Error{Expr: rc.sel.Repeat[0].Source(), What: rc.sel.Path + ".repeat", Msg: "the repeat paths reach items of different types in JSON"}
		}
		lists = append(lists, c.list(k))
	}
	const none = "CAST([] AS STRUCT(item JSON, key BIGINT[])[])"
	switch {
	case len(lists) == 0:
		return none, nil
	case depth == 0:
		return "coalesce(" + rc.tooDeep(lists) + ", " + none + ")", nil
	}
	// the children of all paths in one list, so that each level is
	// written once
	return rc.jsonDFS(concatLists(lists), x.t, key, depth)
}

// keysBelow lists the keys of the items reached from x, depth first.
func (rc *repeatCompiler) keysBelow(x val, key string, depth int) (string, error) {
	if depth == 0 {
		return noKeyList, nil // the rows stop the query there
	}
	kids, err := rc.children(x)
	if err != nil {
		return "", err
	}
	c := rc.vc.c
	var parts []string
	for p, k := range kids {
		if k.empty {
			continue
		}
		list := c.list(k)
		prefix := keyOf(key, strconv.Itoa(p))
		if k.t.repr == jsonValue {
			dfs, err := rc.jsonDFS(list, k.t, prefix, depth)
			if err != nil {
				return "", err
			}
			e := c.lambdaVar()
			parts = append(parts, "list_transform("+dfs+", lambda "+e+": "+e+".key)")
			continue
		}
		y, i := c.lambdaVar(), c.lambdaVar()
		own := keyOf(prefix, i)
		below, err := rc.keysBelow(val{sql: y, t: k.t}, own, depth-1)
		if err != nil {
			return "", err
		}
		parts = append(parts, "flatten(list_transform("+list+", lambda "+y+", "+i+": list_concat(["+own+"], "+below+")))")
	}
	if len(parts) == 0 {
		return noKeyList, nil
	}
	return concatLists(parts), nil
}
