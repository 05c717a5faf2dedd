package engine

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fhirlake/fhirlake/fhirflat"
)

func putOp(t testing.TB, id, family string) Op {
	t.Helper()
	op, err := patientOp(id, family)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func patientOp(id, family string) (Op, error) {
	row, err := fhirflat.Default().NewNormalizer(fhirflat.Strict).Normalize([]byte(patient(id, family)))
	if err != nil {
		return Op{}, err
	}
	row.JSON = append([]byte(nil), row.JSON...)
	return Op{Kind: Put, Type: "Patient", ID: id, Row: row}, nil
}

// TestCrashKeepsAcknowledgedWrites kills (SIGKILL) a process that writes
// resources, merging now and then, and checks that every write it had
// acknowledged is there, at its version, when the store is opened again.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if dir := os.Getenv("FHIRLAKE_CRASH_WRITER"); dir != "" {
		crashWriter(dir) // the child: writes until killed
		return
	}
	if testing.Short() {
		t.Skip("starts a process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestCrashKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "FHIRLAKE_CRASH_WRITER="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[string]int64{} // id → version acknowledged
	lines := bufio.NewScanner(out)
	for lines.Scan() && len(acked) < 1500 {
		id, v, ok := strings.Cut(lines.Text(), " ")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(v, 10, 64)
		acked[id] = n
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 1500 {
		t.Fatalf("the writer acknowledged %d writes before it stopped", len(acked))
	}
	s := openTestStore(t, filepath.Join(dir, "s.duckdb"))
	defer s.Close()
	ctx := context.Background()
	for id, v := range acked {
		r, err := s.Read(ctx, "Patient", id)
		if err != nil || r.VersionID < v {
			t.Fatalf("Patient/%s after the crash: %+v %v, acknowledged version %d", id, r, err, v)
		}
	}
	// the same after merging: the tables hold each version once
	if err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	var dup int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT id, version_id FROM (
  SELECT id, version_id FROM main.patient_history UNION ALL SELECT id, version_id FROM main.patient)
  GROUP BY id, version_id HAVING count(*) > 1)`).Scan(&dup); err != nil || dup != 0 {
		t.Fatalf("%d versions stored twice (%v)", dup, err)
	}
	for id, v := range acked {
		if r, err := s.VRead(ctx, "Patient", id, v); err != nil || r.VersionID != v {
			t.Fatalf("Patient/%s version %d after merging: %+v %v", id, v, r, err)
		}
	}
}

// crashWriter writes resources (a new one, then an update of it) one
// request at a time, printing "id version" for each acknowledged write;
// every 100 writes it merges, so the log holds merged and unmerged writes.
func crashWriter(dir string) {
	segmentBytes = 32 << 10 // many segments, removed as merges pass them
	s, err := OpenStore(context.Background(), "crash", filepath.Join(dir, "s.duckdb"), filepath.Join(dir, "staging"), fhirflat.Default(), StoreOptions{MergeInterval: time.Hour})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := 0; ; i++ {
		id := fmt.Sprintf("c%d", i/2)
		op, err := patientOp(id, fmt.Sprint("v", i))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		res, err := s.Apply(context.Background(), []Op{op})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintf(w, "%s %d\n", id, res[0].VersionID)
		w.Flush()
		if i%100 == 99 {
			_ = s.Sync(context.Background())
		}
	}
}

// TestWriteLogTornTailAndDamage: a record cut short at the end of the last
// segment is dropped and the log goes on after it; damage in an earlier
// segment stops the store from opening.
func TestWriteLogTornTailAndDamage(t *testing.T) {
	dir := t.TempDir()
	var got []int64
	load := func(r logRecord) error { got = append(got, r.e.seq); return nil }
	l, err := openWriteLog(dir, 0, load)
	if err != nil {
		t.Fatal(err)
	}
	rec := func(seq int64) staged {
		return staged{key{"Patient", fmt.Sprint("p", seq)}, &pendingEntry{seq: seq, versionID: 1, lastUpdated: time.Now().UTC(), row: []byte(`{"id":"x"}`), fields: fhirflat.Bits{5}}}
	}
	if err := l.append([]staged{rec(1), rec(2)}); err != nil {
		t.Fatal(err)
	}
	if err := l.append([]staged{rec(3)}); err != nil {
		t.Fatal(err)
	}
	name := l.f.Name()
	l.f.Close()
	// a crash in the middle of an append: half of record 4
	full := appendRecord(nil, rec(4))
	f, _ := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0o600)
	f.Write(full[:len(full)/2])
	f.Close()
	if l, err = openWriteLog(dir, 1, load); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[2 3]" {
		t.Fatalf("read after seq 1: %v, want [2 3]", got)
	}
	if err := l.append([]staged{rec(4)}); err != nil {
		t.Fatal(err)
	}
	l.f.Close()
	got = nil
	if _, err = openWriteLog(dir, 0, load); err != nil || fmt.Sprint(got) != "[1 2 3 4]" {
		t.Fatalf("after appending over the torn tail: %v %v", got, err)
	}
	// a flipped byte in a segment that is not the last
	data, _ := os.ReadFile(name)
	data[20] ^= 0xff
	os.WriteFile(name, data, 0o600)
	os.WriteFile(filepath.Join(dir, fmt.Sprintf("%020d.log", 5)), nil, 0o600)
	if _, err := openWriteLog(dir, 0, load); err == nil || !strings.Contains(err.Error(), "torn record") {
		t.Fatalf("damage in an earlier segment: %v", err)
	}
}

// TestRecordRoundTrip: a record decodes to what was encoded, deleted or not.
func TestRecordRoundTrip(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 123456000, time.UTC)
	for _, st := range []staged{
		{key{"Observation", "o-1"}, &pendingEntry{seq: 7, versionID: 3, lastUpdated: at, row: []byte(`{"id":"o-1","status":"final"}`), fields: fhirflat.Bits{1, 1 << 63}}},
		{key{"Patient", "gone"}, &pendingEntry{seq: 8, versionID: 2, lastUpdated: at, deleted: true}},
	} {
		buf := appendRecord(nil, st)
		r, err := decodeRecord(buf[8:])
		if err != nil {
			t.Fatal(err)
		}
		if r.k != st.k || r.e.seq != st.entry.seq || r.e.versionID != st.entry.versionID || !r.e.lastUpdated.Equal(at) ||
			r.e.deleted != st.entry.deleted || string(r.e.row) != string(st.entry.row) || fmt.Sprint(r.e.fields) != fmt.Sprint(st.entry.fields) {
			t.Errorf("round trip: %+v %+v, want %+v %+v", r.k, r.e, st.k, st.entry)
		}
		for cut := 0; cut < len(buf)-8; cut++ {
			if _, err := decodeRecord(buf[8 : 8+cut]); err == nil {
				t.Fatalf("a record cut to %d bytes decoded", cut)
			}
		}
	}
}

// TestPendingTableMovesToTheLog: a store written before the write log,
// with rows in its pending table, opens with them pending, and keeps them
// after they leave the table.
func TestPendingTableMovesToTheLog(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.duckdb")
	s := openTestStore(t, path)
	if _, err := s.Apply(ctx, []Op{putOp(t, "merged", "One")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// what an older fhirlake left: a pending row after the last merge
	op := putOp(t, "legacy", "Two")
	execOnFile(t, path, "INSERT INTO _fhirlake.pending VALUES ((SELECT value::BIGINT + 1 FROM _fhirlake.settings WHERE key = 'last_seq'), 'Patient', 'legacy', 1, now(), false, ?, ?)",
		string(op.Row.JSON), op.Row.Present.Bytes())
	for round := 0; round < 2; round++ {
		s = openTestStore(t, path)
		for _, id := range []string{"merged", "legacy"} {
			if r, err := s.Read(ctx, "Patient", id); err != nil || r.VersionID != 1 {
				t.Fatalf("round %d: Patient/%s: %+v %v", round, id, r, err)
			}
		}
		var n int
		if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM _fhirlake.pending").Scan(&n); err != nil || n != 0 {
			t.Fatalf("round %d: %d rows left in the pending table (%v)", round, n, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzWriteLogSegment reads a segment of any bytes: records, a torn tail
// cut off, or an error; never a panic.
func FuzzWriteLogSegment(f *testing.F) {
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	good := appendRecord(nil, staged{key{"Patient", "p"}, &pendingEntry{seq: 1, versionID: 1, lastUpdated: at, row: []byte(`{}`), fields: fhirflat.Bits{3}}})
	good = appendRecord(good, staged{key{"Patient", "p"}, &pendingEntry{seq: 2, versionID: 2, lastUpdated: at, deleted: true}})
	f.Add(good)
	f.Add(good[:len(good)-3])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		var seqs []int64
		last, good, err := readRecords(bytes.NewReader(data), "fuzz", func(r logRecord) error {
			seqs = append(seqs, r.e.seq)
			return nil
		})
		if good > int64(len(data)) || (err == nil && good != int64(len(data))) || (len(seqs) > 0 && last != seqs[len(seqs)-1]) {
			t.Fatalf("read %d records, intact prefix %d of %d bytes, last %d: %v", len(seqs), good, len(data), last, err)
		}
	})
}
