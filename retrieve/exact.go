package retrieve

import (
	"math"
	"sort"
)

// ExactTopK scores every record by cosine similarity to q and returns the
// ids of the k best that match f (ties by id): the brute-force reference
// an index's results are measured against.
func ExactTopK(recs []Record, q []float32, k int, f Filter) []string {
	type scored struct {
		id    string
		score float64
	}
	var all []scored
	for _, r := range recs {
		if (f.Scenario != "" && r.Scenario != f.Scenario) || (f.Lang != "" && r.Lang != f.Lang) {
			continue
		}
		all = append(all, scored{r.ID, cosine(q, r.Vector)})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].id < all[j].id
	})
	ids := make([]string, 0, min(k, len(all)))
	for i := 0; i < k && i < len(all); i++ {
		ids = append(ids, all[i].id)
	}
	return ids
}

func cosine(a, b []float32) float64 {
	var d, na, nb float64
	for i := range a {
		d += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return d / math.Sqrt(na*nb+1e-30)
}
