package triage_test

import (
	"os/exec"
	"strings"
	"testing"
)

// layers is the package layering of docs/design.md: a package may import
// packages of its own layer's lower layers only, never a higher one.
// Packages not listed (tests' helpers, tools) are checked only for the
// adapter rule below.
var layers = map[string]int{
	"":                  0, // the domain, at the module root
	"chat":              1,
	"datasets":          1,
	"features":          1,
	"redact":            1,
	"classify":          2,
	"retrieve":          2,
	"feedback":          2,
	"eval":              2,
	"llm":               2,
	"classify/cascade":  3,
	"retrieve/memstore": 3,
	"suggest":           3,
	"postgres":          3,
	"pipeline":          4,
	"server":            5,
	"internal/app":      6,
	"internal/apptest":  7,
	"cmd/triage":        7,
}

// adapters may import these dependencies; no domain or capability
// package may depend on them, even indirectly (adapters, the wiring and
// the binary may).
var adapters = map[string]string{
	"github.com/gin-gonic/gin":          "server",
	"github.com/jackc/pgx/v5":           "postgres",
	"github.com/sashabaranov/go-openai": "llm",
}

const module = "github.com/triagedesk/triage"

func TestImportLayers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \" \"}}|{{join .Deps \" \"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		pkg := rel(parts[0])
		layer, layered := layers[pkg]
		for _, imp := range strings.Fields(parts[1]) {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			il, ok := layers[rel(imp)]
			if !ok && layered {
				t.Errorf("%s imports %s, which has no layer in docs/design.md", pkg, rel(imp))
			}
			if ok && layered && il >= layer && rel(imp) != pkg {
				t.Errorf("%s (layer %d) imports %s (layer %d): only lower layers", pkg, layer, rel(imp), il)
			}
		}
		if isAdapter(pkg) || pkg == "internal/app" || pkg == "internal/apptest" || pkg == "cmd/triage" || strings.HasPrefix(pkg, "tools/") {
			continue
		}
		for _, dep := range strings.Fields(parts[2]) {
			for lib, owner := range adapters {
				if dep == lib || strings.HasPrefix(dep, lib+"/") {
					t.Errorf("%s depends on %s, which only the adapter %s may use", pkg, lib, owner)
				}
			}
		}
	}
	// The retrieval layer does not link the classifier or lingua.
	deps, _ := exec.Command("go", "list", "-deps", "./retrieve").Output()
	for _, banned := range []string{module + "/classify", "github.com/pemistahl/lingua-go"} {
		if strings.Contains(string(deps), banned+"\n") {
			t.Errorf("retrieve depends on %s", banned)
		}
	}
}

func rel(path string) string {
	return strings.TrimPrefix(strings.TrimPrefix(path, module), "/")
}

func isAdapter(pkg string) bool {
	for _, owner := range adapters {
		if pkg == owner || strings.HasPrefix(pkg, owner+"/") {
			return true
		}
	}
	return false
}
