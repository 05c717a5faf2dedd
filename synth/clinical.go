package synth

// The clinical model: which conditions people get, how they are treated and
// followed, and how notes word them. Codes are looked up in vocab/ (public
// vocabularies); the probabilities, dosages and wordings are this package's
// own simplified model, not data from a study.

// medDef is one medication as prescribed: the RxNorm product and the sig the
// note and the MedicationRequest's dosage both state.
type medDef struct {
	key      string
	code     concept
	name     string  // ingredient as a clinician writes it: "metformin"
	strength string  // "500 mg"
	route    string  // "PO", "inhaled", "SL"
	sig      string  // "BID", "daily", "q6h PRN"
	freq     int     // timing.repeat.frequency
	period   float64 // timing.repeat.period
	unit     string  // timing.repeat.periodUnit
	dose     float64 // units per dose (tablets, puffs)
	prn      bool
	days     int     // length of a course; 0 for a long-term medication
	cost     float64 // per fill, USD
}

func (m *medDef) phrase() string { return m.name + " " + m.strength + " " + m.route + " " + m.sig }

var meds = indexMeds([]*medDef{
	{key: "lisinopril10", code: rxnorm("314076"), name: "lisinopril", strength: "10 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 12},
	{key: "hctz25", code: rxnorm("310798"), name: "hydrochlorothiazide", strength: "25 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 9},
	{key: "amlodipine5", code: rxnorm("197361"), name: "amlodipine", strength: "5 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 11},
	{key: "atorvastatin20", code: rxnorm("617310"), name: "atorvastatin", strength: "20 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 15},
	{key: "simvastatin20", code: rxnorm("312961"), name: "simvastatin", strength: "20 mg", route: "PO", sig: "qHS", freq: 1, period: 1, unit: "d", dose: 1, cost: 10},
	{key: "metformin500", code: rxnorm("860975"), name: "metformin", strength: "500 mg", route: "PO", sig: "BID", freq: 2, period: 1, unit: "d", dose: 1, cost: 14},
	{key: "albuterol", code: rxnorm("2123111"), name: "albuterol", strength: "90 mcg/actuation 2 puffs", route: "inhaled", sig: "q4h PRN", freq: 1, period: 4, unit: "h", dose: 2, prn: true, cost: 45},
	{key: "fluticasone44", code: rxnorm("895996"), name: "fluticasone", strength: "44 mcg 2 puffs", route: "inhaled", sig: "BID", freq: 2, period: 1, unit: "d", dose: 2, cost: 160},
	{key: "advair", code: rxnorm("896209"), name: "fluticasone-salmeterol", strength: "250/50 mcg 1 puff", route: "inhaled", sig: "BID", freq: 2, period: 1, unit: "d", dose: 1, cost: 310},
	{key: "warfarin5", code: rxnorm("855332"), name: "warfarin", strength: "5 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 8},
	{key: "metoprolol25", code: rxnorm("866427"), name: "metoprolol succinate", strength: "25 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 13},
	{key: "metoprolol100", code: rxnorm("866412"), name: "metoprolol succinate", strength: "100 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 16},
	{key: "aspirin81", code: rxnorm("243670"), name: "aspirin", strength: "81 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 3},
	{key: "clopidogrel75", code: rxnorm("309362"), name: "clopidogrel", strength: "75 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 20},
	{key: "nitroglycerin", code: rxnorm("705129"), name: "nitroglycerin", strength: "0.4 mg", route: "SL", sig: "q5min PRN", freq: 1, period: 5, unit: "min", dose: 1, prn: true, cost: 60},
	{key: "levothyroxine75", code: rxnorm("966222"), name: "levothyroxine", strength: "75 mcg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 12},
	{key: "naproxen500", code: rxnorm("198014"), name: "naproxen", strength: "500 mg", route: "PO", sig: "BID PRN", freq: 2, period: 1, unit: "d", dose: 1, prn: true, cost: 9},
	{key: "acetaminophen325", code: rxnorm("313782"), name: "acetaminophen", strength: "325 mg", route: "PO", sig: "q6h PRN", freq: 1, period: 6, unit: "h", dose: 2, prn: true, days: 10, cost: 5},
	{key: "sertraline100", code: rxnorm("312938"), name: "sertraline", strength: "100 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 14},
	{key: "fluoxetine20", code: rxnorm("310385"), name: "fluoxetine", strength: "20 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 10},
	{key: "ibuprofen400", code: rxnorm("206905"), name: "ibuprofen", strength: "400 mg", route: "PO", sig: "TID PRN", freq: 3, period: 1, unit: "d", dose: 1, prn: true, cost: 7},
	{key: "ibuprofen200", code: rxnorm("310965"), name: "ibuprofen", strength: "200 mg", route: "PO", sig: "q6h PRN", freq: 1, period: 6, unit: "h", dose: 1, prn: true, days: 7, cost: 5},
	{key: "tramadol50", code: rxnorm("835603"), name: "tramadol", strength: "50 mg", route: "PO", sig: "q6h PRN", freq: 1, period: 6, unit: "h", dose: 1, prn: true, cost: 18},
	{key: "loratadine10", code: rxnorm("311372"), name: "loratadine", strength: "10 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 6},
	{key: "cetirizine10", code: rxnorm("1014678"), name: "cetirizine", strength: "10 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 6},
	{key: "furosemide40", code: rxnorm("313988"), name: "furosemide", strength: "40 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 8},
	{key: "donepezil10", code: rxnorm("997223"), name: "donepezil", strength: "10 mg", route: "PO", sig: "qHS", freq: 1, period: 1, unit: "d", dose: 1, cost: 25},
	{key: "alendronate10", code: rxnorm("904419"), name: "alendronate", strength: "10 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 11},
	{key: "ferrous325", code: rxnorm("310325"), name: "ferrous sulfate", strength: "325 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 4},
	{key: "anastrozole1", code: rxnorm("199224"), name: "anastrozole", strength: "1 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, cost: 40},
	{key: "penicillinvk500", code: rxnorm("834102"), name: "penicillin V potassium", strength: "500 mg", route: "PO", sig: "BID", freq: 2, period: 1, unit: "d", dose: 1, days: 10, cost: 9},
	{key: "amoxicillin250", code: rxnorm("308182"), name: "amoxicillin", strength: "250 mg", route: "PO", sig: "TID", freq: 3, period: 1, unit: "d", dose: 1, days: 10, cost: 8},
	{key: "nitrofurantoin100", code: rxnorm("1648755"), name: "nitrofurantoin", strength: "100 mg", route: "PO", sig: "BID", freq: 2, period: 1, unit: "d", dose: 1, days: 5, cost: 15},
	{key: "ciprofloxacin250", code: rxnorm("197511"), name: "ciprofloxacin", strength: "250 mg", route: "PO", sig: "BID", freq: 2, period: 1, unit: "d", dose: 1, days: 3, cost: 10},
	{key: "azithromycin250", code: rxnorm("308460"), name: "azithromycin", strength: "250 mg", route: "PO", sig: "daily", freq: 1, period: 1, unit: "d", dose: 1, days: 5, cost: 18},
	{key: "hydrocodone", code: rxnorm("1310197"), name: "hydrocodone-acetaminophen", strength: "5/300 mg", route: "PO", sig: "q6h PRN", freq: 1, period: 6, unit: "h", dose: 1, prn: true, days: 5, cost: 22},
})

func indexMeds(list []*medDef) map[string]*medDef {
	m := make(map[string]*medDef, len(list))
	for _, d := range list {
		m[d.key] = d
	}
	return m
}

// Encounter kinds.
const (
	kindWellness = iota
	kindFollowUp
	kindAcute
)

// conditionDef is a condition a person may get. Chronic conditions start at
// an age drawn once per life and are then followed; acute ones happen at a
// yearly rate and resolve after days.
type conditionDef struct {
	key     string
	code    concept
	icd     concept // zero when ICD-10-CM (FY2018) has no code for it
	terms   []string
	chronic bool
	sex     byte // 'F', 'M' or 0 for both

	// chronic
	prob           float64 // lifetime probability (before risk factors)
	minAge, maxAge float64 // onset age range
	followMonths   int

	// acute
	rate          func(age float64) float64 // episodes per year
	days          int                       // until resolved
	class         string                    // AMB, EMER, IMP
	encType       concept
	symptoms      []string
	procs         []concept
	after         int // year from which the condition exists (COVID-19)
	stayDays      int // inpatient length of stay
	symptomPhrase string

	meds      [][]string // alternatives of med sets (one is drawn per person)
	labs      []string   // labs at diagnosis and follow-up
	negatives []string   // pertinent negatives (symptom keys)
	plan      []string   // plan sentences of the assessment
}

func band(lo, hi, rate float64) func(float64) float64 {
	return func(age float64) float64 {
		if age >= lo && age < hi {
			return rate
		}
		return 0
	}
}

var chronicConditions = []*conditionDef{
	{key: "hypertension", code: sct("59621000"), icd: icd10("I10"), chronic: true,
		terms: []string{"essential hypertension", "hypertension", "HTN", "high blood pressure"},
		prob:  0.40, minAge: 30, maxAge: 75, followMonths: 6,
		meds: [][]string{{"lisinopril10"}, {"lisinopril10", "hctz25"}, {"amlodipine5"}}, labs: []string{"bmp"},
		negatives: []string{"cp", "headache", "blurred", "palpitations"},
		plan:      []string{"Continue home BP log.", "Low-sodium diet advised.", "BP at goal."}},
	{key: "hyperlipidemia", code: sct("55822004"), icd: icd10("E785"), chronic: true,
		terms: []string{"hyperlipidemia", "HLD", "high cholesterol", "dyslipidemia"},
		prob:  0.30, minAge: 35, maxAge: 75, followMonths: 12,
		meds: [][]string{{"atorvastatin20"}, {"simvastatin20"}}, labs: []string{"lipid"},
		negatives: []string{"myalgia"}, plan: []string{"Lipid panel reviewed.", "Heart-healthy diet discussed."}},
	{key: "prediabetes", code: sct("714628002"), icd: icd10("R73"), chronic: true,
		terms: []string{"prediabetes", "pre-diabetes"},
		prob:  0.22, minAge: 30, maxAge: 70, followMonths: 12, labs: []string{"a1c"},
		negatives: []string{"polyuria", "thirst"}, plan: []string{"Diet and exercise counseling provided.", "Recheck A1c in one year."}},
	{key: "diabetes", code: sct("44054006"), icd: icd10("E119"), chronic: true,
		terms: []string{"type 2 diabetes mellitus", "T2DM", "DM2", "type 2 diabetes", "diabetes mellitus type 2"},
		prob:  0.10, minAge: 35, maxAge: 75, followMonths: 3,
		meds: [][]string{{"metformin500"}}, labs: []string{"a1c", "microalbumin"},
		negatives: []string{"polyuria", "thirst", "blurred", "numbness"},
		plan:      []string{"Diabetic foot exam performed.", "Referred for diabetic eye exam.", "Glucose log reviewed."}},
	{key: "asthma", code: sct("195967001"), icd: icd10("J4590"), chronic: true,
		terms: []string{"asthma"},
		prob:  0.08, minAge: 2, maxAge: 15, followMonths: 12,
		meds:      [][]string{{"albuterol", "fluticasone44"}, {"albuterol"}},
		negatives: []string{"wheezing", "sob", "nightcough"}, plan: []string{"Inhaler technique reviewed.", "Asthma action plan updated."}},
	{key: "copd", code: sct("185086009"), icd: icd10("J44"), chronic: true,
		terms: []string{"chronic obstructive bronchitis", "COPD", "chronic obstructive pulmonary disease"},
		prob:  0.03, minAge: 50, maxAge: 80, followMonths: 6,
		meds: [][]string{{"albuterol", "advair"}}, labs: nil,
		negatives: []string{"fever", "hemoptysis", "cp"}, plan: []string{"Smoking cessation counseled.", "Spirometry ordered."}},
	{key: "afib", code: sct("49436004"), icd: icd10("I48"), chronic: true,
		terms: []string{"atrial fibrillation", "AFib", "a-fib", "AF"},
		prob:  0.08, minAge: 60, maxAge: 90, followMonths: 6,
		meds: [][]string{{"warfarin5", "metoprolol25"}}, labs: []string{"inr"},
		negatives: []string{"syncope", "cp", "bleeding"}, plan: []string{"INR reviewed, goal 2-3.", "Rate controlled."}},
	{key: "cad", code: sct("53741008"), icd: icd10("I25"), chronic: true,
		terms: []string{"coronary artery disease", "CAD", "coronary heart disease"},
		prob:  0.09, minAge: 50, maxAge: 85, followMonths: 6,
		meds: [][]string{{"aspirin81", "clopidogrel75", "nitroglycerin"}, {"aspirin81", "nitroglycerin"}}, labs: []string{"lipid"},
		negatives: []string{"cp", "sob", "palpitations"}, plan: []string{"Cardiology follow-up scheduled.", "No change in exercise tolerance."}},
	{key: "ckd3", code: sct("433144002"), icd: icd10("N18"), chronic: true,
		terms: []string{"chronic kidney disease stage 3", "CKD stage 3", "CKD 3", "stage 3 CKD"},
		prob:  0.05, minAge: 55, maxAge: 85, followMonths: 6, labs: []string{"bmp"},
		negatives: []string{"legswelling", "hematuria"}, plan: []string{"Avoid NSAIDs.", "Renal function monitored."}},
	{key: "hypothyroidism", code: sct("83664006"), icd: icd10("E03"), chronic: true,
		terms: []string{"hypothyroidism", "hypothyroid"}, sex: 0,
		prob: 0.06, minAge: 25, maxAge: 75, followMonths: 12,
		meds: [][]string{{"levothyroxine75"}}, labs: []string{"tsh"},
		negatives: []string{"fatigue", "weightgain"}, plan: []string{"TSH reviewed.", "Take levothyroxine on an empty stomach."}},
	{key: "kneeoa", code: sct("239873007"), icd: icd10("M179"), chronic: true,
		terms: []string{"osteoarthritis of knee", "knee OA", "knee osteoarthritis", "OA of the knee"},
		prob:  0.15, minAge: 50, maxAge: 85, followMonths: 12,
		meds:      [][]string{{"naproxen500"}, {"acetaminophen325"}},
		negatives: []string{"jointswelling", "fever"}, plan: []string{"Physical therapy referral.", "Weight loss encouraged."}},
	{key: "depression", code: sct("36923009"), icd: icd10("F329"), chronic: true,
		terms: []string{"major depression", "MDD", "depression", "major depressive disorder"},
		prob:  0.12, minAge: 15, maxAge: 65, followMonths: 6,
		meds:      [][]string{{"sertraline100"}, {"fluoxetine20"}},
		negatives: []string{"si"}, plan: []string{"Referred to counseling.", "PHQ-9 reviewed, improving."}},
	{key: "gerd", code: sct("235595009"), icd: icd10("K21"), chronic: true,
		terms: []string{"gastroesophageal reflux disease", "GERD", "acid reflux"},
		prob:  0.12, minAge: 25, maxAge: 75, followMonths: 12,
		negatives: []string{"dysphagia", "melena", "weightloss"}, plan: []string{"Avoid late meals.", "Elevate head of bed."}},
	{key: "backpain", code: sct("278860009"), icd: icd10("M545"), chronic: true,
		terms: []string{"chronic low back pain", "low back pain", "LBP"},
		prob:  0.10, minAge: 30, maxAge: 70, followMonths: 12,
		meds:      [][]string{{"ibuprofen400"}, {"tramadol50"}},
		negatives: []string{"incontinence", "numbness", "fever"}, plan: []string{"Core strengthening exercises.", "Physical therapy referral."}},
	{key: "rhinitis", code: sct("367498001"), icd: icd10("J30"), chronic: true,
		terms: []string{"seasonal allergic rhinitis", "allergic rhinitis", "hay fever"},
		prob:  0.15, minAge: 5, maxAge: 40, followMonths: 12,
		meds:      [][]string{{"loratadine10"}, {"cetirizine10"}},
		negatives: []string{"fever", "facialpain"}, plan: []string{"Allergen avoidance discussed."}},
	{key: "heartfailure", code: sct("88805009"), icd: icd10("I509"), chronic: true,
		terms: []string{"congestive heart failure", "CHF", "heart failure"},
		prob:  0.04, minAge: 65, maxAge: 90, followMonths: 3,
		meds: [][]string{{"furosemide40", "metoprolol100"}}, labs: []string{"ntprobnp", "bmp"},
		negatives: []string{"cp", "orthopnea", "syncope"}, plan: []string{"Daily weights advised.", "Fluid restriction 2 L/day."}},
	{key: "alzheimers", code: sct("26929004"), icd: icd10("G30"), chronic: true,
		terms: []string{"Alzheimer's disease", "Alzheimer disease", "dementia of the Alzheimer type"},
		prob:  0.08, minAge: 70, maxAge: 95, followMonths: 6,
		meds: [][]string{{"donepezil10"}}, negatives: []string{"falls", "hallucinations"},
		plan: []string{"Caregiver support discussed.", "Home safety evaluation."}},
	{key: "breastcancer", code: sct("254837009"), icd: icd10("C509"), chronic: true, sex: 'F',
		terms: []string{"malignant neoplasm of breast", "breast cancer", "breast CA"},
		prob:  0.10, minAge: 45, maxAge: 85, followMonths: 6,
		meds: [][]string{{"anastrozole1"}}, labs: []string{"cbc"},
		negatives: []string{"bonepain", "weightloss"}, plan: []string{"Oncology follow-up.", "Annual mammogram."}},
	{key: "osteoporosis", code: sct("64859006"), icd: icd10("M81"), chronic: true, sex: 'F',
		terms: []string{"osteoporosis"},
		prob:  0.15, minAge: 60, maxAge: 90, followMonths: 12,
		meds: [][]string{{"alendronate10"}}, negatives: []string{"falls"},
		plan: []string{"Calcium and vitamin D supplementation.", "Fall precautions."}},
	{key: "anemia", code: sct("271737000"), icd: icd10("D649"), chronic: true,
		terms: []string{"anemia", "anaemia"},
		prob:  0.05, minAge: 15, maxAge: 85, followMonths: 6,
		meds: [][]string{{"ferrous325"}}, labs: []string{"cbc"},
		negatives: []string{"melena", "syncope"}, plan: []string{"Iron studies ordered.", "Recheck CBC in 3 months."}},
}

// obesity is coded when a wellness visit measures an adult BMI of 30 or more.
var obesity = &conditionDef{key: "obesity", code: sct("162864005"), icd: icd10("E669"), chronic: true,
	terms: []string{"obesity", "BMI 30+"}, followMonths: 0,
	plan: []string{"Nutrition counseling provided.", "Goal of 5% weight loss."}}

var (
	encWellChild  = sct("410620009")
	encGeneral    = sct("162673000")
	encCheckUp    = sct("185349003")
	encProblem    = sct("185347001")
	encSymptom    = sct("185345009")
	encFollowUp   = sct("390906007")
	encEmergency  = sct("50849002")
	encInpatient  = sct("183452005")
	encUrgentCare = sct("702927004")
)

var acuteConditions = []*conditionDef{
	{key: "sinusitis", code: sct("444814009"), icd: icd10("J019"),
		terms: []string{"viral sinusitis", "sinusitis", "acute sinusitis"},
		rate:  band(0, 120, 0.07), days: 14, class: "AMB", encType: encSymptom,
		symptoms: []string{"congestion", "facialpain", "headache"}, negatives: []string{"fever", "sob", "vision"},
		plan: []string{"Supportive care with saline irrigation.", "Return if symptoms persist beyond 10 days."}},
	{key: "bronchitis", code: sct("10509002"), icd: icd10("J20"),
		terms: []string{"acute bronchitis", "bronchitis"},
		rate:  band(0, 120, 0.05), days: 14, class: "AMB", encType: encSymptom,
		symptoms: []string{"cough", "fatigue"}, negatives: []string{"fever", "hemoptysis", "cp"},
		meds: [][]string{{"acetaminophen325"}}, plan: []string{"Rest and fluids.", "Return if fever develops."}},
	{key: "pharyngitis", code: sct("195662009"), icd: icd10("J02"),
		terms: []string{"acute viral pharyngitis", "viral pharyngitis", "pharyngitis"},
		rate:  band(3, 60, 0.06), days: 7, class: "AMB", encType: encSymptom,
		symptoms: []string{"sorethroat"}, negatives: []string{"rash", "cough", "drooling"},
		meds: [][]string{{"ibuprofen200"}}, plan: []string{"Rapid strep negative.", "Warm salt-water gargles."}},
	{key: "strep", code: sct("43878008"), icd: icd10("J02"),
		terms: []string{"streptococcal sore throat", "strep throat", "streptococcal pharyngitis"},
		rate: func(age float64) float64 {
			switch {
			case age >= 3 && age < 18:
				return 0.06
			case age >= 18:
				return 0.01
			}
			return 0
		}, days: 10, class: "AMB", encType: encSymptom,
		symptoms: []string{"sorethroat", "fever"}, negatives: []string{"cough", "rash"},
		procs: []concept{sct("117015009")}, meds: [][]string{{"penicillinvk500"}, {"amoxicillin250"}},
		plan: []string{"Throat culture positive for group A strep.", "Complete the full antibiotic course."}},
	{key: "otitis", code: sct("65363002"), icd: icd10("H669"),
		terms: []string{"otitis media", "acute otitis media", "AOM", "ear infection"},
		rate: func(age float64) float64 {
			switch {
			case age < 6:
				return 0.35
			case age < 18:
				return 0.03
			}
			return 0.005
		}, days: 10, class: "AMB", encType: encProblem,
		symptoms: []string{"earpain", "fever"}, negatives: []string{"rash", "vomiting"},
		meds: [][]string{{"amoxicillin250"}}, plan: []string{"Recheck ears in 2 weeks if not improved."}},
	{key: "cystitis", code: sct("307426000"), icd: icd10("N300"), sex: 'F',
		terms: []string{"acute infective cystitis", "UTI", "urinary tract infection", "cystitis"},
		rate:  band(15, 120, 0.05), days: 7, class: "AMB", encType: encProblem,
		symptoms: []string{"dysuria", "frequency"}, negatives: []string{"fever", "flankpain", "hematuria"},
		procs: []concept{sct("117010004")}, meds: [][]string{{"nitrofurantoin100"}, {"ciprofloxacin250"}},
		plan: []string{"Urine culture sent.", "Increase fluid intake."}},
	{key: "sprain", code: sct("44465007"), icd: icd10("S934"),
		terms: []string{"sprain of ankle", "ankle sprain", "sprained ankle"},
		rate:  band(8, 65, 0.02), days: 21, class: "AMB", encType: encUrgentCare,
		symptoms: []string{"anklepain", "ankleswelling"}, negatives: []string{"numbness", "deformity"},
		meds: [][]string{{"ibuprofen200"}}, plan: []string{"RICE: rest, ice, compression, elevation.", "Ankle brace provided."}},
	{key: "laceration", code: sct("284549007"), icd: icd10("S614"),
		terms: []string{"laceration of hand", "hand laceration"},
		rate:  band(5, 85, 0.015), days: 14, class: "EMER", encType: encEmergency,
		symptoms: []string{"handpain"}, negatives: []string{"numbness", "fb"},
		procs: []concept{sct("288086009")}, plan: []string{"Wound irrigated and sutured.", "Suture removal in 10 days."}},
	{key: "fracture", code: sct("65966004"), icd: icd10("S529"),
		terms: []string{"fracture of forearm", "forearm fracture", "broken arm"},
		rate: func(age float64) float64 {
			if (age >= 5 && age < 16) || age >= 70 {
				return 0.012
			}
			return 0.004
		}, days: 56, class: "EMER", encType: encEmergency,
		symptoms: []string{"armpain"}, negatives: []string{"numbness", "headinjury"},
		procs: []concept{sct("274474001")}, meds: [][]string{{"hydrocodone"}, {"ibuprofen200"}},
		plan: []string{"Splint applied.", "Orthopedics follow-up in one week."}},
	{key: "concussion", code: sct("62106007"), icd: icd10("S060X0"),
		terms: []string{"concussion without loss of consciousness", "concussion"},
		rate:  band(5, 40, 0.006), days: 14, class: "EMER", encType: encEmergency,
		symptoms: []string{"headache", "dizziness", "nausea"}, negatives: []string{"vomiting", "vision"},
		plan: []string{"Cognitive rest.", "Return precautions reviewed."}},
	{key: "pneumonia", code: sct("233604007"), icd: icd10("J18"),
		terms: []string{"pneumonia", "community-acquired pneumonia", "CAP"},
		rate: func(age float64) float64 {
			if age >= 65 {
				return 0.025
			}
			return 0.005
		}, days: 21, class: "IMP", encType: encInpatient, stayDays: 3,
		symptoms: []string{"cough", "fever", "sob", "chills"}, negatives: []string{"cp", "hemoptysis"},
		procs: []concept{sct("399208008")}, meds: [][]string{{"azithromycin250"}}, labs: []string{"cbc", "bmp"},
		plan: []string{"Chest X-ray shows right lower lobe infiltrate.", "Supplemental oxygen as needed."}},
	{key: "appendicitis", code: sct("74400008"), icd: icd10("K37"),
		terms: []string{"appendicitis", "acute appendicitis"},
		rate:  band(5, 40, 0.0015), days: 10, class: "IMP", encType: encInpatient, stayDays: 2,
		symptoms: []string{"abdpain", "nausea", "fever"}, negatives: []string{"diarrhea", "dysuria"},
		procs: []concept{sct("80146002")}, labs: []string{"cbc"}, meds: [][]string{{"hydrocodone"}},
		plan: []string{"Laparoscopic appendectomy performed.", "Discharged on post-operative day 1."}},
	{key: "covid", code: sct("840539006"),
		terms: []string{"COVID-19", "COVID", "SARS-CoV-2 infection"},
		rate:  band(0, 120, 0.12), days: 14, class: "AMB", encType: encSymptom, after: 2020,
		symptoms: []string{"fever", "cough", "tasteloss", "fatigue"}, negatives: []string{"sob", "cp"},
		meds: [][]string{{"acetaminophen325"}}, plan: []string{"Isolate for 5 days.", "Return if shortness of breath develops."}},
}

// symptoms are written in notes (presenting or denied); they are never
// coded, so a denied symptom never contradicts a coded condition.
var symptoms = map[string][]string{
	"sob": {"shortness of breath", "SOB", "dyspnea"}, "cp": {"chest pain", "CP"},
	"fever": {"fever", "fevers"}, "chills": {"chills"}, "cough": {"cough"},
	"nausea": {"nausea"}, "vomiting": {"vomiting"}, "headache": {"headache", "HA"},
	"dizziness": {"dizziness"}, "abdpain": {"abdominal pain", "abd pain"},
	"palpitations": {"palpitations"}, "wheezing": {"wheezing"}, "sorethroat": {"sore throat"},
	"dysuria": {"dysuria", "burning with urination"}, "frequency": {"urinary frequency"},
	"rash": {"rash"}, "weightloss": {"weight loss", "unintentional weight loss"},
	"legswelling": {"leg swelling", "lower extremity edema"}, "fatigue": {"fatigue"},
	"congestion": {"nasal congestion"}, "facialpain": {"facial pain"}, "earpain": {"ear pain", "otalgia"},
	"anklepain": {"ankle pain"}, "ankleswelling": {"ankle swelling"}, "armpain": {"arm pain"},
	"handpain": {"hand pain"}, "tasteloss": {"loss of taste"}, "blurred": {"blurred vision"},
	"vision": {"vision changes"}, "syncope": {"syncope"}, "hematuria": {"hematuria"},
	"diarrhea": {"diarrhea"}, "melena": {"melena", "black stools"}, "polyuria": {"polyuria"},
	"thirst": {"increased thirst", "polydipsia"}, "numbness": {"numbness", "tingling"},
	"myalgia": {"muscle aches", "myalgias"}, "nightcough": {"nighttime cough"},
	"hemoptysis": {"hemoptysis"}, "bleeding": {"bleeding", "easy bruising"},
	"weightgain": {"weight gain"}, "jointswelling": {"joint swelling"}, "si": {"suicidal ideation", "SI"},
	"dysphagia": {"dysphagia", "difficulty swallowing"}, "incontinence": {"bowel or bladder incontinence"},
	"orthopnea": {"orthopnea"}, "falls": {"falls"}, "hallucinations": {"hallucinations"},
	"bonepain": {"bone pain"}, "drooling": {"drooling"}, "flankpain": {"flank pain"},
	"deformity": {"deformity"}, "fb": {"foreign body sensation"}, "headinjury": {"head injury"},
}

// genericNegatives fill the review of systems.
var genericNegatives = []string{"fever", "chills", "cp", "sob", "nausea", "vomiting", "abdpain", "rash", "headache", "dizziness", "weightloss", "palpitations"}

// infantNegatives fill the review of systems of small children.
var infantNegatives = []string{"fever", "vomiting", "rash", "diarrhea", "cough"}

// allergyDef is an allergy with its category and usual reaction.
type allergyDef struct {
	code     concept
	term     string
	category string // food, medication, environment, biologic
	reaction concept
	crit     string
}

var allergies = []allergyDef{
	{rxnorm("7984"), "penicillin", "medication", sct("271807003"), "low"},
	{rxnorm("10831"), "sulfa", "medication", sct("271807003"), "low"},
	{rxnorm("1191"), "aspirin", "medication", sct("247472004"), "low"},
	{sct("91935009"), "peanuts", "food", sct("39579001"), "high"},
	{sct("300913006"), "shellfish", "food", sct("247472004"), "high"},
	{sct("91930004"), "eggs", "food", sct("271807003"), "low"},
	{sct("424213003"), "bee stings", "environment", sct("39579001"), "high"},
	{sct("300916003"), "latex", "environment", sct("271807003"), "low"},
	{sct("419474003"), "mold", "environment", sct("878820003"), "low"},
	{sct("232350006"), "dust mites", "environment", sct("878820003"), "low"},
	{sct("418689008"), "grass pollen", "environment", sct("878820003"), "low"},
	{sct("232347008"), "animal dander", "environment", sct("418290006"), "low"},
}

// reactionTerms are how notes name allergic reactions.
var reactionTerms = map[string]string{
	"271807003": "rash", "247472004": "hives", "39579001": "anaphylaxis",
	"878820003": "rhinoconjunctivitis", "418290006": "itching",
}

// familyDef is a condition a relative had, as the family history says it.
type familyDef struct {
	terms []string
	sex   byte // relatives it applies to
	key   string
}

var familyHistory = []familyDef{
	{[]string{"breast cancer"}, 'F', "breastcancer"},
	{[]string{"colon cancer"}, 0, ""},
	{[]string{"prostate cancer"}, 'M', ""},
	{[]string{"an MI", "a heart attack"}, 0, "cad"},
	{[]string{"a stroke", "CVA"}, 0, ""},
	{[]string{"type 2 diabetes", "T2DM"}, 0, "diabetes"},
	{[]string{"hypertension", "HTN"}, 0, "hypertension"},
	{[]string{"Alzheimer's disease", "dementia"}, 0, "alzheimers"},
	{[]string{"lung cancer"}, 0, ""},
}

var relatives = []struct {
	name string
	sex  byte
}{
	{"mother", 'F'}, {"father", 'M'}, {"sister", 'F'}, {"brother", 'M'},
	{"maternal grandmother", 'F'}, {"paternal grandfather", 'M'},
}

// vaccineDose is one dose of the routine schedule, given at the first
// wellness visit at or after the age.
type vaccineDose struct {
	code   concept
	ageMo  float64 // age in months
	from   int     // first year the vaccine exists (0: always)
	term   string
	repeat float64 // years between doses for repeating adult vaccines
}

var vaccineSchedule = []vaccineDose{
	{code: cvx("08"), ageMo: 0, term: "hepatitis B", from: 1991}, {code: cvx("08"), ageMo: 1, term: "hepatitis B", from: 1991}, {code: cvx("08"), ageMo: 6, term: "hepatitis B", from: 1991},
	{code: cvx("119"), ageMo: 2, term: "rotavirus", from: 2008}, {code: cvx("119"), ageMo: 4, term: "rotavirus", from: 2008},
	{code: cvx("20"), ageMo: 2, term: "DTaP", from: 1991}, {code: cvx("20"), ageMo: 4, term: "DTaP", from: 1991}, {code: cvx("20"), ageMo: 6, term: "DTaP", from: 1991}, {code: cvx("20"), ageMo: 15, term: "DTaP", from: 1991}, {code: cvx("20"), ageMo: 48, term: "DTaP", from: 1991},
	{code: cvx("10"), ageMo: 2, term: "IPV", from: 1955}, {code: cvx("10"), ageMo: 4, term: "IPV", from: 1955}, {code: cvx("10"), ageMo: 6, term: "IPV", from: 1955}, {code: cvx("10"), ageMo: 48, term: "IPV", from: 1955},
	{code: cvx("49"), ageMo: 2, term: "Hib", from: 1987}, {code: cvx("49"), ageMo: 4, term: "Hib", from: 1987}, {code: cvx("49"), ageMo: 12, term: "Hib", from: 1987},
	{code: cvx("133"), ageMo: 2, term: "PCV13", from: 2010}, {code: cvx("133"), ageMo: 4, term: "PCV13", from: 2010}, {code: cvx("133"), ageMo: 6, term: "PCV13", from: 2010}, {code: cvx("133"), ageMo: 12, term: "PCV13", from: 2010},
	{code: cvx("03"), ageMo: 12, term: "MMR", from: 1971}, {code: cvx("03"), ageMo: 48, term: "MMR", from: 1971},
	{code: cvx("21"), ageMo: 12, term: "varicella", from: 1995}, {code: cvx("21"), ageMo: 48, term: "varicella", from: 1995},
	{code: cvx("83"), ageMo: 12, term: "hepatitis A", from: 2006}, {code: cvx("83"), ageMo: 18, term: "hepatitis A", from: 2006},
	{code: cvx("115"), ageMo: 132, term: "Tdap", from: 2005},
	{code: cvx("62"), ageMo: 132, term: "HPV", from: 2006}, {code: cvx("62"), ageMo: 144, term: "HPV", from: 2006},
	{code: cvx("114"), ageMo: 132, term: "meningococcal", from: 2005}, {code: cvx("114"), ageMo: 192, term: "meningococcal", from: 2005},
	{code: cvx("113"), ageMo: 252, term: "Td", repeat: 10, from: 1950},
	{code: cvx("121"), ageMo: 720, term: "zoster", from: 2006},
	{code: cvx("33"), ageMo: 780, term: "pneumococcal polysaccharide", from: 1983},
}

var fluVaccine = vaccineDose{code: cvx("140"), term: "influenza"}

var covidVaccines = []concept{cvx("207"), cvx("208")}

// Procedures of routine visits.
var (
	procMedRec        = sct("430193006")
	procMedDoc        = sct("428191000124101")
	procDepScreen     = sct("171207006")
	procPHQ2          = sct("454711000124102")
	procSocialNeeds   = sct("710824005")
	procSubstance     = sct("428211000124100")
	procAUDITC        = sct("763302001")
	procAbuse         = sct("866148006")
	procAnxiety       = sct("710841007")
	procColonoscopy   = sct("73761001")
	procSpirometry    = sct("127783003")
	smokingNever      = sct("266919005")
	smokingFormer     = sct("8517006")
	smokingEveryDay   = sct("449868002")
	noteTypeHP        = loinc("34117-2")
	noteTypeEvalPlan  = loinc("51847-2")
	noteTypeEmergency = loinc("34111-5")
)
