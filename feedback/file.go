package feedback

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// FileStore keeps entries as JSONL in one file, each written and synced
// before Add returns. It is safe for concurrent use within one process.
type FileStore struct {
	path string
	mu   sync.Mutex
}

// OpenFile returns the store at path, creating its directory.
func OpenFile(path string) (*FileStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	return &FileStore{path: path}, nil
}

// Add appends e and syncs the file.
func (s *FileStore) Add(_ context.Context, e Entry) error {
	line, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	_, err = f.Write(append(line, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	return nil
}

// List reads every entry. A torn last line (a crash mid-write) is
// skipped; a bad line elsewhere is an error naming it.
func (s *FileStore) List(context.Context) ([]Entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return []Entry{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	defer f.Close()
	out := []Entry{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 8<<20)
	var bad error
	for n := 1; sc.Scan(); n++ {
		if bad != nil {
			return nil, bad // the bad line was not the last one
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			bad = fmt.Errorf("feedback: %s:%d: %w", s.path, n, err)
			continue
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("feedback: %w", err)
	}
	return out, nil
}

// Ping checks the directory is there.
func (s *FileStore) Ping(context.Context) error {
	if _, err := os.Stat(filepath.Dir(s.path)); err != nil {
		return fmt.Errorf("feedback: %w", err)
	}
	return nil
}
