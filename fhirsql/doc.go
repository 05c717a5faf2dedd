// Package fhirsql compiles FHIRPath expressions and SQL on FHIR v2
// ViewDefinitions to DuckDB SQL over the typed resource tables fhirflat
// lays out (one table per resource type, nested STRUCTs and LISTs, JSON
// only where the data is JSON by design).
//
// # Use
//
//	v, _ := viewdef.Compile(viewDefinitionJSON)
//	vs, err := fhirsql.CompileView(v, fhirflat.Default())
//	db.Exec(`CREATE VIEW "` + vs.Name + `" AS ` + vs.SQL) // reads main."patient" only
//
//	e, _ := fhirpath.Parse(param.ExpressionFor("Observation"))
//	x, err := fhirsql.CompileCollection(e, "Observation", fhirflat.Default(), "r")
//	// x.Parts: one DuckDB LIST expression over alias r per FHIR type of the items
//
// Both functions are safe for concurrent use. What cannot be SQL fails
// with an *Error naming the construct and its
// offset in the expression; the caller then evaluates with the Go runner
// (viewdef.View.Rows, fhirpath.Expr.Evaluate). Compliance with the official
// suite is in COMPLIANCE.md.
//
// # How FHIRPath maps to SQL (files)
//
//	compile.go    the compiler: literals, variables, $this/$index, indexer; a
//	              collection is a scalar (NULL = empty) or a LIST without NULLs
//	value.go      the compiled collection (val) and its item type: scalar,
//	              STRUCT (a fhirflat.Field), FHIR JSON, or the row itself
//	path.go       navigation: columns, STRUCT fields, value[x] as one typed
//	              alternative per column, JSON by the R4 model; ofType/as/is
//	operators.go  = != ~ < > and or xor implies | in contains & + - * / div mod
//	functions.go  where select exists empty all count first last tail skip
//	              take single distinct iif union combine join extension
//	              getResourceKey getReferenceKey resolve (type tests only)
//	              string and math functions, allTrue...
//	temporal.go   date/dateTime/time comparison keeping FHIRPath's precision
//	              rules, lowBoundary/highBoundary
//	view.go       ViewDefinitions: select/column, nested select, forEach,
//	              forEachOrNull, unionAll, where, constants, %rowIndex
//	repeat.go     repeat: depth first through typed levels and JSON
//	search.go     CompileCollection and SQLExpr for FHIR search
//
// Paths over lists use list_transform / list_filter / flatten with
// lambdas; a view's rows are built as a LIST of STRUCTs per resource and
// UNNESTed once, so forEach, unionAll, nesting and %rowIndex compose.
// repeat (repeat.go) follows the typed levels of a recursive element one
// by one, then the level fhirflat keeps as JSON, up to 10 levels deep;
// deeper data stops the query with an error saying so. A column that is
// not a collection and gets several values stops the query with error(),
// as the Go runner does.
//
// # Semantics and limits
//
//   - Navigation to an element the R4 model does not have yields {} (the
//     store never holds one), as the Go evaluator finds nothing there.
//   - resolve() reads the reference string: is/as/ofType() test the
//     type it names, as fhirpath.ReferenceStub does (Patient/1,
//     http://x/fhir/Patient/1/_history/2; not #contained, conditional or
//     urn: references); navigating into the resolved resource is an error.
//   - Decimals are DOUBLE; the literal kept in _primitive gives the
//     precision of stored decimals to lowBoundary() and toString(). A
//     decimal inside JSON (an extension's valueDecimal) loses trailing
//     zeros there (1.50 reads as 1.5).
//   - Primitives that have only extensions (a "_given" entry without a
//     value) are not items; their id and extensions (birthDate.extension)
//     are not supported.
//   - Not supported: aggregate(), $total, quantity literals and UCUM
//     arithmetic, memberOf(), date arithmetic, explicit boundary
//     precision, comparing two lists of dates, columns whose values have
//     several SQL types (Observation.value without ofType()).
//   - Unions keep the first of equal items in view columns; for search the
//     order of items is not kept.
//
// The session must use SET TimeZone = 'UTC' (instant keys and casts of
// zone-less date-times assume it).
package fhirsql
