package synth

import (
	"math"
	"slices"
	"strings"
)

// labDef is one laboratory test: LOINC code, UCUM unit, reference range and
// the distribution of results, shifted by the conditions that move it.
type labDef struct {
	key       string
	code      concept
	unit      string
	low, high float64 // reference range; NaN where unbounded
	mean, sd  float64
	places    int
	shifts    []shift // distributions of people with a condition
	term      string  // as written in notes
}

// shift is the distribution of a lab in people with a condition.
type shift struct {
	condition string
	mean, sd  float64
}

// panelDef groups labs under one DiagnosticReport. Labs of a panel without a
// code are single Observations.
type panelDef struct {
	key  string
	code concept
	labs []*labDef
}

var unbounded = math.NaN()

func lab(key, code, unit string, low, high, mean, sd float64, places int, term string, shifts map[string][2]float64) *labDef {
	l := &labDef{key: key, code: loinc(code), unit: unit, low: low, high: high, mean: mean, sd: sd, places: places, term: term}
	for c, s := range shifts {
		l.shifts = append(l.shifts, shift{c, s[0], s[1]})
	}
	// A fixed order: when several conditions apply, the last one wins.
	slices.SortFunc(l.shifts, func(a, b shift) int { return strings.Compare(a.condition, b.condition) })
	return l
}

var (
	labGlucose = lab("glucose", "2339-0", "mg/dL", 70, 99, 88, 8, 0, "glucose",
		map[string][2]float64{"prediabetes": {108, 8}, "diabetes": {155, 30}})
	labBUN        = lab("bun", "6299-2", "mg/dL", 7, 20, 14, 3, 0, "BUN", map[string][2]float64{"ckd3": {32, 6}})
	labCreatinine = lab("creatinine", "38483-4", "mg/dL", 0.6, 1.3, 0.9, 0.15, 2, "creatinine", map[string][2]float64{"ckd3": {1.8, 0.3}})
	labCalcium    = lab("calcium", "49765-1", "mg/dL", 8.5, 10.2, 9.4, 0.3, 1, "calcium", nil)
	labSodium     = lab("sodium", "2947-0", "mmol/L", 136, 145, 140, 2, 0, "sodium", nil)
	labPotassium  = lab("potassium", "6298-4", "mmol/L", 3.5, 5.1, 4.2, 0.3, 1, "potassium", nil)
	labChloride   = lab("chloride", "2069-3", "mmol/L", 98, 107, 102, 2, 0, "chloride", nil)
	labCO2        = lab("co2", "20565-8", "mmol/L", 22, 29, 25, 2, 0, "CO2", nil)
	labEGFR       = lab("egfr", "33914-3", "mL/min/{1.73_m2}", 60, unbounded, 95, 12, 0, "eGFR", map[string][2]float64{"ckd3": {45, 7}})

	labA1c = lab("a1c", "4548-4", "%", unbounded, 5.7, 5.3, 0.25, 1, "A1c",
		map[string][2]float64{"prediabetes": {6.0, 0.2}, "diabetes": {7.4, 0.9}})
	labTSH          = lab("tsh", "3016-3", "m[IU]/L", 0.4, 4.0, 2.0, 0.8, 2, "TSH", map[string][2]float64{"hypothyroidism": {3.5, 1.5}})
	labINR          = lab("inr", "6301-6", "{INR}", 0.8, 1.1, 1.0, 0.08, 1, "INR", map[string][2]float64{"afib": {2.5, 0.4}})
	labNTproBNP     = lab("ntprobnp", "33762-6", "pg/mL", unbounded, 125, 60, 25, 0, "NT-proBNP", map[string][2]float64{"heartfailure": {900, 300}})
	labMicroalbumin = lab("microalbumin", "14959-1", "mg/g", unbounded, 30, 12, 6, 1, "urine microalbumin/creatinine ratio", map[string][2]float64{"diabetes": {28, 15}})
)

var panels = map[string]*panelDef{
	"cbc": {key: "cbc", code: loinc("58410-2"), labs: []*labDef{
		lab("wbc", "6690-2", "10*3/uL", 4.5, 11, 7, 1.5, 1, "WBC", map[string][2]float64{"pneumonia": {14, 2.5}, "appendicitis": {15, 2.5}}),
		lab("rbc", "789-8", "10*6/uL", 4.2, 5.9, 4.8, 0.4, 2, "RBC", map[string][2]float64{"anemia": {3.8, 0.3}}),
		lab("hgb", "718-7", "g/dL", 12, 17.5, 14, 1.2, 1, "hemoglobin", map[string][2]float64{"anemia": {10.2, 0.8}}),
		lab("hct", "4544-3", "%", 36, 50, 42, 3, 1, "hematocrit", map[string][2]float64{"anemia": {31, 2}}),
		lab("mcv", "787-2", "fL", 80, 100, 90, 4, 1, "MCV", map[string][2]float64{"anemia": {76, 4}}),
		lab("mch", "785-6", "pg", 27, 33, 30, 1.5, 1, "MCH", nil),
		lab("mchc", "786-4", "g/dL", 32, 36, 34, 0.8, 1, "MCHC", nil),
		lab("rdw", "21000-5", "fL", 39, 46, 42, 2, 1, "RDW", nil),
		lab("plt", "777-3", "10*3/uL", 150, 450, 260, 50, 0, "platelets", nil),
		lab("mpv", "32623-1", "fL", 7.5, 11.5, 9.5, 0.8, 1, "MPV", nil),
	}},
	"bmp": {key: "bmp", code: loinc("51990-0"), labs: []*labDef{
		labGlucose, labBUN, labCreatinine, labCalcium, labSodium, labPotassium, labChloride, labCO2, labEGFR}},
	"cmp": {key: "cmp", code: loinc("24323-8"), labs: []*labDef{
		labGlucose, labBUN, labCreatinine, labCalcium, labSodium, labPotassium, labChloride, labCO2, labEGFR,
		lab("protein", "2885-2", "g/dL", 6.0, 8.3, 7.0, 0.4, 1, "total protein", nil),
		lab("albumin", "1751-7", "g/dL", 3.5, 5.0, 4.2, 0.3, 1, "albumin", nil),
		lab("bilirubin", "1975-2", "mg/dL", 0.1, 1.2, 0.6, 0.2, 1, "bilirubin", nil),
		lab("alp", "6768-6", "U/L", 44, 147, 80, 20, 0, "alkaline phosphatase", nil),
		lab("alt", "1742-6", "U/L", 7, 56, 25, 8, 0, "ALT", nil),
		lab("ast", "1920-8", "U/L", 10, 40, 22, 6, 0, "AST", nil),
	}},
	"lipid": {key: "lipid", code: loinc("57698-3"), labs: []*labDef{
		lab("cholesterol", "2093-3", "mg/dL", unbounded, 200, 185, 25, 0, "total cholesterol", map[string][2]float64{"hyperlipidemia": {238, 25}}),
		lab("triglycerides", "2571-8", "mg/dL", unbounded, 150, 120, 35, 0, "triglycerides", map[string][2]float64{"hyperlipidemia": {190, 40}}),
		lab("ldl", "18262-6", "mg/dL", unbounded, 100, 105, 20, 0, "LDL", map[string][2]float64{"hyperlipidemia": {158, 20}}),
		lab("hdl", "2085-9", "mg/dL", 40, unbounded, 55, 10, 0, "HDL", nil),
	}},
	"a1c":          {key: "a1c", labs: []*labDef{labA1c}},
	"tsh":          {key: "tsh", labs: []*labDef{labTSH}},
	"inr":          {key: "inr", labs: []*labDef{labINR}},
	"ntprobnp":     {key: "ntprobnp", labs: []*labDef{labNTproBNP}},
	"microalbumin": {key: "microalbumin", labs: []*labDef{labMicroalbumin}},
}

// Vital signs and screening scores.
var (
	vitHeight       = loinc("8302-2")
	vitWeight       = loinc("29463-7")
	vitBMI          = loinc("39156-5")
	vitBMIPct       = loinc("59576-9")
	vitWeightLen    = loinc("77606-2")
	vitHeadCirc     = loinc("9843-4")
	vitBPPanel      = loinc("85354-9")
	vitSystolic     = loinc("8480-6")
	vitDiastolic    = loinc("8462-4")
	vitHeartRate    = loinc("8867-4")
	vitRespRate     = loinc("9279-1")
	vitTemperature  = loinc("8310-5")
	vitSpO2         = loinc("59408-5")
	vitSpO2Arterial = loinc("2708-6")
	vitPain         = loinc("72514-3")
	obsSmoking      = loinc("72166-2")
	obsPHQ2         = loinc("55758-7")
	obsAUDITC       = loinc("72109-2")
	obsGAD7         = loinc("70274-6")
)

// vitalProfiles are the FHIR R4 vital-sign profiles by LOINC code.
var vitalProfiles = map[string]string{
	"8302-2": "bodyheight", "29463-7": "bodyweight", "39156-5": "bmi", "9843-4": "headcircum",
	"85354-9": "bp", "8867-4": "heartrate", "9279-1": "resprate", "8310-5": "bodytemp", "59408-5": "oxygensat",
}
