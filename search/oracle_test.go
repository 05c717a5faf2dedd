package search

import (
	"bytes"
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/fhirpath"
	"github.com/fhirlake/fhirlake/r4"
)

// The oracle answers searches from the fixture resources themselves, in
// Go: it evaluates each parameter's FHIRPath expression with the Go
// evaluator and applies FHIR's matching rules to the values. It shares no
// code with the SQL search, so the tests compare two independent answers.

type oracle struct {
	m     *r4.Model
	byTyp map[string][]map[string]any
	exprs map[string]*fhirpath.Expr
}

func newOracle(m *r4.Model) *oracle {
	return &oracle{m: m, byTyp: map[string][]map[string]any{}, exprs: map[string]*fhirpath.Expr{}}
}

func (o *oracle) add(js []byte) {
	var res map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		panic(err)
	}
	t := res["resourceType"].(string)
	o.byTyp[t] = append(o.byTyp[t], res)
}

// search returns the ids of the resources of typ matching every param.
func (o *oracle) search(typ string, params url.Values) map[string]bool {
	out := map[string]bool{}
	for _, res := range o.byTyp[typ] {
		ok := true
		for name, values := range params {
			for _, v := range values {
				if !o.matches(typ, res, name, v) {
					ok = false
				}
			}
		}
		if ok {
			out[res["id"].(string)] = true
		}
	}
	return out
}

func (o *oracle) values(typ string, res map[string]any, p *r4.SearchParam) fhirpath.Collection {
	src := p.ExpressionFor(typ)
	e := o.exprs[typ+src]
	if e == nil {
		e = fhirpath.MustParse(src)
		o.exprs[typ+src] = e
	}
	c, err := e.EvaluateJSON(&fhirpath.Context{Resolve: fhirpath.ReferenceStub}, res)
	if err != nil {
		panic(err)
	}
	return c
}

// matches reports whether a resource matches one name=value occurrence.
func (o *oracle) matches(typ string, res map[string]any, full, raw string) bool {
	name, modifier, _ := strings.Cut(full, ":")
	if name == "_id" {
		for _, v := range strings.Split(raw, ",") {
			if res["id"] == v {
				return true
			}
		}
		return false
	}
	if strings.Contains(full, ".") { // chain: param[:Type].param
		head, inner, _ := strings.Cut(full, ".")
		pname, target, _ := strings.Cut(head, ":")
		p := o.m.SearchParam(typ, pname)
		matching := o.search(target, url.Values{inner: {raw}})
		for _, v := range o.values(typ, res, p) {
			ref := refString(v)
			for id := range matching {
				if ref == target+"/"+id {
					return true
				}
			}
		}
		return false
	}
	p := o.m.SearchParam(typ, name)
	vals := o.values(typ, res, p)
	if modifier == "missing" {
		return (len(vals) == 0) == (raw == "true")
	}
	any := false
	for _, v := range strings.Split(raw, ",") {
		for _, item := range vals {
			if o.match(p, modifier, item, v) {
				any = true
			}
		}
	}
	if modifier == "not" {
		return !any
	}
	return any
}

func (o *oracle) match(p *r4.SearchParam, modifier string, item fhirpath.Value, v string) bool {
	j, _ := item.JSON().(map[string]any)
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	switch p.Type {
	case "token":
		sys, code, hasSys := "", v, false
		if i := strings.IndexByte(v, '|'); i >= 0 {
			sys, code, hasSys = v[:i], v[i+1:], true
		}
		pair := func(s, c string) bool {
			return (!hasSys || s == sys) && (code == "" || c == code)
		}
		switch item.Type().Name {
		case "Coding":
			return pair(str(j, "system"), str(j, "code"))
		case "CodeableConcept":
			codings, _ := j["coding"].([]any)
			for _, c := range codings {
				cm := c.(map[string]any)
				if pair(str(cm, "system"), str(cm, "code")) {
					return true
				}
			}
			return false
		case "Identifier", "ContactPoint":
			return pair(str(j, "system"), str(j, "value"))
		}
		return item.String() == code
	case "string":
		var strs []string
		switch item.Type().Name {
		case "HumanName":
			for _, k := range []string{"family", "text"} {
				strs = append(strs, str(j, k))
			}
			for _, k := range []string{"given", "prefix", "suffix"} {
				l, _ := j[k].([]any)
				for _, s := range l {
					strs = append(strs, s.(string))
				}
			}
		case "Address":
			for _, k := range []string{"city", "district", "state", "postalCode", "country", "text"} {
				strs = append(strs, str(j, k))
			}
			l, _ := j["line"].([]any)
			for _, s := range l {
				strs = append(strs, s.(string))
			}
		default:
			strs = []string{item.String()}
		}
		for _, s := range strs {
			switch modifier {
			case "exact":
				if s == v {
					return true
				}
			case "contains":
				if s != "" && strings.Contains(strings.ToLower(s), strings.ToLower(v)) {
					return true
				}
			default:
				if s != "" && strings.HasPrefix(strings.ToLower(s), strings.ToLower(v)) {
					return true
				}
			}
		}
		return false
	case "reference":
		ref := refString(item)
		if strings.Contains(v, "/") {
			return ref == v
		}
		if modifier != "" {
			return ref == modifier+"/"+v
		}
		return strings.HasSuffix(ref, "/"+v)
	case "date":
		prefix, val := oraclePrefix(v)
		plo, phi := oracleRange(val)
		var lo, hi time.Time
		switch item.Type().Name {
		case "Period":
			lo, hi = time.Unix(-1<<40, 0), time.Unix(1<<40, 0)
			if s := str(j, "start"); s != "" {
				lo, _ = oracleRange(s)
			}
			if s := str(j, "end"); s != "" {
				_, hi = oracleRange(s)
				hi = hi.Add(-time.Microsecond)
			}
		default:
			lo, hi = oracleRange(item.String())
			hi = hi.Add(-time.Microsecond)
		}
		eq := !lo.Before(plo) && hi.Before(phi)
		switch prefix {
		case "gt":
			return !hi.Before(phi)
		case "lt":
			return lo.Before(plo)
		case "ge":
			return !hi.Before(phi) || eq
		case "le":
			return lo.Before(plo) || eq
		case "ne":
			return !eq
		case "sa":
			return !lo.Before(phi)
		case "eb":
			return hi.Before(plo)
		}
		return eq
	case "quantity":
		prefix, val := oraclePrefix(v)
		parts := strings.Split(val, "|")
		x, _ := strconv.ParseFloat(parts[0], 64)
		if item.Type().Name != "Quantity" {
			return false
		}
		got, err := strconv.ParseFloat(string(j["value"].(json.Number)), 64)
		if err != nil {
			return false
		}
		if len(parts) == 3 && ((parts[1] != "" && str(j, "system") != parts[1]) || (parts[2] != "" && str(j, "code") != parts[2] && (parts[1] != "" || str(j, "unit") != parts[2]))) {
			return false
		}
		decimals := 0
		if i := strings.IndexByte(parts[0], '.'); i >= 0 {
			decimals = len(parts[0]) - i - 1
		}
		half := 0.5 * math.Pow(10, -float64(decimals))
		switch prefix {
		case "gt":
			return got > x
		case "lt":
			return got < x
		case "ge":
			return got >= x
		case "le":
			return got <= x
		}
		return got >= x-half && got < x+half
	}
	panic("oracle: no rule for " + p.Type)
}

func refString(v fhirpath.Value) string {
	if m, ok := v.JSON().(map[string]any); ok {
		s, _ := m["reference"].(string)
		return s
	}
	return v.String()
}

func oraclePrefix(v string) (string, string) {
	for _, p := range []string{"eq", "ne", "gt", "lt", "ge", "le", "sa", "eb"} {
		if strings.HasPrefix(v, p) {
			return p, v[2:]
		}
	}
	return "eq", v
}

// oracleRange is the [lo, hi) a date, dateTime or instant text covers.
func oracleRange(s string) (time.Time, time.Time) {
	switch len(s) {
	case 4:
		t, _ := time.Parse("2006", s)
		return t, t.AddDate(1, 0, 0)
	case 7:
		t, _ := time.Parse("2006-01", s)
		return t, t.AddDate(0, 1, 0)
	case 10:
		t, _ := time.Parse("2006-01-02", s)
		return t, t.AddDate(0, 0, 1)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic("oracle: date " + s)
	}
	if strings.Contains(s, ".") {
		return t, t.Add(time.Microsecond)
	}
	return t, t.Add(time.Second)
}
