package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/synth"
)

// TestCRUDAndSQLDuringImport writes and queries a data store while an
// import runs: every write succeeds, and whenever the job reports N
// resources imported, SQL over the typed tables sees at least N.
func TestCRUDAndSQLDuringImport(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 40,000 resources")
	}
	ctx := context.Background()
	e := newEnv(t, Config{ChunkResources: 4000})
	in := filepath.Join(e.dir, "in")
	st, err := synth.WriteDir(ctx, synth.Options{Patients: 30, Seed: 5, SkipShared: true}, in)
	if err != nil {
		t.Fatal(err)
	}
	job, err := e.runner.StartImport(ctx, engine.ImportRequest{DatastoreID: e.ds, Spec: engine.ImportSpec{
		InputURI: in, OutputURI: filepath.Join(e.dir, "out"), ValidationLevel: "structure-only"}})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	writes, worst := 0, time.Duration(0)
	wg.Add(1)
	go func() { // FHIR-style writes, one resource per transaction
		defer wg.Done()
		nz := fhirflat.Default().NewNormalizer(fhirflat.Strict)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			row, err := nz.Normalize([]byte(fmt.Sprintf(`{"resourceType":"Basic","id":"w%d","code":{"text":"during import"}}`, i)))
			if err != nil {
				t.Error(err)
				return
			}
			row.JSON = append([]byte(nil), row.JSON...)
			start := time.Now()
			if _, err := e.store.Apply(ctx, []engine.Op{{Kind: engine.Put, Type: "Basic", ID: row.ID, Row: row}}); err != nil {
				t.Errorf("write during import: %v", err)
				return
			}
			mu.Lock()
			writes++
			worst = max(worst, time.Since(start))
			mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	checks := 0
	for {
		j, err := e.runner.ImportJob(ctx, e.ds, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		reported := j.Progress.ResourcesImported
		var inTables int64
		for _, typ := range st.Types() {
			var n int64
			if err := e.store.DB().QueryRow("SELECT count(*) FROM main." + fhirflat.QuoteIdent(fhirflat.TableName(typ))).Scan(&n); err != nil {
				t.Fatal(err)
			}
			inTables += n
		}
		if inTables < reported {
			t.Fatalf("the job reports %d imported, SQL sees %d", reported, inTables)
		}
		checks++
		if j.Finished() {
			if j.Status != engine.JobCompleted || reported != int64(st.Total()) {
				t.Fatalf("job %s: %d of %d", j.Status, reported, st.Total())
			}
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if err := e.store.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var basics int
	e.store.DB().QueryRow("SELECT count(*) FROM main.basic").Scan(&basics)
	if writes == 0 || basics != writes {
		t.Errorf("%d writes acknowledged, %d Basic rows", writes, basics)
	}
	t.Logf("%d writes during the import (slowest %v), %d progress checks against SQL", writes, worst, checks)
}
