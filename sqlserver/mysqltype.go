package sqlserver

import (
	"fmt"
	"math"
	"strconv"
	"time"

	gms "github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	querypb "github.com/dolthub/vitess/go/vt/proto/query"
)

// mysqlType is the MySQL type clients see for a DuckDB type: nested values
// (STRUCT, LIST, MAP, UNION, JSON) are JSON text.
func (t *duckType) mysqlType() gms.Type {
	switch t.Name {
	case "BOOLEAN", "BOOL":
		return types.Boolean
	case "TINYINT", "INT1":
		return types.Int8
	case "SMALLINT", "INT2", "SHORT":
		return types.Int16
	case "INTEGER", "INT4", "INT", "SIGNED":
		return types.Int32
	case "BIGINT", "INT8", "LONG":
		return types.Int64
	case "UTINYINT":
		return types.Uint8
	case "USMALLINT":
		return types.Uint16
	case "UINTEGER":
		return types.Uint32
	case "UBIGINT":
		return types.Uint64
	case "HUGEINT", "INT128":
		return types.MustCreateDecimalType(38, 0)
	case "UHUGEINT", "UINT128":
		return types.MustCreateDecimalType(39, 0)
	case "FLOAT", "FLOAT4", "REAL":
		return types.Float32
	case "DOUBLE", "FLOAT8", "DOUBLE PRECISION":
		return types.Float64
	case "DECIMAL":
		w, s := t.Width, t.Scale
		if w < 1 || w > 65 || s < 0 || s > 30 || s > w {
			return types.LongText
		}
		return types.MustCreateDecimalType(uint8(w), uint8(s))
	case "DATE":
		return types.Date
	case "TIMESTAMP", "DATETIME", "TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ",
		"TIMESTAMP_US", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP_S":
		return types.DatetimeMaxPrecision
	case "TIME":
		return types.Time
	case "BLOB", "BYTEA", "BINARY", "VARBINARY":
		return types.LongBlob
	case "STRUCT", "LIST", "ARRAY", "MAP", "UNION", "JSON":
		return types.JSON
	default: // VARCHAR, UUID, INTERVAL, ENUM, BIT, TIME WITH TIME ZONE, ...
		return types.LongText
	}
}

// transport says how a result column of this type travels from DuckDB to
// the client: the SQL wrapped around it in DuckDB (%s is the column), if any.
func (t *duckType) transport() string {
	switch t.Name {
	case "STRUCT", "LIST", "ARRAY", "MAP", "UNION":
		return "CAST(to_json(%s) AS VARCHAR)"
	case "JSON", "DECIMAL", "HUGEINT", "INT128", "UHUGEINT", "UINT128", "UUID", "INTERVAL",
		"ENUM", "BIT", "TIME WITH TIME ZONE", "TIMETZ", "VARINT", "BIGNUM", "GEOMETRY":
		return "CAST(%s AS VARCHAR)"
	}
	return ""
}

// field describes a result column to the client.
func field(ctx *gms.Context, name, table string, typ gms.Type) *querypb.Field {
	charset := uint32(gms.Collation_Default.CharacterSet())
	if types.IsBinaryType(typ) {
		charset = uint32(gms.Collation_binary)
	} else if ctx != nil && ctx.Session != nil {
		if cs := ctx.GetCharacterSetResults(); cs != gms.CharacterSet_Unspecified {
			charset = uint32(cs)
		}
	}
	if !types.IsText(typ) && !types.IsBinaryType(typ) && typ != types.JSON {
		charset = uint32(gms.Collation_binary)
	}
	var flags querypb.MySqlFlag
	if types.IsUnsigned(typ) {
		flags |= querypb.MySqlFlag_UNSIGNED_FLAG
	}
	if charset == uint32(gms.Collation_binary) && !types.IsBinaryType(typ) {
		flags |= querypb.MySqlFlag_BINARY_FLAG
	}
	f := &querypb.Field{
		Name:         name,
		OrgName:      name,
		Table:        table,
		OrgTable:     table,
		Type:         typ.Type(),
		Charset:      charset,
		ColumnLength: typ.MaxTextResponseByteLength(ctx),
		Flags:        uint32(flags),
	}
	if dt, ok := typ.(gms.DecimalType); ok {
		f.Decimals = uint32(dt.Scale())
	} else if dt, ok := typ.(gms.DatetimeType); ok {
		f.Decimals = uint32(dt.Precision())
	} else if typ == types.Float64 || typ == types.Float32 {
		f.Decimals = 31 // NOT_FIXED_DEC: clients print floats as they come
	}
	return f
}

// appendValue appends the MySQL text form of a value scanned from DuckDB.
// kind is the column's MySQL type. ok is false for SQL NULL.
func appendValue(b []byte, v any, kind querypb.Type) (_ []byte, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return b, false, nil
	case string:
		return append(b, x...), true, nil
	case []byte:
		return append(b, x...), true, nil
	case int64:
		return strconv.AppendInt(b, x, 10), true, nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), true, nil
	case uint64:
		return strconv.AppendUint(b, x, 10), true, nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), true, nil
	case bool:
		if x {
			return append(b, '1'), true, nil
		}
		return append(b, '0'), true, nil
	case float64:
		return appendFloat(b, x, 64), true, nil
	case float32:
		return appendFloat(b, float64(x), 32), true, nil
	case time.Time:
		x = x.UTC()
		switch kind {
		case sqltypes.Date:
			return x.AppendFormat(b, "2006-01-02"), true, nil
		case sqltypes.Time:
			return x.AppendFormat(b, "15:04:05.999999"), true, nil
		}
		if x.Nanosecond() == 0 {
			return x.AppendFormat(b, "2006-01-02 15:04:05"), true, nil
		}
		return x.AppendFormat(b, "2006-01-02 15:04:05.000000"), true, nil
	default:
		return b, false, fmt.Errorf("unsupported value of type %T", v)
	}
}

// appendFloat prints a float the way MySQL does: plain digits for ordinary
// magnitudes, exponent notation for very large or small ones.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return strconv.AppendFloat(b, f, 'g', -1, bits)
	}
	a := math.Abs(f)
	if a != 0 && (a < 1e-5 || a >= 1e15) {
		return strconv.AppendFloat(b, f, 'g', -1, bits)
	}
	return strconv.AppendFloat(b, f, 'f', -1, bits)
}
