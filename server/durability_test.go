package server

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRestartKeepsDatastoresAndData(t *testing.T) {
	dir := t.TempDir()
	ts := startServer(t, Config{DataDir: dir, DefaultDatastore: true})
	def := ts.DefaultDatastoreID
	ctx := context.Background()
	patient := `{"resourceType":"Patient","id":"keep-me","name":[{"family":"Durable"}]}`
	resp, body := ts.do("PUT", ts.Endpoint(def)+"Patient/keep-me", []byte(patient), http.Header{"Content-Type": {"application/fhir+json"}})
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	gone, err := ts.Engine.CreateDatastore(ctx, createReq("to-delete"))
	if err != nil {
		t.Fatal(err)
	}
	ts.waitStatus(gone.ID, "ACTIVE")
	if _, err := ts.Engine.DeleteDatastore(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	ts.waitStatus(gone.ID, "DELETED")
	before, _ := ts.Engine.Datastores(ctx)
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}

	ts2 := startServer(t, Config{DataDir: dir, DefaultDatastore: true})
	if ts2.DefaultDatastoreID != def {
		t.Fatalf("default data store %s after restart, was %s", ts2.DefaultDatastoreID, def)
	}
	if ts2.CredentialsCreated || ts2.Credentials != ts.Credentials {
		t.Fatal("credentials changed on restart")
	}
	after, _ := ts2.Engine.Datastores(ctx)
	if len(after) != len(before) {
		t.Fatalf("%d data stores after restart, %d before", len(after), len(before))
	}
	for i := range before {
		if before[i].ID != after[i].ID || before[i].Status != after[i].Status || before[i].Name != after[i].Name {
			t.Errorf("data store %d: %+v before, %+v after", i, before[i], after[i])
		}
	}
	resp, body = ts2.do("GET", ts2.Endpoint(def)+"Patient/keep-me", nil, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Durable") {
		t.Fatalf("read after restart: %d %s", resp.StatusCode, body)
	}
	for _, f := range []string{"credentials", "catalog.duckdb", filepath.Join("stores", def+".duckdb")} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v %v, want 0600", f, st.Mode().Perm(), err)
		}
	}
	for _, d := range []string{".", "stores", "tls"} {
		st, err := os.Stat(filepath.Join(dir, d))
		if err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v %v, want 0700", d, st.Mode().Perm(), err)
		}
	}
}

// TestMain lets the test binary run as a server process for the crash test.
func TestMain(m *testing.M) {
	if dir := os.Getenv("FHIRLAKE_TEST_SERVE"); dir != "" {
		serveForTest(dir)
		return
	}
	os.Exit(m.Run())
}

// serveForTest runs a server and prints its URL, key and default data store.
func serveForTest(dir string) {
	cfg := Config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MySQLAddr: "off", Insecure: true,
		DefaultDatastore: true, PreloadPatients: 1, Logger: quietLogger()}
	if n, err := strconv.Atoi(os.Getenv("FHIRLAKE_TEST_IMPORT_CHUNK")); err == nil {
		cfg.Import.ChunkResources = int64(n)
	}
	if n, err := strconv.Atoi(os.Getenv("FHIRLAKE_TEST_IMPORT_SPLIT")); err == nil {
		cfg.Import.SplitRows = n
	}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		fmt.Println("ERROR", err)
		os.Exit(1)
	}
	fmt.Println("READY", s.HTTPURL, s.DefaultDatastoreID)
	select {} // until killed
}

func startChild(t *testing.T, dir string, env ...string) (*exec.Cmd, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(append(os.Environ(), "FHIRLAKE_TEST_SERVE="+dir), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "READY ") {
		cmd.Process.Kill()
		t.Fatalf("child server: %q %v", line, err)
	}
	f := strings.Fields(line)
	return cmd, f[1], f[2]
}

func TestKillDuringWritesLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test in -short mode")
	}
	dir := t.TempDir()
	child, url, ds := startChild(t, dir)
	ts := &testServer{t: t, http: &http.Client{Timeout: 30 * time.Second}}
	creds, err := loadCreds(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = &Server{Credentials: creds, Config: Config{Region: "us-east-1"}}
	base := url + "/datastore/" + ds + "/r4/"

	var mu sync.Mutex
	acked := map[string]string{} // id → family acknowledged
	// updates: each client rewrites one resource over and over; after the
	// crash it holds the last acknowledged version or the one in flight
	lastUpdate := map[int]int{} // client → last acknowledged update
	stop := make(chan struct{})
	var wg sync.WaitGroup
	put := func(id string, body []byte) (int, error) {
		req, _ := http.NewRequest("PUT", base+"Patient/"+id, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/fhir+json")
		ts.sign(req, body)
		resp, err := ts.http.Do(req)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	// clients runs n writers until the kill; step does write i of client c
	// and says whether to go on
	clients := func(n int, step func(c, i int) bool) {
		for c := 0; c < n; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 1; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if !step(c, i) {
						return
					}
				}
			}(c)
		}
	}
	clients(4, func(c, i int) bool {
		id := fmt.Sprintf("upd-%d", c)
		code, err := put(id, []byte(fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":"U%d"}]}`, id, i)))
		if err != nil {
			return false // the server is gone
		}
		if code == 200 || code == 201 {
			mu.Lock()
			lastUpdate[c] = i
			mu.Unlock()
		}
		return true
	})
	clients(8, func(c, i int) bool {
		id := fmt.Sprintf("crash-%d-%d", c, i)
		family := fmt.Sprintf("F%d", i)
		code, err := put(id, []byte(fmt.Sprintf(`{"resourceType":"Patient","id":%q,"name":[{"family":%q}]}`, id, family)))
		if err != nil {
			return false
		}
		if code == 201 {
			mu.Lock()
			acked[id] = family
			mu.Unlock()
		}
		return true
	})
	time.Sleep(3 * time.Second)
	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait()
	close(stop)
	wg.Wait()
	mu.Lock()
	n := len(acked)
	mu.Unlock()
	if n < 50 {
		t.Fatalf("only %d writes acknowledged before the kill", n)
	}
	child, url, ds2 := startChild(t, dir)
	defer func() { child.Process.Kill(); child.Wait() }()
	if ds2 != ds {
		t.Fatalf("default data store %s after the crash, was %s", ds2, ds)
	}
	base = url + "/datastore/" + ds + "/r4/"
	missing := 0
	for id, family := range acked {
		req, _ := http.NewRequest("GET", base+"Patient/"+id, nil)
		ts.sign(req, nil)
		resp, err := ts.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Name []struct{ Family string }
		}
		json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(p.Name) == 0 || p.Name[0].Family != family {
			missing++
			if missing < 5 {
				t.Errorf("acknowledged %s (%s) after the crash: %d %+v", id, family, resp.StatusCode, p)
			}
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged writes lost", missing, n)
	}
	t.Logf("%d acknowledged writes all present after SIGKILL", n)
	// reads of the updated resources, at once and once the restarted
	// server has rebuilt its copy for reads by id (a few seconds here)
	for _, wait := range []time.Duration{0, 3 * time.Second} {
		time.Sleep(wait)
		for c, last := range lastUpdate {
			req, _ := http.NewRequest("GET", base+fmt.Sprintf("Patient/upd-%d", c), nil)
			ts.sign(req, nil)
			resp, err := ts.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var p struct {
				Meta struct{ VersionID string }
				Name []struct{ Family string }
			}
			json.NewDecoder(resp.Body).Decode(&p)
			resp.Body.Close()
			got := ""
			if len(p.Name) > 0 {
				got = p.Name[0].Family
			}
			if resp.StatusCode != 200 || (got != fmt.Sprintf("U%d", last) && got != fmt.Sprintf("U%d", last+1)) {
				t.Errorf("after %v: upd-%d = %d %q (version %s), last acknowledged U%d", wait, c, resp.StatusCode, got, p.Meta.VersionID, last)
			}
		}
	}
}
