package server_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/datasets"
	"github.com/triagedesk/triage/server"
)

// BenchmarkClassifyEndpoint: POST /v1/classify through the whole handler
// stack with the default detector (20 languages, high accuracy), over
// the test split's complaints.
func BenchmarkClassifyEndpoint(b *testing.B) {
	tax, local, _ := fixture(b)
	det, err := classify.NewDetector(classify.DetectorConfig{})
	if err != nil {
		b.Fatal(err)
	}
	full := *local
	full.Detector = det
	s := server.New(server.Config{}, nil)
	s.Taxonomy, s.Classifier = tax, classifierFunc(full.Classify)
	h := s.Handler()
	test, _ := datasets.LoadComplaints(datasets.Test, tax)
	bodies := make([]string, len(test))
	for i, c := range test {
		bb, _ := json.Marshal(map[string]string{"text": c.Text})
		bodies[i] = string(bb)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/v1/classify", strings.NewReader(bodies[i%len(bodies)]))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
		i++
	}
}
