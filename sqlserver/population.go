package sqlserver

import (
	_ "embed"
	"strings"
)

// NamedQuery is a query with a name.
type NamedQuery struct {
	Name string
	SQL  string
}

//go:embed population.sql
var populationSQL string

// PopulationQueries returns the ten population-health queries (MySQL
// dialect) that the benchmark runs over the wire, directly in DuckDB and in
// GMS's row engine.
func PopulationQueries() []NamedQuery {
	var out []NamedQuery
	for _, part := range strings.Split(populationSQL, "-- name: ")[1:] {
		name, body, _ := strings.Cut(part, "\n")
		out = append(out, NamedQuery{Name: strings.TrimSpace(name), SQL: strings.TrimSuffix(strings.TrimSpace(body), ";")})
	}
	return out
}
