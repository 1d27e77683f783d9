package classify

import "math/bits"

// columnTable maps feature hashes to columns: open addressing with linear
// probing over one flat array, at most half full. Feature hashes are
// already well mixed, so their low bits pick the slot. Looking up every
// n-gram of a text is most of the cost of classifying it; this table does
// it in about half the time of a Go map, one cache line a probe.
type columnTable struct {
	slots []columnSlot
	mask  uint64
	// zero is the column of the hash 0, which marks empty slots.
	zero    int32
	hasZero bool
}

type columnSlot struct {
	hash uint64
	col  int32
}

func newColumnTable(columns map[uint64]int32) *columnTable {
	n := uint64(1) << bits.Len64(uint64(2*len(columns)+1))
	t := &columnTable{slots: make([]columnSlot, n), mask: n - 1}
	for h, c := range columns {
		if h == 0 {
			t.zero, t.hasZero = c, true
			continue
		}
		i := h & t.mask
		for t.slots[i].hash != 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = columnSlot{h, c}
	}
	return t
}

// get returns the column of hash h.
func (t *columnTable) get(h uint64) (int32, bool) {
	if h == 0 {
		return t.zero, t.hasZero
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		switch s := t.slots[i]; s.hash {
		case h:
			return s.col, true
		case 0:
			return 0, false
		}
	}
}
