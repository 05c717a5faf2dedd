package engine

import (
	"errors"
	"fmt"
)

// Errors the engine returns; the API layers translate them once, at the edge.
var (
	ErrNotFound       = errors.New("not found")
	ErrStoreNotActive = errors.New("data store is not active")
	ErrClosed         = errors.New("data store is closed")
)

// GoneError says a resource was deleted.
type GoneError struct {
	Type, ID  string
	VersionID int64
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("%s/%s was deleted (version %d)", e.Type, e.ID, e.VersionID)
}

// VersionConflictError says an If-Match precondition failed.
type VersionConflictError struct {
	Type, ID       string
	Current, Match int64
}

func (e *VersionConflictError) Error() string {
	if e.Current == 0 {
		return fmt.Sprintf("%s/%s does not exist, so it is not at version %d", e.Type, e.ID, e.Match)
	}
	return fmt.Sprintf("%s/%s is at version %d, not %d", e.Type, e.ID, e.Current, e.Match)
}

// BacklogError refuses a write while the tables cannot take the writes
// already accepted: merges fail, and Waiting writes wait for them (durable
// in the write log, and held in memory until merged).
type BacklogError struct {
	Waiting int
	Cause   error // the last merge's error
}

func (e *BacklogError) Error() string {
	return fmt.Sprintf("%d accepted writes are waiting to be moved into the tables, and moving them fails (%v): writes are refused until it succeeds", e.Waiting, e.Cause)
}

func (e *BacklogError) Unwrap() error { return e.Cause }

// NotFoundError says a resource (or a version of it) does not exist.
type NotFoundError struct {
	Type, ID  string
	VersionID int64
}

func (e *NotFoundError) Error() string {
	if e.VersionID > 0 {
		return fmt.Sprintf("%s/%s has no version %d", e.Type, e.ID, e.VersionID)
	}
	return fmt.Sprintf("%s/%s is not known", e.Type, e.ID)
}

func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }
