package fhirflat

// Macros are SQL helpers over the layout, created in every store's
// database (main schema): dates and dateTimes are kept as their FHIR text,
// and these give the instants they cover, as FHIR search compares them.
//
//	fhir_date_lo('2019-03')  = 2019-03-01 00:00:00+00
//	fhir_date_hi('2019-03')  = 2019-03-31 23:59:59.999999+00
//
// A date or dateTime without a time zone is taken as UTC.
//
// fhir_ref_key gives the value of a key column for a reference string
// (RefKey in key.go).
//
// Extensions are kept whole as JSON (the extension columns);
// fhir_extension addresses one by its URL and gives its value as text
// (a simple value as written, a complex one as its JSON):
//
//	fhir_extension(extension, 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex') = 'F'
var Macros = []string{
	// one cast of the text completed to an instant: a search's statement
	// is bound again at each execution, at a cost that grows with the
	// expressions macros expand to
	`CREATE OR REPLACE MACRO fhir_date_lo(s) AS
  CAST(s || CASE WHEN length(s) > 10 THEN '' ELSE substr('-01-01T00:00:00Z', length(s) - 3) END AS TIMESTAMPTZ)`,
	`CREATE OR REPLACE MACRO fhir_date_hi(s) AS fhir_date_lo(s) + CASE length(s)
  WHEN 4 THEN INTERVAL 1 YEAR WHEN 7 THEN INTERVAL 1 MONTH WHEN 10 THEN INTERVAL 1 DAY
  ELSE CASE WHEN contains(s, '.') THEN INTERVAL 1 MICROSECOND ELSE INTERVAL 1 SECOND END END - INTERVAL 1 MICROSECOND`,
	`CREATE OR REPLACE MACRO fhir_ref_key(s) AS ('0x' || md5(CASE WHEN contains(s, '://') OR contains(s, '/_history/')
  THEN coalesce(nullif(regexp_extract(s, '` + refTail + `', 1), ''), s) ELSE s END)[1:15])::BIGINT`,
	`CREATE OR REPLACE MACRO fhir_extension(ext, url) AS list_transform(
  list_filter(CAST(ext AS JSON[]), lambda _e: json_extract_string(_e, '$.url') = url),
  lambda _e: json_extract_string(_e, '$.' || list_filter(json_keys(_e), lambda _k: starts_with(_k, 'value'))[1]))[1]`,
}
