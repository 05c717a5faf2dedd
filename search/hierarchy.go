package search

import (
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/r4"
)

// hierarchyParams name the reference a resource type's hierarchy follows
// when the searched parameter is not itself one (Location.partOf,
// Organization.partOf, Encounter.partOf, Specimen.parent ...).
var hierarchyParams = []string{"partof", "part-of", "parent"}

// refHierarchy is :below or :above on a reference: the parameter points to
// the resource named, or to one below it (above it) in its type's
// hierarchy. Procedure?location:below=Location/1 matches procedures at
// location 1 or any location within it; Location?partof:below=Location/1
// the locations within 1, at every depth.
func (b *builder) refHierarchy(typ, alias string, cl *Clause) (string, error) {
	refs, err := b.refList(typ, cl.Param, alias)
	if err != nil {
		return "", err
	}
	var ors []string
	for _, v := range cl.Values {
		target, id, err := b.hierarchyTarget(cl, v)
		if err != nil {
			return "", err
		}
		hp := b.hierarchyParam(typ, cl.Param, target)
		if hp == nil {
			return "", errorf(":%s on %s needs a hierarchy of %s resources, and no reference search parameter of %s points to %s only (one of %s)",
				cl.Modifier, cl.Name, target, target, target, strings.Join(hierarchyParams, ", "))
		}
		s := b.lambda()
		links, err := b.refList(target, hp, s)
		if err != nil {
			return "", err
		}
		table := "main." + fhirflat.QuoteIdent(fhirflat.TableName(target))
		start := "SELECT " + b.arg(target+"/"+id) + "::VARCHAR"
		var step string
		if cl.Modifier == "below" {
			// the resources that point to one found
			step = "SELECT '" + target + "/' || " + s + ".id FROM " + table + " AS " + s + ", h WHERE list_contains(" + links + ", h.ref)"
		} else {
			// the resources one found points to
			step = "SELECT unnest(" + links + ") FROM " + table + " AS " + s + ", h WHERE '" + target + "/' || " + s + ".id = h.ref"
		}
		// UNION, not UNION ALL: a cycle in the data ends the recursion
		set := "(WITH RECURSIVE h(ref) AS (" + start + " UNION " + step + ") SELECT list(ref) FROM h)"
		ors = append(ors, "coalesce(list_has_any("+refs+", "+set+"), false)")
	}
	return "(" + strings.Join(ors, " OR ") + ")", nil
}

// hierarchyTarget gives the type and id a :below or :above value names:
// Type/id (relative, or absolute on this server) or an id when the
// parameter points to one type.
func (b *builder) hierarchyTarget(cl *Clause, v Value) (typ, id string, err error) {
	raw := v.Raw
	if b.base != "" {
		raw = strings.TrimPrefix(raw, b.base+"/")
	}
	if t, i, ok := strings.Cut(raw, "/"); ok {
		if !b.c.m.IsResource(t) || i == "" || strings.Contains(i, "/") {
			return "", "", errorf(":%s on %s takes Type/id or an id, not %q", cl.Modifier, cl.Name, v.Raw)
		}
		return t, i, nil
	}
	if len(cl.Param.Targets) != 1 {
		return "", "", errorf("%s:%s=%s is ambiguous: %s may point to %s; give Type/id", cl.Name, cl.Modifier, v.Raw, cl.Name, strings.Join(cl.Param.Targets, ", "))
	}
	return cl.Param.Targets[0], raw, nil
}

// hierarchyParam is the reference search parameter of target whose links
// make target's hierarchy: the searched parameter when it points from a
// type to itself, else target's partof, part-of or parent parameter.
func (b *builder) hierarchyParam(typ string, p *r4.SearchParam, target string) *r4.SearchParam {
	circular := func(p *r4.SearchParam) bool {
		return p != nil && p.Type == "reference" && len(p.Targets) == 1 && p.Targets[0] == target
	}
	if typ == target && circular(p) {
		return p
	}
	for _, code := range hierarchyParams {
		if hp := b.c.m.SearchParam(target, code); circular(hp) {
			return hp
		}
	}
	return nil
}
