#!/bin/sh
# Runs the whole test suite the way CI does: go vet, then go test -race
# inside a private D-Bus session with an unlocked gnome-keyring (the real
# OS keyring the archive keys live in), with a throwaway HOME.
#   scripts/test.sh                 everything (what `make test` runs)
#   scripts/test.sh ./app/core/...  only these packages (gofmt still checks all)
# GOTESTFLAGS adds flags to go test, e.g. GOTESTFLAGS="-run 'Draft|Quit' -count=3".
set -eu
cd "$(dirname "$0")/.."

for bin in dbus-run-session gnome-keyring-daemon; do
  command -v "$bin" >/dev/null 2>&1 || { echo "test: $bin is missing (apt-get install dbus gnome-keyring)" >&2; exit 1; }
done

pkgs="${*:-./...}"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt needed:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet $pkgs

echo "== go test -race"
# The tests get a throwaway HOME (keyring, Fyne preferences); keep Go's
# module and build caches where they are, or every run starts cold.
export GOPATH="$(go env GOPATH)" GOMODCACHE="$(go env GOMODCACHE)" GOCACHE="$(go env GOCACHE)"
export SWITCHBOARD_TEST_HOME="$(mktemp -d)"
trap 'rm -rf "$SWITCHBOARD_TEST_HOME"' EXIT
# GOTESTFLAGS is read as shell words, as you would type them:
# GOTESTFLAGS="-run 'TestA|TestB' -count=3" (quote a pattern with |).
export SB_TESTFLAGS="${GOTESTFLAGS:-}" SB_PKGS="$pkgs"
HOME="$SWITCHBOARD_TEST_HOME" LANG=en_US.UTF-8 dbus-run-session -- sh -c '
  eval "$(printf test | gnome-keyring-daemon --unlock --components=secrets)"
  export GNOME_KEYRING_CONTROL
  eval "go test -race -timeout 20m -count=1 $SB_TESTFLAGS $SB_PKGS"
'
