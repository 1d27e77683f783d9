package memstore

import "os"

// writeFile lets tests plant a file where the store expects its snapshot.
func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o644) }
