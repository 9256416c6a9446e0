#!/usr/bin/env bash
# Rebuild third_party/gomoji and third_party/go-domdistiller: the two
# libraries (both linked through go-trafilatura) with the tables they built
# in package initialisers built on first use instead.
#
# Every process that links them paid for those tables before main, though
# only a full-text extraction ever reads them: gomoji's map of 4,700 emojis
# (0.98 MB allocated) and go-domdistiller's three Unicode range tables,
# built by listing every rune of their ranges (1.7 MB). With them (and our
# own packages' regular expressions, internal/lazyre) made lazy, `digest
# version` allocates under the runtime's first GC goal before main. The
# patch is mechanical: each table becomes a sync.OnceValue and each read a
# call; nothing else changes. go.mod points both modules here with replace
# directives; see PATCHED.md in each directory.
#
# Usage: scripts/vendor-lazy-init.sh   (the versions go.mod names)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)

# vendor MODULE VERSION DIR: copy the module's Go code (no tests, examples
# or generators), go.mod and licence files into third_party/DIR.
vendor() {
	local mod=$1 version=$2 dst="$ROOT/third_party/$3" src
	src=$(cd "$ROOT" && GOFLAGS=-mod=mod go mod download -json "$mod@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || { echo "cannot download $mod $version" >&2; exit 1; }
	rm -rf "$dst"
	mkdir -p "$dst"
	(cd "$src" && find . -name '*.go' ! -name '*_test.go' ! -path './scripts/*' ! -path './example/*' ! -path './cmd/*' -print0 |
		xargs -0 -I{} install -D -m 0644 {} "$dst/{}")
	install -m 0644 "$src/go.mod" "$dst/"
	find "$src" -maxdepth 1 \( -name 'LICENSE*' -o -name 'NOTICE*' \) -exec install -m 0644 {} "$dst/" \;
}

# must FILE PATTERN: fail unless the patched FILE holds PATTERN, so that an
# upstream change the seds no longer fit stops the script.
must() { grep -q -- "$2" "$1" || { echo "$1: patch did not apply ($2)" >&2; exit 1; }; }

# readme DIR MODULE VERSION WHAT: write DIR/PATCHED.md.
readme() {
	cat >"$ROOT/third_party/$1/PATCHED.md" <<MD
# $2 $3, initialised on first use

This is $2 $3 (see the licence files here) without its tests, examples and code
generators, with one change made by scripts/vendor-lazy-init.sh: $4 is built the first time it is
read instead of in a package initialiser, so that commands which never extract an article
(\`digest version\`, \`digest healthcheck\`) do not pay for it. go.mod points the module here with a
replace directive. To update: change the version in go.mod and in the script, and run it.
MD
}

GOMOJI=v1.2.0
vendor github.com/forPelevin/gomoji "$GOMOJI" gomoji
G="$ROOT/third_party/gomoji"
sed -i -e 's/^package gomoji$/&\n\nimport "sync"/' \
	-e 's/^	emojiMap = map\[string\]Emoji{$/	emojiMap = sync.OnceValue(func() map[string]Emoji {\n		return map[string]Emoji{/' \
	-e 's/^	}$/	}\n	})/' "$G/data.go"
must "$G/data.go" 'emojiMap = sync.OnceValue'
sed -i -e 's/emojiMap\[/emojiMap()[/g' -e 's/emojiMapToSlice(emojiMap)/emojiMapToSlice(emojiMap())/' "$G/gomoji.go"
must "$G/gomoji.go" 'emojiMapToSlice(emojiMap())'
readme gomoji github.com/forPelevin/gomoji "$GOMOJI" "the emoji map (emojiMap)"

DOMDISTILLER=v0.0.0-20240926050704-25b8d046ffb4
vendor github.com/markusmobius/go-domdistiller "$DOMDISTILLER" go-domdistiller
W="$ROOT/third_party/go-domdistiller/internal/stringutil/word-counter.go"
sed -i -e 's/^	\(rtMatcher[0-9]\) = \(createRangeTable(.*)\)$/	\1 = sync.OnceValue(func() *unicode.RangeTable { return \2 })/' \
	-e 's/\(rtMatcher[0-9]\)\([,)]\)/\1()\2/g' -e 's/^	"strings"$/&\n	"sync"/' "$W"
[ "$(grep -c 'rtMatcher[0-9] = sync.OnceValue' "$W")" = 3 ] || { echo "$W: patch did not apply" >&2; exit 1; }
readme go-domdistiller github.com/markusmobius/go-domdistiller "$DOMDISTILLER" \
	"each of the word counter's Unicode range tables (internal/stringutil)"

# The whole copies are gofmt-ed: the repository keeps every Go file formatted.
gofmt -w "$G" "$ROOT/third_party/go-domdistiller"
echo "third_party/gomoji ($GOMOJI) and third_party/go-domdistiller ($DOMDISTILLER): tables made lazy"
