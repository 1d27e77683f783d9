package memstore

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/retrieve/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) retrieve.Store {
		s, err := Open(filepath.Join(t.TempDir(), "cases.gob"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "cases.gob")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.SetMeta(ctx, retrieve.Meta{EmbedderVersion: "v", Dimensions: 16})
	recs := storetest.Records(20, 1)
	if err := s.Upsert(ctx, recs); err != nil {
		t.Fatal(err)
	}
	again, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := again.Count(ctx); n != 20 {
		t.Fatalf("reopened store has %d records", n)
	}
	res, err := again.Search(ctx, recs[4].Vector, 1, retrieve.Filter{})
	if err != nil || res[0].ID != recs[4].ID {
		t.Errorf("%v %v", res, err)
	}
	if m, _ := again.Meta(ctx); m.EmbedderVersion != "v" {
		t.Errorf("meta %+v", m)
	}
}

func TestCorruptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cases.gob")
	if err := writeFile(path, []byte("not gob")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil {
		t.Error("corrupt file accepted")
	}
}
