# Sourced by the scripts that rebuild third_party (vendor-lazy-init.sh,
# vendor-gofeed.sh); ROOT is the repository's root.
#
# vendor MODULE VERSION DIR: copy the module's Go code (no tests, examples,
# generators or commands), go.mod and licence files into third_party/DIR,
# in place of what was there but its PATCHED.md.
vendor() {
	local mod=$1 version=$2 dst="$ROOT/third_party/$3" src
	src=$(cd "$ROOT" && GOFLAGS=-mod=mod go mod download -json "$mod@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
	[ -d "$src" ] || { echo "cannot download $mod $version" >&2; exit 1; }
	mkdir -p "$dst"
	find "$dst" -mindepth 1 -maxdepth 1 ! -name PATCHED.md -exec rm -rf {} +
	(cd "$src" && find . -name '*.go' ! -name '*_test.go' ! -path './scripts/*' ! -path './example/*' ! -path './examples/*' ! -path './cmd/*' -print0 |
		xargs -0 -I{} install -D -m 0644 {} "$dst/{}")
	install -m 0644 "$src/go.mod" "$dst/"
	find "$src" -maxdepth 1 \( -name 'LICENSE*' -o -name 'NOTICE*' \) -exec install -m 0644 {} "$dst/" \;
}
