-- Ten population-health queries in MySQL dialect over the engine's table
-- layout (one typed table per resource type, nested elements as STRUCT/LIST,
-- read with JSON paths). Used by the benchmark (wire vs DuckDB directly vs
-- GMS's row engine) and by TestPopulationQueries. Written for this project;
-- codes are LOINC, SNOMED CT and CVX codes that Synthea emits.
-- Each query starts with a "-- name:" line.

-- name: age_gender_pyramid
SELECT gender,
       CASE WHEN TIMESTAMPDIFF(YEAR, birthDate, '2024-01-01') < 18 THEN '0-17'
            WHEN TIMESTAMPDIFF(YEAR, birthDate, '2024-01-01') < 40 THEN '18-39'
            WHEN TIMESTAMPDIFF(YEAR, birthDate, '2024-01-01') < 65 THEN '40-64'
            ELSE '65+' END AS age_band,
       COUNT(*) AS patients
FROM patient
WHERE deceasedDateTime IS NULL
GROUP BY gender, age_band
ORDER BY gender, age_band;

-- name: condition_prevalence
SELECT c.code->>'$.coding[0].code' AS code,
       c.code->>'$.coding[0].display' AS display,
       COUNT(DISTINCT c.subject->>'$.reference') AS patients
FROM `condition` c
GROUP BY c.code->>'$.coding[0].code', c.code->>'$.coding[0].display'
ORDER BY patients DESC, code
LIMIT 20;

-- name: bmi_by_gender_and_age
SELECT p.gender,
       IF(TIMESTAMPDIFF(YEAR, p.birthDate, o.effectiveDateTime) < 40, 'under 40', '40+') AS age_group,
       COUNT(*) AS measurements,
       ROUND(AVG(o.valueQuantity->>'$.value'), 2) AS avg_bmi
FROM observation o
JOIN patient p ON o.subject->>'$.reference' = CONCAT('Patient/', p.id)
WHERE o.code->>'$.coding[0].code' = '39156-5'
GROUP BY p.gender, age_group
ORDER BY p.gender, age_group;

-- name: uncontrolled_blood_pressure
SELECT COUNT(*) AS patients_measured,
       SUM(systolic >= 140 OR diastolic >= 90) AS uncontrolled
FROM (
  SELECT o.subject->>'$.reference' AS patient,
         o.component->>'$[1].valueQuantity.value' AS systolic,
         o.component->>'$[0].valueQuantity.value' AS diastolic,
         ROW_NUMBER() OVER (PARTITION BY o.subject->>'$.reference' ORDER BY o.effectiveDateTime DESC, o.id) AS rn
  FROM observation o
  WHERE o.code->>'$.coding[0].code' = '55284-4'
) latest
WHERE rn = 1;

-- name: diabetes_cohort_glucose
SELECT IF(d.code = '44054006', 'diabetes', 'prediabetes') AS cohort,
       COUNT(DISTINCT d.patient) AS patients,
       ROUND(AVG(o.valueQuantity->>'$.value'), 1) AS avg_glucose
FROM (SELECT subject->>'$.reference' AS patient, code->>'$.coding[0].code' AS code
      FROM `condition`
      WHERE code->>'$.coding[0].code' IN ('44054006', '15777000')) d
JOIN observation o ON o.subject->>'$.reference' = d.patient
WHERE o.code->>'$.coding[0].code' = '2339-0'
GROUP BY cohort
ORDER BY cohort;

-- name: encounters_per_year_and_class
SELECT YEAR(e.period->>'$.start') AS year,
       e.class->>'$.code' AS class,
       COUNT(*) AS encounters,
       COUNT(DISTINCT e.subject->>'$.reference') AS patients
FROM encounter e
GROUP BY year, class
ORDER BY year, class;

-- name: flu_vaccination_by_year
SELECT YEAR(i.occurrenceDateTime) AS year,
       COUNT(DISTINCT i.patient->>'$.reference') AS vaccinated,
       (SELECT COUNT(*) FROM patient) AS population
FROM immunization i
WHERE i.vaccineCode->>'$.coding[0].code' = '140' AND i.status = 'completed'
GROUP BY year
ORDER BY year;

-- name: top_medications
SELECT m.medicationCodeableConcept->>'$.coding[0].display' AS medication,
       COUNT(*) AS requests,
       COUNT(DISTINCT m.subject->>'$.reference') AS patients
FROM medicationrequest m
GROUP BY medication
ORDER BY patients DESC, requests DESC, medication
LIMIT 10;

-- name: smoking_status_latest
SELECT status, COUNT(*) AS patients
FROM (
  SELECT o.subject->>'$.reference' AS patient,
         o.valueCodeableConcept->>'$.coding[0].display' AS status,
         ROW_NUMBER() OVER (PARTITION BY o.subject->>'$.reference' ORDER BY o.effectiveDateTime DESC, o.id) AS rn
  FROM observation o
  WHERE o.code->>'$.coding[0].code' = '72166-2'
) s
WHERE rn = 1
GROUP BY status
ORDER BY patients DESC, status;

-- name: readmissions_30_days
SELECT COUNT(DISTINCT a.id) AS index_encounters,
       COUNT(DISTINCT b.id) AS readmissions
FROM encounter a
JOIN encounter b
  ON b.subject->>'$.reference' = a.subject->>'$.reference'
 AND b.id <> a.id
 AND DATEDIFF(b.period->>'$.start', a.period->>'$.end') BETWEEN 0 AND 30
WHERE a.class->>'$.code' IN ('IMP', 'EMER')
  AND b.class->>'$.code' IN ('IMP', 'EMER');
