package ingest

import (
	"encoding/json"
	"testing"
)

func TestChunkBounds(t *testing.T) {
	o := chunkOptions{Resources: 400_000, Bytes: 512 << 20, Ramp: 3}
	for no, want := range map[int64][2]int64{
		1: {50_000, 64 << 20},
		2: {100_000, 128 << 20},
		3: {200_000, 256 << 20},
		4: {400_000, 512 << 20},
		9: {400_000, 512 << 20},
	} {
		if r, b := o.bounds(no); r != want[0] || b != want[1] {
			t.Errorf("chunk %d: bounds %d, %d; want %d, %d", no, r, b, want[0], want[1])
		}
	}
	// tiny bounds never reach 0
	if r, b := (chunkOptions{Resources: 3, Bytes: 2, Ramp: 3}).bounds(1); r != 1 || b != 1 {
		t.Errorf("tiny bounds = %d, %d", r, b)
	}
	// a plan written before the ramp cuts every chunk alike, as it did
	var old plan
	if err := json.Unmarshal([]byte(`{"chunk":{"resources":100000,"bytes":268435456}}`), &old); err != nil {
		t.Fatal(err)
	}
	if r, b := old.Chunk.bounds(1); r != 100_000 || b != 256<<20 {
		t.Errorf("old plan's first chunk: %d, %d", r, b)
	}
}
