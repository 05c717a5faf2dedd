package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSynthCommand(t *testing.T) {
	dir := t.TempDir()
	cmd := synthCommand()
	cmd.SetArgs([]string{"--patients", "3", "--seed", "7", "--out", dir})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "Patient.ndjson"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var p struct{ ResourceType string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.ResourceType != "Patient" {
			t.Fatalf("bad line %q: %v", sc.Text(), err)
		}
		n++
	}
	if n != 3 {
		t.Errorf("%d patients written, want 3", n)
	}
	for _, name := range []string{"Observation.ndjson", "DocumentReference.ndjson", "Practitioner.ndjson"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Error(err)
		}
	}
}

func TestSynthCommandErrors(t *testing.T) {
	for args, want := range map[string]string{
		"--patients 3":                 "--out is required",
		"--patients 0 --out x":         "--patients must be at least 1",
		"--patients 3 --out x --bogus": "unknown flag",
	} {
		cmd := synthCommand()
		cmd.SetArgs(strings.Fields(args))
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.Execute()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", args, err, want)
		}
	}
}
