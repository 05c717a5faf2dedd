package main

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"runtime"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU      string
	Cores    int
	MemoryGB float64
	OS       string
	Go       string
	DuckDB   string
	Hostname string
	Load     string // load average at the start
}

func readMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version()}
	m.CPU = firstMatch("/proc/cpuinfo", "model name")
	if kb := firstMatch("/proc/meminfo", "MemTotal"); kb != "" {
		var n float64
		fmt.Sscanf(kb, "%f", &n)
		m.MemoryGB = n / 1024 / 1024
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		f := strings.Fields(string(b))
		if len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	m.Hostname, _ = os.Hostname()
	if db, err := sql.Open("duckdb", ""); err == nil {
		_ = db.QueryRow("SELECT version()").Scan(&m.DuckDB)
		db.Close()
	}
	return m
}

func firstMatch(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Label is a short machine name for result file names.
func (m Machine) Label() string {
	cpu := strings.ToLower(strings.Fields(m.CPU + " cpu")[0])
	return fmt.Sprintf("%s-%dcore", cpu, m.Cores)
}

// peakRSS is the process's peak resident set size in MiB (VmHWM).
func peakRSS() float64 {
	v := firstMatch("/proc/self/status", "VmHWM")
	var kb float64
	fmt.Sscanf(v, "%f", &kb)
	return kb / 1024
}

// resetPeakRSS starts a new peak (VmHWM) from the current resident size.
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }
