package ingestbench

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// MaxObjectSize is the maximum_object_size the read_json baseline is
// given for files: what fhirlake's own load gives DuckDB's reader (the
// longest line plus one, at least 1 MiB; engine/import.go). DuckDB
// allocates read buffers of twice this size per thread, so a larger
// setting than the data needs slows the baseline down (measured here on
// 400k resources: 40.2k/s with the default 16 MiB, 33.7k/s with 64 MiB,
// out of memory at 256 MiB under memory_limit 1GB).
func MaxObjectSize(files []string) (int, error) {
	longest := 0
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			return 0, err
		}
		r := bufio.NewReaderSize(f, 1<<20)
		cur := 0
		for {
			b, err := r.ReadSlice('\n')
			cur += len(b)
			if err == bufio.ErrBufferFull {
				continue
			}
			longest = max(longest, cur)
			cur = 0
			if err == io.EOF {
				break
			}
			if err != nil {
				f.Close()
				return 0, fmt.Errorf("%s: %w", path, err)
			}
		}
		f.Close()
	}
	return max(longest+1, 1<<20), nil
}
