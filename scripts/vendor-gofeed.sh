#!/usr/bin/env bash
# Rebuild third_party/gofeed and third_party/goxpp: gofeed (the feed
# parser digest/feed uses) and goxpp (its XML pull parser), each with a
# patch from scripts/patches applied, so that a text element holding only
# text and CDATA is read from the document's bytes instead of through
# encoding/xml a byte at a time (see PATCHED.md in each directory).
#
# Usage: scripts/vendor-gofeed.sh   (the versions go.mod names; a new
# version may need the patches redone: they are small)
#        scripts/vendor-gofeed.sh --upstream-tests
#   runs gofeed's and goxpp's own test suites (with their test data and
#   requirements, from the module cache) against the patched copies in
#   third_party, in a scratch directory; the repository is not touched.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# vendor MODULE VERSION DIR (see vendor-module.sh), then patch DIR with
# scripts/patches/PATCH.
# shellcheck source=scripts/vendor-module.sh
source "$ROOT/scripts/vendor-module.sh"
patched() {
	vendor "$1" "$2" "$3"
	(cd "$ROOT/third_party/$3" && git apply --unsafe-paths -p1 "$ROOT/scripts/patches/$4")
}

GOFEED=v1.4.2 GOXPP=v2.0.0

if [ "${1:-}" = --upstream-tests ]; then
	WORK=$(mktemp -d)
	trap 'chmod -R u+w "$WORK"; rm -rf "$WORK"' EXIT
	# upstream MODULE VERSION DIR: third_party/DIR with the module's tests,
	# test data, go.mod and go.sum beside it, in $WORK/DIR.
	upstream() {
		local src
		src=$(cd "$ROOT" && GOFLAGS=-mod=mod go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
		cp -r "$ROOT/third_party/$3" "$WORK/$3"
		(cd "$src" && find . \( -name '*_test.go' -o -path '*/testdata/*' \) -type f -print0 |
			xargs -0 -I{} install -D -m 0644 {} "$WORK/$3/{}")
		install -m 0644 "$src/go.mod" "$src/go.sum" "$WORK/$3/"
	}
	upstream github.com/mmcdole/goxpp/v2 "$GOXPP" goxpp
	upstream github.com/mmcdole/gofeed "$GOFEED" gofeed
	echo 'replace github.com/mmcdole/goxpp/v2 => ../goxpp' >>"$WORK/gofeed/go.mod"
	(cd "$WORK/goxpp" && go test ./...)
	(cd "$WORK/gofeed" && go test ./...)
	exit
fi

patched github.com/mmcdole/gofeed "$GOFEED" gofeed gofeed.patch
patched github.com/mmcdole/goxpp/v2 "$GOXPP" goxpp goxpp.patch
