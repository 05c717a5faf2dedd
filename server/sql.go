package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/sqlserver"
)

// sqlStore is a data store as the SQL server sees it.
type sqlStore struct {
	*engine.Store
	name string
}

func (s sqlStore) ID() string   { return s.Store.ID }
func (s sqlStore) Name() string { return s.name }

// sqlCatalog lists the ACTIVE data stores for the SQL server.
type sqlCatalog struct{ eng *engine.Engine }

func (c sqlCatalog) Stores() []sqlserver.Store {
	ctx := context.Background()
	active, err := c.eng.ActiveStores(ctx)
	if err != nil {
		return nil
	}
	var out []sqlserver.Store
	for _, d := range active {
		if st, err := c.eng.Store(ctx, d.ID); err == nil {
			out = append(out, sqlStore{Store: st, name: d.Name})
		}
	}
	return out
}

// sqlPath matches /datastore/{id}/sql, the SQL HTTP endpoint.
func sqlPath(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/datastore/")
	if !ok {
		return "", false
	}
	id, tail, _ := strings.Cut(rest, "/")
	return id, tail == "sql"
}

// serveSQL answers POST /datastore/{id}/sql.
func (s *Server) serveSQL(w http.ResponseWriter, r *http.Request, id string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "POST a MySQL-dialect query", http.StatusMethodNotAllowed)
		return
	}
	st, err := s.Engine.Store(r.Context(), id)
	if err != nil {
		http.Error(w, "data store "+id+": "+err.Error(), http.StatusNotFound)
		return
	}
	name := ""
	if d, err := s.Engine.Datastore(r.Context(), id); err == nil {
		name = d.Name
	}
	sqlserver.ServeQuery(w, r, sqlStore{Store: st, name: name}, s.Config.QueryTimeout)
}
