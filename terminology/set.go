package terminology

import "sort"

// Set is a set of codes, per code system: either the codes listed, or
// every code of the system but the ones listed (a ValueSet that includes
// a whole system, which need not be stored to be matched).
type Set struct {
	systems map[string]*codes
}

// codes is the part of a Set in one system.
type codes struct {
	all  bool                // every code but those in list
	list map[string]struct{} // the codes, or the exceptions when all
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{systems: map[string]*codes{}} }

// Add adds codes of a system.
func (s *Set) Add(system string, code ...string) {
	c := s.at(system)
	for _, k := range code {
		if c.all {
			delete(c.list, k)
		} else {
			c.list[k] = struct{}{}
		}
	}
}

// AddSystem adds every code of a system.
func (s *Set) AddSystem(system string) {
	s.systems[system] = &codes{all: true, list: map[string]struct{}{}}
}

func (s *Set) at(system string) *codes {
	c, ok := s.systems[system]
	if !ok {
		c = &codes{list: map[string]struct{}{}}
		s.systems[system] = c
	}
	return c
}

// Systems lists the code systems the set has codes of, sorted.
func (s *Set) Systems() []string {
	out := make([]string, 0, len(s.systems))
	for sys, c := range s.systems {
		if c.all || len(c.list) > 0 {
			out = append(out, sys)
		}
	}
	sort.Strings(out)
	return out
}

// Codes gives a system's part of the set: every code but except when all,
// else the codes listed; both sorted.
func (s *Set) Codes(system string) (all bool, list []string) {
	c, ok := s.systems[system]
	if !ok {
		return false, nil
	}
	list = make([]string, 0, len(c.list))
	for k := range c.list {
		list = append(list, k)
	}
	sort.Strings(list)
	return c.all, list
}

// Len is the number of codes listed (codes held, or exceptions).
func (s *Set) Len() int {
	n := 0
	for _, c := range s.systems {
		n += len(c.list)
	}
	return n
}

// Has says whether the set holds a code of a system.
func (s *Set) Has(system, code string) bool {
	c, ok := s.systems[system]
	if !ok {
		return false
	}
	_, listed := c.list[code]
	return listed != c.all
}

// Union adds the codes of o to s.
func (s *Set) Union(o *Set) {
	for sys, oc := range o.systems {
		c := s.at(sys)
		switch {
		case !c.all && !oc.all:
			addAll(c.list, oc.list)
		case c.all && !oc.all: // every code but E1, or S2: every code but E1\S2
			removeAll(c.list, oc.list)
		case !c.all && oc.all: // S1, or every code but E2: every code but E2\S1
			c.all, c.list = true, minus(oc.list, c.list)
		default: // every code but E1∩E2
			c.list = intersect(c.list, oc.list)
		}
	}
}

// Intersect keeps the codes of s that o holds.
func (s *Set) Intersect(o *Set) {
	for sys, c := range s.systems {
		oc, ok := o.systems[sys]
		if !ok {
			delete(s.systems, sys)
			continue
		}
		switch {
		case !c.all && !oc.all:
			c.list = intersect(c.list, oc.list)
		case c.all && !oc.all: // S2 less E1
			c.all, c.list = false, minus(oc.list, c.list)
		case !c.all && oc.all: // S1 less E2
			removeAll(c.list, oc.list)
		default: // every code but E1∪E2
			addAll(c.list, oc.list)
		}
	}
}

// Subtract removes the codes o holds from s.
func (s *Set) Subtract(o *Set) {
	for sys, oc := range o.systems {
		c, ok := s.systems[sys]
		if !ok {
			continue
		}
		switch {
		case !c.all && !oc.all:
			removeAll(c.list, oc.list)
		case !c.all && oc.all: // S1 ∩ E2
			c.list = intersect(c.list, oc.list)
		case c.all && !oc.all: // every code but E1∪S2
			addAll(c.list, oc.list)
		default: // the codes in E2 and not in E1
			c.all, c.list = false, minus(oc.list, c.list)
		}
	}
}

func addAll(dst, src map[string]struct{}) {
	for k := range src {
		dst[k] = struct{}{}
	}
}

func removeAll(dst, src map[string]struct{}) {
	for k := range src {
		delete(dst, k)
	}
}

func intersect(a, b map[string]struct{}) map[string]struct{} {
	out := map[string]struct{}{}
	for k := range a {
		if _, ok := b[k]; ok {
			out[k] = struct{}{}
		}
	}
	return out
}

func minus(a, b map[string]struct{}) map[string]struct{} {
	out := map[string]struct{}{}
	for k := range a {
		if _, ok := b[k]; !ok {
			out[k] = struct{}{}
		}
	}
	return out
}
