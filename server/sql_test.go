package server

import (
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// mysqlDB connects to the server's MySQL listener over TLS as the root key.
func (ts *testServer) mysqlDB(database string) *sql.DB {
	ts.t.Helper()
	pem, err := os.ReadFile(ts.CertPath)
	if err != nil {
		ts.t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	name := "fhirlake-test-" + ts.MySQLAddr
	if err := mysql.RegisterTLSConfig(name, &tls.Config{RootCAs: pool, ServerName: "localhost"}); err != nil {
		ts.t.Fatal(err)
	}
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = ts.Credentials.AccessKeyID, ts.Credentials.SecretAccessKey
	cfg.Net, cfg.Addr, cfg.DBName, cfg.TLSConfig = "tcp", ts.MySQLAddr, database, name
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		ts.t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	ts.t.Cleanup(func() { db.Close() })
	return db
}

// TestSQLSeesAcknowledgedWrites writes over FHIR and reads over the MySQL
// protocol at once: every acknowledged write is visible to SQL.
func TestSQLSeesAcknowledgedWrites(t *testing.T) {
	ts := startServer(t, Config{DefaultDatastore: true})
	ds := ts.DefaultDatastoreID
	db := ts.mysqlDB(ds)
	var before int
	if err := db.QueryRow("SELECT count(*) FROM patient").Scan(&before); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		id := fmt.Sprintf("sql-%d", i)
		body := fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":"Visible%d"}],"multipleBirthInteger":%d}`, id, i, i)
		resp, out := ts.do("PUT", ts.Endpoint(ds)+"Patient/"+id, []byte(body), http.Header{"Content-Type": {"application/fhir+json"}})
		if resp.StatusCode != 201 {
			t.Fatalf("create: %d %s", resp.StatusCode, out)
		}
		var family string
		// multipleBirthInteger is a column no earlier data had
		err := db.QueryRow("SELECT name->>'$[0].family' FROM patient WHERE id = ? AND multipleBirthInteger = ?", id, i).Scan(&family)
		if err != nil || family != fmt.Sprintf("Visible%d", i) {
			t.Fatalf("write %d not visible to SQL right after it was acknowledged: %q %v", i, family, err)
		}
	}
	var after int
	if err := db.QueryRow("SELECT count(*) FROM patient").Scan(&after); err != nil || after != before+20 {
		t.Fatalf("count after 20 creates: %d (before %d) %v", after, before, err)
	}
	// the default flat views are there, over the same rows
	for _, v := range []string{"patient_demographics", "observation_flat", "condition_flat", "encounter_flat", "medication_request_flat", "procedure_flat", "immunization_flat"} {
		var n int
		if err := db.QueryRow("SELECT count(*) FROM " + v).Scan(&n); err != nil {
			t.Errorf("default view %s: %v", v, err)
		}
	}
	var demo int
	if err := db.QueryRow("SELECT count(*) FROM patient_demographics WHERE family LIKE 'Visible%'").Scan(&demo); err != nil || demo != 20 {
		t.Errorf("patient_demographics sees %d of the 20 new patients (%v)", demo, err)
	}
	// the store's name works as a database alias; writes are refused
	if _, err := ts.mysqlDB("default").Exec("DELETE FROM patient"); err == nil || !strings.Contains(err.Error(), "1290") {
		t.Errorf("DELETE over SQL: %v", err)
	}
}

// TestSQLAddressesExtensions reads simple-valued extensions by URL over the
// MySQL protocol: FHIR_EXTENSION(extension column, url).
func TestSQLAddressesExtensions(t *testing.T) {
	ts := startServer(t, Config{DefaultDatastore: true})
	ds := ts.DefaultDatastoreID
	const birthsex = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex"
	body := `{"resourceType":"Patient","id":"ext-1","gender":"female","extension":[
		{"url":"http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName","valueString":"Smith"},
		{"url":"` + birthsex + `","valueCode":"F"},
		{"url":"http://synthetichealth.github.io/synthea/disability-adjusted-life-years","valueDecimal":0.25},
		{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueAddress":{"city":"Boston"}}]}`
	resp, out := ts.do("PUT", ts.Endpoint(ds)+"Patient/ext-1", []byte(body), http.Header{"Content-Type": {"application/fhir+json"}})
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, out)
	}
	db := ts.mysqlDB(ds)
	var sex, maiden, daly, place string
	var missing sql.NullString
	err := db.QueryRow(`SELECT FHIR_EXTENSION(extension, ?), FHIR_EXTENSION(extension, 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName'),
		FHIR_EXTENSION(extension, 'http://synthetichealth.github.io/synthea/disability-adjusted-life-years'),
		FHIR_EXTENSION(extension, 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace'),
		FHIR_EXTENSION(extension, 'http://example.org/none')
		FROM patient WHERE id = 'ext-1'`, birthsex).Scan(&sex, &maiden, &daly, &place, &missing)
	if err != nil {
		t.Fatal(err)
	}
	if sex != "F" || maiden != "Smith" || daly != "0.25" || !strings.Contains(place, `"city":"Boston"`) || missing.Valid {
		t.Errorf("extensions by URL: %q %q %q %q %v", sex, maiden, daly, place, missing)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM patient WHERE FHIR_EXTENSION(extension, ?) = 'F'", birthsex).Scan(&n); err != nil || n < 1 {
		t.Errorf("filter on an extension: %d %v", n, err)
	}
}
