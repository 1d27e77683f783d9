package classify

import (
	"math/rand/v2"
	"testing"
)

// The table answers exactly what the map it was built from answers,
// for present and absent hashes, the empty-slot marker 0 and hashes that
// collide in the low bits.
func TestColumnTable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	columns := map[uint64]int32{0: 7}
	for i := range 5000 {
		columns[r.Uint64()] = int32(i)
		columns[uint64(i)<<40] = int32(10000 + i) // same low bits
	}
	tab := newColumnTable(columns)
	for h, c := range columns {
		if got, ok := tab.get(h); !ok || got != c {
			t.Fatalf("get(%#x) = %d, %v; want %d", h, got, ok, c)
		}
	}
	for range 5000 {
		h := r.Uint64()
		_, want := columns[h]
		if _, ok := tab.get(h); ok != want {
			t.Fatalf("get(%#x) present = %v, want %v", h, ok, want)
		}
	}
	empty := newColumnTable(map[uint64]int32{})
	if _, ok := empty.get(0); ok {
		t.Error("empty table has the hash 0")
	}
	if _, ok := empty.get(42); ok {
		t.Error("empty table has 42")
	}
}
