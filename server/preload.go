package server

import (
	"context"
	"fmt"

	"github.com/fhirlake/fhirlake/engine"
	"github.com/fhirlake/fhirlake/fhirflat"
	"github.com/fhirlake/fhirlake/synth"
)

// preloadSynthetic fills a new data store with the project's synthetic
// Synthea-shaped data (package synth): what HealthLake's PreloadDataConfig
// SYNTHEA asks for, and what the default data store starts with.
func preloadSynthetic(patients int, seed int64) func(ctx context.Context, s *engine.Store, preloadType string) error {
	return func(ctx context.Context, s *engine.Store, preloadType string) error {
		if preloadType != "SYNTHEA" {
			return fmt.Errorf("unknown preload type %q", preloadType)
		}
		nz := s.Builder().NewNormalizer(fhirflat.Strict)
		var ops []engine.Op
		flush := func() error {
			if len(ops) == 0 {
				return nil
			}
			_, err := s.Apply(ctx, ops)
			ops = ops[:0]
			return err
		}
		_, err := synth.Generate(ctx, synth.Options{Patients: patients, Seed: seed}, func(typ string, resource []byte) error {
			row, err := nz.Normalize(resource)
			if err != nil {
				return fmt.Errorf("synthetic %s: %w", typ, err)
			}
			row.JSON = append([]byte(nil), row.JSON...)
			ops = append(ops, engine.Op{Kind: engine.Put, Type: row.Type, ID: row.ID, Row: row, New: true})
			if len(ops) == 2000 {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	}
}
