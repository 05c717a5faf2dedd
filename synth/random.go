package synth

import "math"

// rng is a small deterministic random source (SplitMix64). It is written
// here rather than taken from math/rand so that a seed produces the same
// data with every Go release.
type rng struct{ state uint64 }

// mix64 is the SplitMix64 finaliser: a bijection that spreads bits well.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

const golden = 0x9e3779b97f4a7c15

// newRNG returns the random source of one stream (a patient, the provider
// pool) of one seed. Streams never share state, so patient i's data depends
// only on (seed, i).
func newRNG(seed int64, stream uint64) *rng {
	return &rng{state: mix64(mix64(uint64(seed)+golden) ^ mix64(stream+1))}
}

func (r *rng) uint64() uint64 {
	r.state += golden
	return mix64(r.state)
}

// float returns a value in [0, 1).
func (r *rng) float() float64 { return float64(r.uint64()>>11) / (1 << 53) }

// intn returns a value in [0, n).
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.uint64() % uint64(n))
}

// between returns a value in [lo, hi).
func (r *rng) between(lo, hi float64) float64 { return lo + (hi-lo)*r.float() }

// chance reports true with probability p.
func (r *rng) chance(p float64) bool { return r.float() < p }

// norm returns a normally distributed value (Box–Muller).
func (r *rng) norm(mean, sd float64) float64 {
	u1 := r.float()
	if u1 < 1e-300 {
		u1 = 1e-300
	}
	u2 := r.float()
	return mean + sd*math.Sqrt(-2*math.Log(u1))*math.Cos(2*math.Pi*u2)
}

// clampNorm is norm limited to [lo, hi].
func (r *rng) clampNorm(mean, sd, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, r.norm(mean, sd)))
}

// pick returns one element of a non-empty slice.
func pick[T any](r *rng, xs []T) T { return xs[r.intn(len(xs))] }

// idSpace gives the deterministic, UUID-shaped ids of one stream.
type idSpace struct {
	base   uint64
	serial uint64
}

func newIDSpace(seed int64, stream uint64) idSpace {
	return idSpace{base: mix64(mix64(uint64(seed)^0x5eed1d5) ^ mix64(stream+golden))}
}

// next returns the next id: 36 characters, lower-case hex, version-4 shape.
func (s *idSpace) next() string {
	s.serial++
	hi := mix64(s.base ^ mix64(s.serial))
	lo := mix64(hi ^ 0x2545f4914f6cdd1d)
	hi = hi&^0xf000 | 0x4000     // version 4
	lo = lo&^(0xc<<60) | 0x8<<60 // RFC 4122 variant
	var b [36]byte
	const hexd = "0123456789abcdef"
	put := func(at int, v uint64, n int) {
		for i := n - 1; i >= 0; i-- {
			b[at+i] = hexd[v&0xf]
			v >>= 4
		}
	}
	put(0, hi>>32, 8)
	b[8] = '-'
	put(9, hi>>16&0xffff, 4)
	b[13] = '-'
	put(14, hi&0xffff, 4)
	b[18] = '-'
	put(19, lo>>48, 4)
	b[23] = '-'
	put(24, lo&0xffffffffffff, 12)
	return string(b[:])
}
