package sqlserver

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
)

// provider is GMS's view of the stores: one database per ACTIVE store,
// whose tables mirror the store's DuckDB schema `main`. The tables carry
// schemas only: GMS answers SHOW, DESCRIBE and information_schema from them,
// and never reads their rows (data queries go to DuckDB).
type provider struct {
	srv *Server
}

var _ gms.DatabaseProvider = (*provider)(nil)

// aliasRE is what a store name must look like to serve as a database alias.
var aliasRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

var reservedDBs = map[string]bool{"information_schema": true, "mysql": true, "performance_schema": true, "sys": true}

// visible returns the stores the session's user may see.
func (p *provider) visible(ctx *gms.Context) []Store {
	all := p.srv.cfg.Catalog.Stores()
	if p.srv.cfg.Allowed == nil {
		return all
	}
	user := ""
	if ctx != nil && ctx.Session != nil {
		user = ctx.Session.Client().User
	}
	var out []Store
	for _, s := range all {
		if p.srv.cfg.Allowed(user, s.ID()) {
			out = append(out, s)
		}
	}
	return out
}

// resolve finds a store by database name: its id, or its name when that is
// an unambiguous identifier.
func resolveStore(stores []Store, name string) (Store, bool) {
	for _, s := range stores {
		if s.ID() == name {
			return s, true
		}
	}
	for _, s := range stores {
		if strings.EqualFold(s.ID(), name) {
			return s, true
		}
	}
	if reservedDBs[strings.ToLower(name)] || !aliasRE.MatchString(name) {
		return nil, false
	}
	var found Store
	for _, s := range stores {
		if strings.EqualFold(s.Name(), name) {
			if found != nil {
				return nil, false // two stores share the name: no alias
			}
			found = s
		}
	}
	if found == nil {
		return nil, false
	}
	for _, s := range stores {
		if strings.EqualFold(s.ID(), found.Name()) {
			return nil, false
		}
	}
	return found, true
}

func (p *provider) Database(ctx *gms.Context, name string) (gms.Database, error) {
	st, ok := resolveStore(p.visible(ctx), name)
	if !ok {
		return nil, gms.ErrDatabaseNotFound.New(name)
	}
	return &database{name: name, store: st, srv: p.srv}, nil
}

func (p *provider) HasDatabase(ctx *gms.Context, name string) bool {
	_, ok := resolveStore(p.visible(ctx), name)
	return ok
}

func (p *provider) AllDatabases(ctx *gms.Context) []gms.Database {
	stores := p.visible(ctx)
	out := make([]gms.Database, 0, len(stores))
	for _, s := range stores {
		out = append(out, &database{name: s.ID(), store: s, srv: p.srv})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// database is one store as GMS sees it.
type database struct {
	name  string
	store Store
	srv   *Server
}

var (
	_ gms.Database     = (*database)(nil)
	_ gms.ViewDatabase = (*database)(nil)
)

func (d *database) Name() string { return d.name }

func (d *database) schema(ctx *gms.Context) (*storeSchema, error) {
	return d.srv.schemas.get(ctx, d.store)
}

// viewTablePrefix names the hidden table that gives GMS a view's columns.
const viewTablePrefix = "fhirlake$view$"

func (d *database) GetTableInsensitive(ctx *gms.Context, name string) (gms.Table, bool, error) {
	s, err := d.schema(ctx)
	if err != nil {
		return nil, false, err
	}
	hidden := false
	if len(name) > len(viewTablePrefix) && strings.EqualFold(name[:len(viewTablePrefix)], viewTablePrefix) {
		name, hidden = name[len(viewTablePrefix):], true
	}
	ti, ok := s.table(name)
	if !ok || ti.View != hidden {
		return nil, false, nil
	}
	return newTable(d.name, ti), true, nil
}

func (d *database) GetTableNames(ctx *gms.Context) ([]string, error) {
	s, err := d.schema(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, n := range s.names {
		if ti, _ := s.table(n); !ti.View {
			out = append(out, n)
		}
	}
	return out, nil
}

func (d *database) viewDef(ti *tableInfo) gms.ViewDefinition {
	hidden := fmt.Sprintf("`%s`.`%s%s`", strings.ReplaceAll(d.name, "`", "``"), viewTablePrefix, strings.ReplaceAll(ti.Name, "`", "``"))
	return gms.ViewDefinition{
		Name:                ti.Name,
		TextDefinition:      ti.ViewSQL,
		CreateViewStatement: fmt.Sprintf("CREATE VIEW `%s` AS SELECT * FROM %s", strings.ReplaceAll(ti.Name, "`", "``"), hidden),
	}
}

func (d *database) GetViewDefinition(ctx *gms.Context, name string) (gms.ViewDefinition, bool, error) {
	s, err := d.schema(ctx)
	if err != nil {
		return gms.ViewDefinition{}, false, err
	}
	ti, ok := s.table(name)
	if !ok || !ti.View {
		return gms.ViewDefinition{}, false, nil
	}
	return d.viewDef(ti), true, nil
}

func (d *database) AllViews(ctx *gms.Context) ([]gms.ViewDefinition, error) {
	s, err := d.schema(ctx)
	if err != nil {
		return nil, err
	}
	var out []gms.ViewDefinition
	for _, n := range s.names {
		if ti, _ := s.table(n); ti.View {
			out = append(out, d.viewDef(ti))
		}
	}
	return out, nil
}

func (d *database) CreateView(*gms.Context, string, string, string) error {
	return errReadOnly("CREATE VIEW")
}

func (d *database) DropView(*gms.Context, string) error { return errReadOnly("DROP VIEW") }

// table is a store table's schema for GMS.
type table struct {
	db   string
	info *tableInfo
	sch  gms.Schema
}

var (
	_ gms.Table           = (*table)(nil)
	_ gms.StatisticsTable = (*table)(nil)
)

// textType is DuckDB VARCHAR as MySQL sees it: compared byte for byte.
var textType = types.MustCreateString(sqltypes.Text, types.LongTextBlobMax, gms.Collation_utf8mb4_0900_bin)

func newTable(db string, ti *tableInfo) *table {
	t := &table{db: db, info: ti}
	for _, c := range ti.Columns {
		typ := c.Type.mysqlType()
		if typ == types.LongText {
			typ = textType
		}
		t.sch = append(t.sch, &gms.Column{
			Name:           c.Name,
			Type:           typ,
			Nullable:       c.Nullable,
			PrimaryKey:     c.Primary,
			Source:         ti.Name,
			DatabaseSource: db,
			Comment:        c.Comment,
		})
	}
	return t
}

func (t *table) Name() string               { return t.info.Name }
func (t *table) String() string             { return t.info.Name }
func (t *table) Schema() gms.Schema         { return t.sch }
func (t *table) Collation() gms.CollationID { return gms.Collation_utf8mb4_0900_bin }

// errRowEngine guards the design rule: GMS's row engine never reads data.
var errRowEngine = fmt.Errorf("fhirlake: data tables are read by DuckDB, not by the MySQL row engine")

func (t *table) Partitions(*gms.Context) (gms.PartitionIter, error) { return nil, errRowEngine }

func (t *table) PartitionRows(*gms.Context, gms.Partition) (gms.RowIter, error) {
	return nil, errRowEngine
}

// RowCount is DuckDB's estimate, shown as information_schema.TABLES.TABLE_ROWS.
func (t *table) RowCount(*gms.Context) (uint64, bool, error) { return t.info.Rows, false, nil }

func (t *table) DataLength(*gms.Context) (uint64, error) { return 0, nil }

var _ gms.IndexAddressable = (*table)(nil)

// GetIndexes reports the DuckDB primary key as MySQL's PRIMARY index, for
// SHOW INDEX and information_schema.STATISTICS.
func (t *table) GetIndexes(*gms.Context) ([]gms.Index, error) {
	var cols []*gms.Column
	for _, c := range t.sch {
		if c.PrimaryKey {
			cols = append(cols, c)
		}
	}
	if len(cols) == 0 {
		return nil, nil
	}
	return []gms.Index{&primaryIndex{db: t.db, table: t.info.Name, cols: cols}}, nil
}

// IndexedAccess is never used: GMS does not read data tables.
func (t *table) IndexedAccess(*gms.Context, gms.IndexLookup) gms.IndexedTable { return nil }

func (t *table) PreciseMatch() bool { return false }

type primaryIndex struct {
	db, table string
	cols      []*gms.Column
}

var _ gms.Index = (*primaryIndex)(nil)

func (i *primaryIndex) ID() string       { return "PRIMARY" }
func (i *primaryIndex) Database() string { return i.db }
func (i *primaryIndex) Table() string    { return i.table }
func (i *primaryIndex) Expressions() []string {
	out := make([]string, len(i.cols))
	for j, c := range i.cols {
		out[j] = i.table + "." + c.Name
	}
	return out
}
func (i *primaryIndex) IsUnique() bool    { return true }
func (i *primaryIndex) IsSpatial() bool   { return false }
func (i *primaryIndex) IsFullText() bool  { return false }
func (i *primaryIndex) IsVector() bool    { return false }
func (i *primaryIndex) Comment() string   { return "" }
func (i *primaryIndex) IndexType() string { return "BTREE" }
func (i *primaryIndex) IsGenerated() bool { return false }
func (i *primaryIndex) ColumnExpressionTypes() []gms.ColumnExpressionType {
	out := make([]gms.ColumnExpressionType, len(i.cols))
	for j, c := range i.cols {
		out[j] = gms.ColumnExpressionType{Expression: i.table + "." + c.Name, Type: c.Type}
	}
	return out
}
func (i *primaryIndex) CanSupport(*gms.Context, ...gms.Range) bool { return false }
func (i *primaryIndex) CanSupportOrderBy(gms.Expression) bool      { return false }
func (i *primaryIndex) PrefixLengths() []uint16                    { return nil }
