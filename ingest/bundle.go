package ingest

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/fhirlake/fhirlake/fhirflat"
)

// A .json input file holds one resource. Bundles of type transaction,
// batch and collection are unpacked: each entry's resource is imported,
// the way a FHIR server processes the Bundle, except that ids are kept
// (so an import can be repeated and resumed):
//
//   - an entry's id is its resource's id; else, for a urn:uuid fullUrl,
//     that uuid; else one derived from the file name and entry index;
//     PUT entries take the id of their request URL (Type/id);
//   - references to an entry's fullUrl (urn:uuid:...) become Type/id;
//   - conditional references (Type?identifier=system|value) become Type/id
//     of the one resource that matches, among those stored and those of
//     earlier Bundles of the job;
//   - a POST with ifNoneExist that matches a resource creates nothing (the
//     entry's fullUrl then refers to the match).
//
// A transaction is all or nothing: when one entry fails, every entry is
// reported in FAILURE and none is imported. Batch and collection entries
// stand alone.

type bundleJSON struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
		Request  *struct {
			Method      string `json:"method"`
			URL         string `json:"url"`
			IfNoneExist string `json:"ifNoneExist"`
		} `json:"request"`
	} `json:"entry"`
}

// entryState is what processing an entry has found so far.
type entryState struct {
	typ, id  string
	resource []byte
	create   *condQuery // ifNoneExist
	matched  string     // id of the resource an ifNoneExist matched
	skip     bool       // nothing to import (matched or failed)
	issues   []fhirflat.Issue
	idents   []identifier
}

// processJSON handles a .json unit: one resource, or a Bundle's entries.
func (w *worker) processJSON(ctx context.Context, u *unit) {
	data := u.data
	var head struct {
		ResourceType string `json:"resourceType"`
		Type         string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		u.res.fileError(fmt.Sprintf("not a JSON resource: %v", err))
		return
	}
	if head.ResourceType != "Bundle" || (head.Type != "transaction" && head.Type != "batch" && head.Type != "collection") {
		w.normalizeAs(u, w.compact(data), 1, -1, "")
		return
	}
	var b bundleJSON
	if err := json.Unmarshal(data, &b); err != nil {
		u.res.fileError(fmt.Sprintf("not a FHIR Bundle: %v", err))
		return
	}
	transaction := b.Type == "transaction"
	entries := make([]*entryState, len(b.Entry))
	refs := map[string]string{} // fullUrl → Type/id
	var creates []condQuery
	for i, e := range b.Entry {
		st := &entryState{}
		entries[i] = st
		if len(e.Resource) == 0 || string(e.Resource) == "null" {
			st.fail("required", fmt.Sprintf("Bundle.entry[%d].resource", i), "the entry has no resource")
			continue
		}
		var rh struct {
			ResourceType string `json:"resourceType"`
			ID           string `json:"id"`
		}
		if err := json.Unmarshal(e.Resource, &rh); err != nil || rh.ResourceType == "" {
			st.fail("structure", fmt.Sprintf("Bundle.entry[%d].resource", i), "the entry's resource has no resourceType")
			continue
		}
		st.typ, st.id, st.resource = rh.ResourceType, rh.ID, e.Resource
		method := "POST"
		if e.Request != nil && e.Request.Method != "" {
			method = strings.ToUpper(e.Request.Method)
		}
		switch method {
		case "POST":
			if e.Request != nil && e.Request.IfNoneExist != "" {
				q, err := parseSearch(st.typ, e.Request.IfNoneExist)
				if err != nil {
					st.fail("not-supported", fmt.Sprintf("Bundle.entry[%d].request.ifNoneExist", i), err.Error())
					continue
				}
				st.create = &q
				creates = append(creates, q)
			}
		case "PUT":
			url := ""
			if e.Request != nil {
				url = e.Request.URL
			}
			typ, id, ok := strings.Cut(url, "/")
			if !ok || typ != st.typ || id == "" || strings.ContainsAny(id, "?/") {
				st.fail("not-supported", fmt.Sprintf("Bundle.entry[%d].request.url", i),
					fmt.Sprintf("PUT %q: import supports PUT %s/[id] only", url, st.typ))
				continue
			}
			st.id = id
		default:
			st.fail("not-supported", fmt.Sprintf("Bundle.entry[%d].request.method", i),
				fmt.Sprintf("request method %s is not supported by import (POST and PUT are)", method))
			continue
		}
		if st.id == "" {
			if uuid, ok := strings.CutPrefix(e.FullURL, "urn:uuid:"); ok && validID(uuid) {
				st.id = uuid
			} else {
				st.id = derivedID(u.key, i)
			}
		}
		if e.FullURL != "" {
			refs[e.FullURL] = st.typ + "/" + st.id
		}
	}
	// Conditional references, gathered first to be resolved together.
	var conds []condQuery
	seen := map[condQuery]bool{}
	for _, st := range entries {
		if st.skip {
			continue
		}
		_, err := rewriteRefs(st.resource, func(ref string) (string, bool, error) {
			if q, ok, err := conditionalRef(ref); ok && err == nil && !seen[q] {
				seen[q] = true
				conds = append(conds, q)
			}
			return "", false, nil
		})
		if err != nil {
			st.fail("structure", st.typ, err.Error())
		}
	}
	var found map[condQuery][]string
	if len(conds)+len(creates) > 0 {
		var err error
		found, err = w.resolver.resolve(ctx, u.seq, append(conds, creates...))
		if err != nil {
			u.res.abort = err
			return
		}
	}
	// Conditional creates: earlier entries of this Bundle count too.
	local := map[string][]identRef{}
	for i, st := range entries {
		if st.skip {
			continue
		}
		st.idents = identifiersOf(st.resource)
		if st.create != nil {
			ids := found[*st.create]
			for _, r := range local[st.typ+"\x00"+st.create.value] {
				if st.create.anySystem || r.system == st.create.system {
					ids = append(ids, r.id)
				}
			}
			ids = compactStrings(sortedCopy(ids))
			switch {
			case len(ids) == 1:
				st.matched, st.skip = ids[0], true
				if b.Entry[i].FullURL != "" {
					refs[b.Entry[i].FullURL] = st.typ + "/" + ids[0]
				}
				continue
			case len(ids) > 1:
				st.fail("multiple-matches", fmt.Sprintf("Bundle.entry[%d].request.ifNoneExist", i),
					fmt.Sprintf("ifNoneExist %s matches %d resources", st.create, len(ids)))
				continue
			}
		}
		for _, id := range st.idents {
			k := st.typ + "\x00" + id.value
			local[k] = append(local[k], identRef{system: id.system, id: st.id})
		}
	}
	// References: rewrite, then check and lay out each entry.
	taken := map[string]int{}
	for i, st := range entries {
		if st.skip {
			continue
		}
		path := fmt.Sprintf("Bundle.entry[%d].resource", i)
		src, err := rewriteRefs(st.resource, func(ref string) (string, bool, error) {
			if to, ok := refs[ref]; ok {
				return to, true, nil
			}
			if strings.HasPrefix(ref, "urn:uuid:") || strings.HasPrefix(ref, "urn:oid:") {
				return "", false, fmt.Errorf("reference %s matches no entry of the Bundle", ref)
			}
			q, ok, err := conditionalRef(ref)
			if !ok {
				return "", false, nil
			}
			if err != nil {
				return "", false, err
			}
			ids := found[q]
			for _, r := range local[q.typ+"\x00"+q.value] {
				if q.anySystem || r.system == q.system {
					ids = append(ids, r.id)
				}
			}
			ids = compactStrings(sortedCopy(ids))
			switch len(ids) {
			case 0:
				return "", false, fmt.Errorf("conditional reference %s matches no resource", ref)
			case 1:
				return q.typ + "/" + ids[0], true, nil
			}
			return "", false, fmt.Errorf("conditional reference %s matches %d resources", ref, len(ids))
		})
		if err != nil {
			st.fail("not-found", path, err.Error())
			continue
		}
		k := st.typ + "/" + st.id
		if j, dup := taken[k]; dup {
			st.fail("duplicate", path, fmt.Sprintf("%s is also entry %d of this Bundle; only the first is imported", k, j))
			continue
		}
		taken[k] = i
		st.resource = src
	}
	for i, st := range entries {
		switch {
		case len(st.issues) > 0:
			u.res.fails = append(u.res.fails, failure{line: 1, entry: int32(i), typ: st.typ, id: st.id, issues: st.issues})
		case st.matched != "":
			u.res.matched = append(u.res.matched, rowRef{typ: st.typ, id: st.matched, line: 1, entry: int32(i)})
		default:
			if w.normalizeAs(u, w.compact(st.resource), 1, int32(i), st.id) {
				u.res.rows[len(u.res.rows)-1].idents = st.idents
			}
		}
	}
	if transaction && len(u.res.fails) > 0 {
		// A transaction fails whole: every entry is reported, none imported.
		issues := map[int32][]fhirflat.Issue{}
		for _, f := range u.res.fails {
			issues[f.entry] = f.issues
		}
		n := len(u.res.fails)
		u.res.reset()
		for i, st := range entries {
			is := issues[int32(i)]
			if is == nil {
				is = []fhirflat.Issue{{Code: "processing", Path: fmt.Sprintf("Bundle.entry[%d]", i),
					Message: fmt.Sprintf("not imported: %d entries of this transaction failed", n)}}
			}
			u.res.fails = append(u.res.fails, failure{line: 1, entry: int32(i), typ: st.typ, id: st.id, issues: is})
		}
	}
}

// compact removes the insignificant white space of a JSON value: the
// checked row keeps parts of it verbatim, and rows are NDJSON lines.
func (w *worker) compact(src []byte) []byte {
	w.buf.Reset()
	if json.Compact(&w.buf, src) != nil {
		return src // the check reports it
	}
	return w.buf.Bytes()
}

func (st *entryState) fail(code, path, msg string) {
	st.issues = append(st.issues, fhirflat.Issue{Code: code, Path: path, Message: msg})
	st.skip = true
}

// conditionalRef recognises Type?search references; err says why one
// cannot be resolved.
func conditionalRef(ref string) (q condQuery, ok bool, err error) {
	i := strings.IndexByte(ref, '?')
	if i <= 0 || strings.ContainsAny(ref[:i], "/:#") {
		return condQuery{}, false, nil
	}
	q, err = parseConditional(ref)
	return q, true, err
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// identifiersOf returns a resource's identifiers (system and value).
func identifiersOf(resource []byte) []identifier {
	var r struct {
		Identifier json.RawMessage `json:"identifier"`
	}
	if json.Unmarshal(resource, &r) != nil || len(r.Identifier) == 0 {
		return nil
	}
	var list []struct{ System, Value string }
	if json.Unmarshal(r.Identifier, &list) != nil {
		var one struct{ System, Value string }
		if json.Unmarshal(r.Identifier, &one) != nil {
			return nil
		}
		list = append(list, one)
	}
	var out []identifier
	for _, i := range list {
		if i.Value != "" {
			out = append(out, identifier{system: i.System, value: i.Value})
		}
	}
	return out
}

// validID reports whether s is a FHIR id: 1-64 of A-Z a-z 0-9 - .
func validID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// derivedID gives a resource without an id one that depends only on where
// it is in the input, so an import that is repeated or resumed gives it
// the same id.
func derivedID(key string, index int) string {
	h := sha1.Sum([]byte(fmt.Sprintf("fhirlake-import\x00%s\x00%d", key, index)))
	return hex.EncodeToString(h[:16])
}
