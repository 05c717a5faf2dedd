package terminology

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// memory is a Source over resources held in a test.
type memory map[string][]string // type → JSON documents, newest first

func (m memory) ByURL(_ context.Context, typ, url string) ([][]byte, error) {
	var out [][]byte
	for _, d := range m[typ] {
		var v struct{ URL string }
		if err := json.Unmarshal([]byte(d), &v); err != nil {
			return nil, err
		}
		if v.URL == url {
			out = append(out, []byte(d))
		}
	}
	return out, nil
}

func (m memory) ByID(_ context.Context, typ, id string) ([]byte, error) {
	for _, d := range m[typ] {
		var v struct{ ID string }
		if err := json.Unmarshal([]byte(d), &v); err != nil {
			return nil, err
		}
		if v.ID == id {
			return []byte(d), nil
		}
	}
	return nil, nil
}

// animals: animal > {mammal > {dog, cat}, bird > {parrot}}; fish has
// the parent animal by property; extinct marks dodo, a bird.
const animals = `{"resourceType":"CodeSystem","url":"http://x/animals","concept":[
 {"code":"animal","concept":[
  {"code":"mammal","display":"Mammal","concept":[{"code":"dog"},{"code":"cat","display":"Cat"}]},
  {"code":"bird","concept":[{"code":"parrot"},{"code":"dodo","property":[{"code":"extinct","valueBoolean":true}]}]}]},
 {"code":"fish","property":[{"code":"parent","valueCode":"animal"}]}]}`

func src() memory {
	return memory{
		"CodeSystem": {animals},
		"ValueSet": {
			`{"resourceType":"ValueSet","id":"pets","url":"http://x/pets","version":"2","compose":{"include":[{"system":"http://x/animals","concept":[{"code":"dog"},{"code":"cat"},{"code":"parrot"}]}]}}`,
			`{"resourceType":"ValueSet","id":"pets1","url":"http://x/pets","version":"1","compose":{"include":[{"system":"http://x/animals","concept":[{"code":"dog"}]}]}}`,
			`{"resourceType":"ValueSet","id":"mammals","url":"http://x/mammals","compose":{"include":[{"system":"http://x/animals","filter":[{"property":"concept","op":"is-a","value":"mammal"}]}]}}`,
			`{"resourceType":"ValueSet","id":"pet-mammals","url":"http://x/pet-mammals","compose":{"include":[{"valueSet":["http://x/pets","http://x/mammals"]}]}}`,
			`{"resourceType":"ValueSet","id":"loinc-not-bp","url":"http://x/loinc","compose":{"include":[{"system":"http://loinc.org"},{"system":"http://x/animals","filter":[{"property":"extinct","op":"=","value":"true"}]}],"exclude":[{"system":"http://loinc.org","concept":[{"code":"85354-9"}]}]}}`,
			`{"resourceType":"ValueSet","id":"expanded","url":"http://x/expanded","expansion":{"contains":[{"system":"s","code":"a"},{"abstract":true,"system":"s","code":"group","contains":[{"system":"s","code":"b"}]}]}}`,
			`{"resourceType":"ValueSet","id":"no-unicorns","url":"http://x/no-unicorns","compose":{"include":[{"system":"http://x/animals","filter":[{"property":"concept","op":"is-a","value":"unicorn"}]}]}}`,
			`{"resourceType":"ValueSet","id":"loop","url":"http://x/loop","compose":{"include":[{"valueSet":["http://x/loop"]}]}}`,
			`{"resourceType":"ValueSet","id":"bad-filter","url":"http://x/bad-filter","compose":{"include":[{"system":"http://x/animals","filter":[{"property":"concept","op":"is-a-kind-of","value":"x"}]}]}}`,
			`{"resourceType":"ValueSet","id":"unknown-system","url":"http://x/unknown-system","compose":{"include":[{"system":"http://nowhere","filter":[{"property":"concept","op":"is-a","value":"x"}]}]}}`,
		},
	}
}

func members(t *testing.T, s *Set, system string) []string {
	t.Helper()
	all, list := s.Codes(system)
	if all {
		return append([]string{"ALL BUT"}, list...)
	}
	return list
}

func TestExpand(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		url, system string
		want        []string
	}{
		{"http://x/pets", "http://x/animals", []string{"cat", "dog", "parrot"}},
		{"http://x/pets|1", "http://x/animals", []string{"dog"}},
		{"ValueSet/pets1", "http://x/animals", []string{"dog"}},
		{"http://x/mammals", "http://x/animals", []string{"cat", "dog", "mammal"}},
		{"http://x/pet-mammals", "http://x/animals", []string{"cat", "dog"}},
		{"http://x/loinc", "http://loinc.org", []string{"ALL BUT", "85354-9"}},
		{"http://x/loinc", "http://x/animals", []string{"dodo"}},
		{"http://x/expanded", "s", []string{"a", "b"}},
		{"http://x/no-unicorns", "http://x/animals", []string{}},
	}
	for _, c := range cases {
		s, err := New(src()).Expand(ctx, c.url)
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		if got := members(t, s, c.system); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s in %s: %v, want %v", c.url, c.system, got, c.want)
		}
	}
	s, _ := New(src()).Expand(ctx, "http://x/loinc")
	if !s.Has("http://loinc.org", "8302-2") || s.Has("http://loinc.org", "85354-9") || s.Has("http://snomed.info/sct", "8302-2") {
		t.Errorf("a whole system less an exclusion: wrong membership")
	}
}

func TestExpandErrors(t *testing.T) {
	for url, want := range map[string]string{
		"http://x/none":           "http://x/none is not stored",
		"http://x/loop":           "includes itself",
		"http://x/bad-filter":     `filter op "is-a-kind-of" is not supported`,
		"http://x/unknown-system": "code system http://nowhere is not stored",
		"http://x/pets|3":         "not stored",
	} {
		_, err := New(src()).Expand(context.Background(), url)
		var te *Error
		if err == nil || !errors.As(err, &te) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an *Error with %q", url, err, want)
		}
	}
}

func TestHierarchy(t *testing.T) {
	ctx := context.Background()
	terms := New(src())
	below, err := terms.Below(ctx, "http://x/animals", "animal")
	if err != nil {
		t.Fatal(err)
	}
	if got := members(t, below, "http://x/animals"); !reflect.DeepEqual(got, []string{"animal", "bird", "cat", "dodo", "dog", "fish", "mammal", "parrot"}) {
		t.Errorf("below animal: %v", got)
	}
	above, _ := terms.Above(ctx, "http://x/animals", "cat")
	if got := members(t, above, "http://x/animals"); !reflect.DeepEqual(got, []string{"animal", "cat", "mammal"}) {
		t.Errorf("above cat: %v", got)
	}
	unknown, _ := terms.Below(ctx, "http://x/animals", "unicorn")
	if got := members(t, unknown, "http://x/animals"); !reflect.DeepEqual(got, []string{"unicorn"}) {
		t.Errorf("below an unknown code: %v", got)
	}
	if _, err := terms.Below(ctx, "http://snomed.info/sct", "123"); err == nil || !strings.Contains(err.Error(), "not stored") {
		t.Errorf("below in a code system not stored: %v", err)
	}
	if _, err := terms.Below(ctx, "", "123"); err == nil || !strings.Contains(err.Error(), "system|code") {
		t.Errorf("below without a system: %v", err)
	}
}

// TestSetAlgebra checks Union, Intersect and Subtract against membership
// computed code by code, over every combination of listed and
// all-but sets on a small universe.
func TestSetAlgebra(t *testing.T) {
	universe := []string{"a", "b", "c", "d"}
	var sets []*Set
	for mask := 0; mask < 16; mask++ {
		for _, all := range []bool{false, true} {
			s := NewSet()
			if all {
				s.AddSystem("s")
			}
			for i, k := range universe {
				if mask&(1<<i) != 0 {
					if all {
						s.systems["s"].list[k] = struct{}{}
					} else {
						s.Add("s", k)
					}
				}
			}
			sets = append(sets, s)
		}
	}
	clone := func(s *Set) *Set { c := NewSet(); c.Union(s); return c }
	ops := map[string]struct {
		apply func(a, b *Set)
		want  func(x, y bool) bool
	}{
		"union":     {(*Set).Union, func(x, y bool) bool { return x || y }},
		"intersect": {(*Set).Intersect, func(x, y bool) bool { return x && y }},
		"subtract":  {(*Set).Subtract, func(x, y bool) bool { return x && !y }},
	}
	for name, op := range ops {
		for _, a := range sets {
			for _, b := range sets {
				got := clone(a)
				op.apply(got, b)
				for _, k := range append(universe, "z") {
					if got.Has("s", k) != op.want(a.Has("s", k), b.Has("s", k)) {
						t.Fatalf("%s: code %s wrong", name, k)
					}
				}
			}
		}
	}
}
