#!/usr/bin/env bash
# Rebuild third_party/gofeed and third_party/goxpp: gofeed (the feed
# parser digest/feed uses) and goxpp (its XML pull parser), each with a
# patch from scripts/patches applied, so that a text element holding only
# text and CDATA is read from the document's bytes instead of through
# encoding/xml a byte at a time (see PATCHED.md in each directory).
#
# Usage: scripts/vendor-gofeed.sh   (the versions go.mod names; a new
# version may need the patches redone: they are small)
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

patched github.com/mmcdole/gofeed v1.4.2 gofeed gofeed.patch
patched github.com/mmcdole/goxpp/v2 v2.0.0 goxpp goxpp.patch
