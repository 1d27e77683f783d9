package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/triagedesk/triage/internal/apptest"
	"github.com/triagedesk/triage/internal/testdb"
	"github.com/triagedesk/triage/postgres"
)

type searchOut struct {
	Results []searchResult `json:"results"`
}

func search(t *testing.T, env map[string]string, args ...string) searchOut {
	t.Helper()
	r := cli(t, "", env, append([]string{"search"}, args...)...)
	if r.code != 0 {
		t.Fatalf("search %v: exit %d: %s", args, r.code, r.stderr)
	}
	var out searchOut
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("search output: %v\n%s", err, r.stdout)
	}
	return out
}

// testStores runs fn against the embedded store and, when DATABASE_URL
// is set (always in CI), against PostgreSQL in a fresh collection.
func testStores(t *testing.T, fn func(t *testing.T, env map[string]string)) {
	t.Run("embedded", func(t *testing.T) {
		fn(t, map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": ""})
	})
	t.Run("postgres", func(t *testing.T) {
		url := testdb.URL(t)
		col := fmt.Sprintf("cli%d", time.Now().UnixNano()%1e9)
		t.Cleanup(func() {
			if db, err := postgres.Open(context.Background(), url, postgres.Options{}); err == nil {
				defer db.Close()
				if s, err := db.Cases(context.Background(), col); err == nil {
					s.Drop(context.Background())
				}
			}
		})
		fn(t, map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": url, "TRIAGE_TEST_COLLECTION": col})
	})
}

func TestIngestAndSearch(t *testing.T) {
	testStores(t, func(t *testing.T, env map[string]string) {
		col := []string{}
		if c := env["TRIAGE_TEST_COLLECTION"]; c != "" {
			col = []string{"--collection", c}
		}
		r := cli(t, "", env, append([]string{"ingest", "--data", "testdata/cases.csv", "--data", "testdata/cases.jsonl"}, col...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "ingested 5 cases") || !strings.Contains(r.stdout, "rows/s") {
			t.Fatalf("ingest: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		// Twice: still one row per id.
		r = cli(t, "", env, append([]string{"ingest", "--data", "testdata/cases.csv"}, col...)...)
		before := r.stdout
		r = cli(t, "", env, append([]string{"ingest", "--data", "testdata/cases.csv"}, col...)...)
		if r.code != 0 || stored(before) != stored(r.stdout) {
			t.Errorf("re-ingest changed the count: %q → %q", before, r.stdout)
		}
		out := search(t, env, append([]string{"--k", "3", "I paid twice for gems, refund the duplicate charge"}, col...)...)
		if len(out.Results) == 0 || out.Results[0].ID != "k1" || out.Results[0].Compensation == nil || out.Results[0].Resolution == "" {
			t.Fatalf("results %+v", out.Results)
		}
		filtered := search(t, env, append([]string{"--scenario", "order_delivery", "--k", "5", "I paid twice for gems"}, col...)...)
		for _, res := range filtered.Results {
			if res.Scenario != "order_delivery" {
				t.Errorf("filter ignored: %+v", res)
			}
		}
		if zh := search(t, env, append([]string{"--lang", "en", "--k", "2", "退款"}, col...)...); len(zh.Results) > 2 {
			t.Errorf("k ignored: %d", len(zh.Results))
		}
	})
}

func stored(s string) string {
	i := strings.Index(s, "; ")
	if i < 0 {
		return s
	}
	return strings.Fields(s[i+2:])[0]
}

func TestDefaultStoreHasEmbeddedCases(t *testing.T) {
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": ""}
	out := search(t, env, "--k", "3", "充了648元钻石一直没到账")
	if len(out.Results) != 3 || !strings.HasPrefix(out.Results[0].ID, "case-") || out.Results[0].Scenario != "payment_recharge" {
		t.Errorf("results %+v", out.Results)
	}
	out = search(t, env, "--k", "2", "--lang", "ja", "ガチャの天井まで回したのに限定キャラが出ない")
	if len(out.Results) != 2 || out.Results[0].Lang != "ja" {
		t.Errorf("ja results %+v", out.Results)
	}
}

func TestIngestSearchErrors(t *testing.T) {
	env := map[string]string{"TRIAGE_DATA_DIR": apptest.DataDir(t), "DATABASE_URL": ""}
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"ingest", "--data", "testdata/cases_bad.jsonl"}, 1, "testdata/cases_bad.jsonl:2: schema violation: missing id"},
		{[]string{"ingest"}, 2, "required flag"},
		{[]string{"search"}, 2, "one TEXT"},
		{[]string{"search", "--k", "0", "hello"}, 1, "k must be"},
		{[]string{"search", "--k", "500", "hello"}, 1, "k must be"},
		{[]string{"search", "bad \xff"}, 1, "UTF-8"},
	}
	for _, tt := range tests {
		r := cli(t, "", env, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: exit %d %q, want %d %q", tt.args, r.code, r.stderr, tt.code, tt.want)
		}
	}
}

// TestIngestRedacts: personal data never reaches the store.
func TestIngestRedacts(t *testing.T) {
	testStores(t, func(t *testing.T, env map[string]string) {
		col := []string{}
		if c := env["TRIAGE_TEST_COLLECTION"]; c != "" {
			col = []string{"--collection", c}
		}
		if r := cli(t, "", env, append([]string{"ingest", "--data", "testdata/pii.jsonl"}, col...)...); r.code != 0 {
			t.Fatalf("ingest: %s", r.stderr)
		}
		out := search(t, env, append([]string{"--k", "1", "账号被盗 验证码"}, col...)...)
		if len(out.Results) != 1 || out.Results[0].ID != "p1" {
			t.Fatalf("%+v", out.Results)
		}
		got := out.Results[0]
		if strings.Contains(got.Text+got.Reply, "13812345678") || !strings.Contains(got.Text, "[PHONE_1]") || !strings.Contains(got.Reply, "[PHONE_1]") {
			t.Errorf("stored unredacted: %+v", got)
		}
	})
}
