-- The engine's per-store DuckDB layout, written by hand for six resource types
-- (a subset of each type's elements, in FHIR definition order), to test
-- sqlserver before the real flattening lands. See SOURCE.md.
CREATE TYPE coding AS STRUCT(system VARCHAR, version VARCHAR, code VARCHAR, display VARCHAR, userSelected BOOLEAN);
CREATE TYPE codeable AS STRUCT(coding coding[], text VARCHAR);
CREATE TYPE ref AS STRUCT(reference VARCHAR, type VARCHAR, display VARCHAR);
CREATE TYPE period AS STRUCT(start VARCHAR, "end" VARCHAR);
CREATE TYPE quantity AS STRUCT(value DOUBLE, comparator VARCHAR, unit VARCHAR, system VARCHAR, code VARCHAR);
CREATE TYPE meta AS STRUCT(versionId VARCHAR, lastUpdated TIMESTAMPTZ, source VARCHAR, profile VARCHAR[]);
CREATE TYPE identifier AS STRUCT(use VARCHAR, type codeable, system VARCHAR, value VARCHAR, period period);

CREATE TABLE patient (
  id VARCHAR PRIMARY KEY, version_id BIGINT, last_updated TIMESTAMPTZ,
  meta meta, extension JSON, identifier identifier[], active BOOLEAN,
  name STRUCT(use VARCHAR, text VARCHAR, family VARCHAR, given VARCHAR[], prefix VARCHAR[], suffix VARCHAR[], period period)[],
  telecom STRUCT(system VARCHAR, value VARCHAR, use VARCHAR, rank INTEGER, period period)[],
  gender VARCHAR, birthDate VARCHAR, deceasedBoolean BOOLEAN, deceasedDateTime VARCHAR,
  address STRUCT(extension JSON, use VARCHAR, type VARCHAR, text VARCHAR, line VARCHAR[], city VARCHAR, district VARCHAR, state VARCHAR, postalCode VARCHAR, country VARCHAR, period period)[],
  maritalStatus codeable, multipleBirthBoolean BOOLEAN, multipleBirthInteger INTEGER,
  communication STRUCT(language codeable, preferred BOOLEAN)[],
  generalPractitioner ref[], managingOrganization ref
);

CREATE TABLE condition (
  id VARCHAR PRIMARY KEY, version_id BIGINT, last_updated TIMESTAMPTZ,
  meta meta, identifier identifier[], clinicalStatus codeable, verificationStatus codeable,
  category codeable[], severity codeable, code codeable, bodySite codeable[], subject ref, encounter ref,
  onsetDateTime VARCHAR, abatementDateTime VARCHAR, recordedDate VARCHAR, recorder ref, asserter ref
);

CREATE TABLE observation (
  id VARCHAR PRIMARY KEY, version_id BIGINT, last_updated TIMESTAMPTZ,
  meta meta, identifier identifier[], basedOn ref[], status VARCHAR, category codeable[], code codeable,
  subject ref, encounter ref, effectiveDateTime VARCHAR, effectivePeriod period, issued TIMESTAMPTZ,
  performer ref[], valueQuantity quantity, valueCodeableConcept codeable, valueString VARCHAR,
  valueBoolean BOOLEAN, valueInteger INTEGER, dataAbsentReason codeable, interpretation codeable[],
  bodySite codeable, method codeable, hasMember ref[],
  component STRUCT(code codeable, valueQuantity quantity, valueCodeableConcept codeable, valueString VARCHAR)[]
);

CREATE TABLE encounter (
  id VARCHAR PRIMARY KEY, version_id BIGINT, last_updated TIMESTAMPTZ,
  meta meta, identifier identifier[], status VARCHAR, class coding, type codeable[], serviceType codeable,
  priority codeable, subject ref,
  participant STRUCT(type codeable[], period period, individual ref)[],
  period period, reasonCode codeable[], reasonReference ref[],
  location STRUCT(location ref, status VARCHAR, period period)[], serviceProvider ref
);

CREATE TABLE medicationrequest (
  id VARCHAR PRIMARY KEY, version_id BIGINT, last_updated TIMESTAMPTZ,
  meta meta, identifier identifier[], status VARCHAR, intent VARCHAR, category codeable[],
  medicationCodeableConcept codeable, medicationReference ref, subject ref, encounter ref,
  authoredOn VARCHAR, requester ref, reasonCode codeable[], reasonReference ref[],
  dosageInstruction STRUCT(sequence INTEGER, text VARCHAR, asNeededBoolean BOOLEAN)[]
);

CREATE TABLE immunization (
  id VARCHAR PRIMARY KEY, version_id BIGINT, last_updated TIMESTAMPTZ,
  meta meta, status VARCHAR, vaccineCode codeable, patient ref, encounter ref,
  occurrenceDateTime VARCHAR, primarySource BOOLEAN, location ref
);

CREATE TABLE patient_history AS SELECT *, FALSE AS deleted FROM patient WITH NO DATA;

-- A ViewDefinition view.
CREATE VIEW patient_demographics AS
SELECT id, gender, birthDate AS birth_date, name[1].family AS family, name[1].given[1] AS given,
       address[1].city AS city, address[1].state AS state
FROM patient;

-- Engine-internal objects: must stay invisible to SQL users.
CREATE SCHEMA search;
CREATE TABLE search.token_index (resource_type VARCHAR, id VARCHAR, system VARCHAR, code VARCHAR);
