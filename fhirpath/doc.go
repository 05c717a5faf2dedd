// Package fhirpath parses and evaluates FHIRPath (http://hl7.org/fhirpath/N1)
// over FHIR R4 resources decoded from JSON, typed through the r4 model.
//
// # Use
//
//	e, err := fhirpath.Parse("Observation.value.ofType(Quantity).value > 5")
//	out, err := e.EvaluateJSON(ctx, resource) // resource: map[string]any, decoded with UseNumber
//	for _, v := range out { v.Type(); v.JSON(); v.Go() }
//
// Parse compiles once; the *Expr is immutable and safe for concurrent use.
// Context (may be nil) supplies %variables, resolve(), memberOf(), the
// clock and trace(). Syntax errors (*SyntaxError) carry line and column;
// evaluation errors (*EvalError) the offset of the operator or function.
//
// # Syntax tree
//
// Expr.Root gives the tree (ast.go): Literal, Member, Call, Index,
// Variable, Special, Unary, Binary, TypeOp, TypeSpecifier. Format prints it
// back; Walk visits it; Expr.Infer gives the static type of a result
// through the R4 model. A compiler to SQL walks the same tree.
//
// # Values and types
//
// A Value is a node of the resource with its FHIR type (FHIR.date,
// FHIR.Quantity, FHIR.BackboneElement, FHIR.Patient) or a System value
// computed by the expression (System.Integer, System.Decimal, …).
// Navigation follows the model: Observation.value finds valueQuantity
// (and any other value[x]) and types it; contained resources and
// Bundle.entry.resource are typed by their resourceType; a primitive's
// "_name" object is reachable through .id and .extension on the primitive.
// Elements the model does not know are still read from the JSON, untyped.
//
// # Semantics chosen where the specification leaves room
//
//   - Decimals are exact (math/big): 0.1 + 0.2 = 0.3. Division results
//     without a finite expansion keep 8 fractional digits.
//   - Dates and times keep their precision; comparing values of different
//     precision that agree as far as both go gives {} (=, <, …) or false
//     (~). A DateTime without a time zone is taken as UTC.
//   - Quantities compare and add only in the same unit (calendar durations
//     of a week or less equal their UCUM codes: 1 day = 1 'd'); other
//     units are an error saying UCUM conversion is not supported.
//   - "as" on several items filters them like ofType() (the R4 search
//     parameters rely on it); "is" needs a single item.
//   - A System value matches the model type of the same name when the type
//     is unqualified (5 'mg' is Quantity); FHIR primitives are instances of
//     their System type (birthDate is System.Date).
//   - Arguments that are not lambdas (where, select, all, exists, repeat,
//     aggregate, trace's projection) are evaluated against the caller's
//     focus ($this of the enclosing scope).
//   - Regular expressions use Go's RE2 syntax: no look-around or
//     back-references (an error says so).
//   - resolve() needs Context.Resolve (ReferenceStub knows type and id
//     only); memberOf() needs Context.MemberOf; both fail precisely
//     without them.
//
// Not supported (an error at Parse names the reason): conformsTo(),
// htmlChecks(), elementDefinition(), slice(), checkModifiers(), type(),
// comparable(). Unknown functions are errors at Parse.
package fhirpath
