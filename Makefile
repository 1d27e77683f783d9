# The README names two commands: `make run` (the service on embedded
# defaults) and `make test` (the whole suite). CI runs `make test`.
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
GOBIN       ?= $(shell $(GO) env GOPATH)/bin

.PHONY: test deps lint vet unit generate fuzz baseline loadtest run serve

## test: everything CI checks — installs test dependencies (chromium), then
## formatting, vet, staticcheck, all tests and the eval regression gate
test: deps lint unit

## deps: install what the tests need beyond Go (scripts/test-deps.sh)
deps:
	./scripts/test-deps.sh

## lint: gofmt, go vet and staticcheck must be clean
lint:
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@test -x $(GOBIN)/staticcheck || $(GO) install $(STATICCHECK)
	$(GOBIN)/staticcheck ./...

## unit: the Go test suite, against a throwaway PostgreSQL + pgvector cluster
unit:
	./scripts/pg.sh run $(GO) test -count=1 ./...

## generate: regenerate derived files (the dataset card's count tables, docs/configuration.md)
generate:
	$(GO) generate ./...

## fuzz: a short fuzzing pass over the JSONL reader
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReadComplaints -fuzztime 30s ./datasets/

## baseline: re-record the default model's report on the test split (commit it deliberately)
baseline:
	rm -rf eval/baseline
	$(GO) run ./cmd/triage eval --out eval/baseline

# Load test of /v1/classify against a no-op endpoint of the same server.
loadtest:
	./scripts/loadtest.sh

## run: the service on embedded defaults (no database, no LLM key)
run:
	$(GO) run ./cmd/triage serve

serve: run
