package app

import (
	"runtime"
	"runtime/debug"

	"github.com/triagedesk/triage/server"
)

// Build returns what the binary was built from: module version, VCS
// commit (with "+dirty" for a modified tree) and Go version.
func Build() server.BuildInfo {
	b := server.BuildInfo{Version: "(devel)", Commit: "unknown", GoVersion: runtime.Version()}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	if info.Main.Version != "" {
		b.Version = info.Main.Version
	}
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty && b.Commit != "unknown" {
		b.Commit += "+dirty"
	}
	return b
}
