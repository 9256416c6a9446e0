#!/usr/bin/env bash
# Rebuild third_party/gomoji, third_party/go-domdistiller and
# third_party/whatlanggo: the libraries (the first two linked through
# go-trafilatura, the third by digest/feed) with the tables they built in
# package initialisers built on first use instead.
#
# Every process that links them paid for those tables before main, though
# only a gather ever reads them: gomoji's map of 4,700 emojis (0.98 MB
# allocated) and go-domdistiller's three Unicode range tables, built by
# listing every rune of their ranges (1.7 MB), are read by full-text
# extraction; whatlanggo's trigram profiles of 84 languages (0.35 MB) by
# language detection. With them (and our own packages' regular
# expressions, internal/lazyre) made lazy, `digest version` allocates
# under the runtime's first GC goal before main. The patch is mechanical:
# each table becomes a function that builds it once (sync.OnceValue, or
# sync.Once where the module's go.mod predates generics) and each read a
# call; nothing else changes. go.mod points the modules here with replace
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

WHATLANGGO=v0.0.0-20240916001553-aac1f0f737fc
vendor github.com/RadhiFadlillah/whatlanggo "$WHATLANGGO" whatlanggo
L="$ROOT/third_party/whatlanggo"
# Its go.mod says go 1.12: no generics, so a sync.Once in a helper.
PROFILES='latinLangs\|cyrillicLangs\|arabicLangs\|devanagariLangs\|ethiopicLangs\|hebrewLangs'
sed -i -e "s/^var \($PROFILES\) = langProfileList{\$/var \1 = lazyProfiles(func() langProfileList {\n\treturn langProfileList{/" \
	-e "/^var \($PROFILES\) = lazyProfiles/,/^}\$/ s/^}\$/}\n})/" "$L/lang.go"
[ "$(grep -c '= lazyProfiles(' "$L/lang.go")" = 6 ] || { echo "$L/lang.go: patch did not apply" >&2; exit 1; }
cat >>"$L/lang.go" <<'GO'

// lazyProfiles returns a function that builds a profile list on its first
// call and returns the same list on every call.
func lazyProfiles(build func() langProfileList) func() langProfileList {
	var once sync.Once
	var l langProfileList
	return func() langProfileList {
		once.Do(func() { l = build() })
		return l
	}
}
GO
sed -i 's/^package whatlanggo$/&\n\nimport "sync"/' "$L/lang.go"
sed -i "s/options, \($PROFILES\))/options, \1())/" "$L/detect.go"
[ "$(grep -c 'Langs())' "$L/detect.go")" = 6 ] || { echo "$L/detect.go: patch did not apply" >&2; exit 1; }
readme whatlanggo github.com/RadhiFadlillah/whatlanggo "$WHATLANGGO" \
	"each script's list of trigram profiles (latinLangs and the five others)"

# The whole copies are gofmt-ed: the repository keeps every Go file formatted.
gofmt -w "$G" "$ROOT/third_party/go-domdistiller" "$L"
echo "third_party/gomoji ($GOMOJI), third_party/go-domdistiller ($DOMDISTILLER) and" \
	"third_party/whatlanggo ($WHATLANGGO): tables made lazy"
