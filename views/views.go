// Package views keeps SQL on FHIR v2 ViewDefinitions in a data store: each
// becomes a SQL view (named by ViewDefinition.name) over the typed tables,
// which SQL clients see like the tables; $viewdefinition-run runs one over
// stored data or over resources given inline. A default set of flat views
// for the common types ships with the product (defaults/).
package views

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"sort"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/fhirsql"
	"github.com/fhirlake/fhirlake/viewdef"
)

//go:embed defaults/*.json
var defaults embed.FS

// Error is a ViewDefinition that cannot become a view.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// Prepared is a checked ViewDefinition with its SQL.
type Prepared struct {
	ID         string
	Definition []byte // as given
	View       *viewdef.View
	SQL        *fhirsql.ViewSQL // nil when it has no SQL form
	SQLErr     error            // why not
}

// Prepare checks a ViewDefinition and compiles it to SQL.
func Prepare(b *fhirflat.Builder, def []byte) (*Prepared, error) {
	var head struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
	}
	if err := json.Unmarshal(def, &head); err != nil {
		return nil, &Error{"the ViewDefinition is not JSON: " + err.Error()}
	}
	if head.ResourceType != "ViewDefinition" {
		return nil, &Error{fmt.Sprintf("resourceType must be ViewDefinition, not %q", head.ResourceType)}
	}
	v, err := viewdef.Compile(def)
	if err != nil {
		return nil, &Error{err.Error()}
	}
	p := &Prepared{ID: head.ID, Definition: def, View: v}
	p.SQL, p.SQLErr = fhirsql.CompileView(v, b)
	return p, nil
}

// Install stores a ViewDefinition under id and (re)creates its SQL view.
func Install(ctx context.Context, st *engine.Store, id string, def []byte) (engine.StoredView, bool, error) {
	p, err := Prepare(st.Builder(), def)
	if err != nil {
		return engine.StoredView{}, false, err
	}
	if p.View.Name == "" {
		return engine.StoredView{}, false, &Error{"a stored ViewDefinition needs a name: its SQL view is called by it"}
	}
	if p.SQL == nil {
		return engine.StoredView{}, false, &Error{fmt.Sprintf("the ViewDefinition has no SQL form, so it cannot become a view: %v ($viewdefinition-run can still run it over inline resources)", p.SQLErr)}
	}
	schema, err := st.Builder().Schema(p.View.Resource)
	if err != nil {
		return engine.StoredView{}, false, err
	}
	v := engine.StoredView{ID: id, Name: p.View.Name, Definition: def, SQL: p.SQL.SQL}
	stored, created, err := st.PutView(ctx, v, p.View.Resource, fhirflat.Need(schema, p.SQL.Fields))
	if fhirflat.MissingField(err) {
		// the SQL reads further into a STRUCT than the lean columns hold
		return st.PutView(ctx, v, p.View.Resource, fhirflat.NeedAll(schema, p.SQL.AllFields))
	}
	return stored, created, err
}

// Defaults returns the ViewDefinitions shipped with fhirlake, by id.
func Defaults() (map[string][]byte, error) {
	entries, err := defaults.ReadDir("defaults")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := defaults.ReadFile(path.Join("defaults", e.Name()))
		if err != nil {
			return nil, err
		}
		var head struct{ ID string }
		if err := json.Unmarshal(b, &head); err != nil || head.ID == "" {
			return nil, fmt.Errorf("default view %s: no id", e.Name())
		}
		out[head.ID] = b
	}
	return out, nil
}

// InstallDefaults installs the shipped views in a store.
func InstallDefaults(ctx context.Context, st *engine.Store) error {
	defs, err := Defaults()
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(defs))
	for id := range defs {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if _, _, err := Install(ctx, st, id, defs[id]); err != nil {
			return fmt.Errorf("default view %s: %w", id, err)
		}
	}
	return nil
}
