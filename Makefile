# Switchboard. On a fresh Debian/Ubuntu machine:
#   make run    installs what is missing, builds and opens the app
#   make test   installs what is missing and runs every test against real servers
GO ?= go
BIN := bin/switchboard

.PHONY: run build test bench demo deps-build deps-test clean

run: build
	./$(BIN)

build: deps-build
	$(GO) build -o $(BIN) .

test: deps-test
	./scripts/test.sh

# Benchmarks: figures are reported, never asserted. BENCHFLAGS adds flags,
# e.g. make bench BENCHFLAGS='-benchtime=3x'. The storage comparison with
# SQLite FTS5 needs the sqlite_fts5 build tag, set here.
bench: deps-test
	$(GO) test -tags sqlite_fts5 -run '^$$' -bench . -benchtime 1x -timeout 60m $(BENCHFLAGS) ./...

demo: deps-test
	$(GO) run ./cmd/demo

deps-build:
	@./scripts/deps.sh build

deps-test:
	@./scripts/deps.sh test

clean:
	rm -rf bin
