package docstore

import (
	"fmt"
	"sync"
	"time"
)

// failure records the first error pebble met writing in the background
// (a flush or a compaction: the disk full, the directory gone). Pebble
// retries a failed flush at once and without end, and a write or a flush
// waiting for it would wait for ever; once writing failed, the copy
// answers every write with the error instead (the store then reads from
// its database until it reopens and rebuilds the copy), and Close gives
// up its last flush.
type failure struct {
	once     sync.Once
	happened chan struct{} // closed at the first failure
	first    error
}

// retryPause slows pebble's retries of a failed flush, which would
// otherwise keep a core busy.
const retryPause = 100 * time.Millisecond

func newFailure() failure { return failure{happened: make(chan struct{})} }

// background is pebble's EventListener.BackgroundError. After a failed
// flush pebble calls it holding the DB's mutex and then schedules the
// flush again (pebble v2 has no backoff there), so the pause holds back
// writes too; reads do not take that mutex.
func (f *failure) background(err error) {
	f.once.Do(func() {
		f.first = fmt.Errorf("writing to disk failed: %w", err)
		close(f.happened)
	})
	time.Sleep(retryPause)
}

// err returns the first failure, if any.
func (f *failure) err() error {
	select {
	case <-f.happened:
		return f.first
	default:
		return nil
	}
}
