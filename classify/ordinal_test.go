package classify

import (
	"fmt"
	"testing"
)

func TestSeverityCost(t *testing.T) {
	tests := []struct {
		gold, got int
		want      float64
	}{
		{3, 3, 0},
		{2, 3, 1},  // over-triage: one level
		{2, 5, 3},  // three levels
		{3, 2, 1},  // under-triage below level 4 costs as any error
		{4, 3, 5},  // a major complaint placed one level low
		{5, 3, 10}, // two levels low
		{5, 4, 5},
		{4, 5, 1},
	}
	for _, tt := range tests {
		if got := severityCost(tt.gold, tt.got); got != tt.want {
			t.Errorf("severityCost(%d, %d) = %v, want %v", tt.gold, tt.got, got, tt.want)
		}
	}
}

// A writer's examples share a fold, so a writer is predicted by a model
// that never saw them; examples without a writer spread over the folds.
func TestFoldsKeepWritersTogether(t *testing.T) {
	seen := map[int]bool{}
	for i := range 200 {
		ex := Example{Text: fmt.Sprintf("complaint %d", i), Group: "ja-03-elderly-phone"}
		f := foldOf(ex, 1)
		if i > 0 && !seen[f] {
			t.Fatalf("writer's example %d in fold %d, others in %v", i, f, seen)
		}
		seen[f] = true
	}
	spread := map[int]int{}
	for i := range 500 {
		spread[foldOf(Example{Text: fmt.Sprintf("complaint %d", i)}, 1)]++
	}
	if len(spread) != SeverityFolds {
		t.Errorf("ungrouped examples fill %d of %d folds: %v", len(spread), SeverityFolds, spread)
	}
	for f, n := range spread {
		if n < 60 {
			t.Errorf("fold %d has %d of 500 examples", f, n)
		}
	}
}
