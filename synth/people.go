package synth

// Names and places of the generated population. Given and family names are
// common US names; like Synthea, each gets a number appended so that nobody
// mistakes a generated person for a real one.

var givenFemale = []string{
	"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily", "Donna", "Michelle",
	"Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia",
	"Kathleen", "Amy", "Angela", "Shirley", "Anna", "Brenda", "Pamela", "Emma", "Nicole", "Helen",
	"Samantha", "Katherine", "Christine", "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather",
	"Diane", "Ruth", "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina",
	"Sofia", "Isabella", "Mia", "Ava", "Camila", "Lucia", "Mei", "Priya", "Aaliyah", "Fatima",
}

var givenMale = []string{
	"James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
	"Christopher", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew", "Joshua",
	"Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald", "Edward", "Jason", "Jeffrey", "Ryan",
	"Jacob", "Gary", "Nicholas", "Eric", "Jonathan", "Stephen", "Larry", "Justin", "Scott", "Brandon",
	"Benjamin", "Samuel", "Gregory", "Alexander", "Frank", "Patrick", "Raymond", "Jack", "Dennis", "Jerry",
	"Tyler", "Aaron", "Jose", "Adam", "Nathan", "Henry", "Douglas", "Zachary", "Peter", "Kyle",
	"Luis", "Carlos", "Juan", "Diego", "Wei", "Hiroshi", "Arjun", "Omar", "Malik", "Andre",
}

var familyNames = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Gomez", "Phillips", "Evans", "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes",
	"Stewart", "Morris", "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper",
	"Peterson", "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson",
	"Watson", "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
	"Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster", "Jimenez",
}

var streetNames = []string{
	"Main", "Oak", "Pine", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park",
	"Walnut", "Spring", "North", "Ridge", "Church", "Willow", "Mill", "Highland", "Center", "Union",
}

var streetKinds = []string{"Street", "Avenue", "Road", "Lane", "Drive", "Way", "Court"}

// city is a Massachusetts town with its ZIP code and approximate position.
type city struct {
	name     string
	zip      string
	lat, lon float64
}

var cities = []city{
	{"Boston", "02118", 42.3601, -71.0589}, {"Worcester", "01608", 42.2626, -71.8023},
	{"Springfield", "01103", 42.1015, -72.5898}, {"Cambridge", "02139", 42.3736, -71.1097},
	{"Lowell", "01852", 42.6334, -71.3162}, {"Brockton", "02301", 42.0834, -71.0184},
	{"Quincy", "02169", 42.2529, -71.0023}, {"Lynn", "01902", 42.4668, -70.9495},
	{"New Bedford", "02740", 41.6362, -70.9342}, {"Fall River", "02720", 41.7015, -71.1550},
	{"Newton", "02458", 42.3370, -71.2092}, {"Lawrence", "01840", 42.7070, -71.1631},
	{"Somerville", "02143", 42.3876, -71.0995}, {"Framingham", "01702", 42.2793, -71.4162},
	{"Haverhill", "01830", 42.7762, -71.0773}, {"Waltham", "02453", 42.3765, -71.2356},
	{"Malden", "02148", 42.4251, -71.0662}, {"Brookline", "02445", 42.3318, -71.1212},
	{"Plymouth", "02360", 41.9584, -70.6673}, {"Medford", "02155", 42.4184, -71.1062},
	{"Taunton", "02780", 41.9001, -71.0898}, {"Chicopee", "01013", 42.1487, -72.6079},
	{"Weymouth", "02188", 42.2180, -70.9410}, {"Revere", "02151", 42.4084, -71.0120},
	{"Peabody", "01960", 42.5279, -70.9287}, {"Pittsfield", "01201", 42.4501, -73.2454},
	{"Barnstable", "02630", 41.7003, -70.3002}, {"Salem", "01970", 42.5195, -70.8967},
	{"Northampton", "01060", 42.3251, -72.6412}, {"Fitchburg", "01420", 42.5834, -71.8023},
}

// race is an OMB race category (CDC race and ethnicity code system) with the
// adjective notes use and its rough share of the population.
type race struct {
	code, display, adjective string
	share                    float64
}

var races = []race{
	{"2106-3", "White", "white", 0.72},
	{"2054-5", "Black or African American", "Black", 0.12},
	{"2028-9", "Asian", "Asian", 0.07},
	{"1002-5", "American Indian or Alaska Native", "Native American", 0.01},
	{"2076-8", "Native Hawaiian or Other Pacific Islander", "Pacific Islander", 0.01},
	{"2131-1", "Other Race", "multiracial", 0.07},
}

const (
	sysOMB     = "urn:oid:2.16.840.1.113883.6.238"
	hispanic   = "2135-2"
	nonHispan  = "2186-5"
	sysMarital = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
)

var maritalStatuses = []struct{ code, display string }{
	{"M", "Married"}, {"S", "Never Married"}, {"D", "Divorced"}, {"W", "Widowed"},
}

// payers name the insurance on claims; by age, as a simple model.
var (
	payersPrivate = []string{"Blue Cross Blue Shield", "Aetna", "UnitedHealthcare", "Cigna Health", "Humana"}
	payerMedicare = "Medicare"
	payerMedicaid = "Medicaid"
)

// Organisation name parts for the provider pool.
var orgKinds = []struct {
	suffix string
	kind   int
}{
	{"Family Medicine", orgClinic}, {"Community Health Center", orgClinic}, {"Primary Care Associates", orgClinic},
	{"Pediatrics", orgClinic}, {"Internal Medicine Group", orgClinic},
	{"General Hospital", orgHospital}, {"Medical Center", orgHospital},
	{"Urgent Care", orgUrgent},
}
