// Command lazyregexp rewrites the package-level regular expressions of a
// vendored library so that each is compiled on first use instead of in the
// package initialiser (scripts/vendor-lazy-init.sh runs it on the copies in
// third_party).
//
// A package-level
//
//	var rxFoo = regexp.MustCompile(`...`)
//
// (or a call of one of the package's own functions that return a
// *regexp.Regexp, such as go-htmldate's compileRegexF) becomes
//
//	var rxFoo = &lazyRegexp{compile: func() *regexp.Regexp { return regexp.MustCompile(`...`) }}
//
// A composite literal of a function without captures is initialised
// statically: the package keeps no initialiser code for it and allocates
// nothing before main. lazyRegexp (written to lazyregexp.go in each package
// changed) has every method of *regexp.Regexp, each compiling the
// expression once (sync.Once) and calling the method of the same name, so
// the library's method calls compile unchanged; any other use of the
// variable (an argument, an assignment, a field of a literal) becomes
// rxFoo.get(), the *regexp.Regexp itself, compiled at that point.
// Expressions built inside functions, or inside other package-level values,
// are left as they are.
//
// Usage: go run ./scripts/lazyregexp DIR...   (every package under each DIR)
//
// It prints each file changed with the number of expressions made lazy.
package main

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lazyregexp DIR...")
		os.Exit(2)
	}
	for _, root := range os.Args[1:] {
		if err := rewriteTree(root); err != nil {
			fmt.Fprintln(os.Stderr, "lazyregexp:", err)
			os.Exit(1)
		}
	}
}

// rewriteTree rewrites every package directory under root.
func rewriteTree(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		if err := rewriteDir(dir); err != nil {
			return err
		}
	}
	return nil
}

// rewriteDir rewrites the non-test Go files of one package directory and,
// if any expression was made lazy, writes lazyregexp.go beside them.
func rewriteDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type file struct {
		path string
		src  []byte
		ast  *ast.File
	}
	fset := token.NewFileSet()
	var files []file
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		path := filepath.Join(dir, name)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, path, src, parser.ParseComments)
		if err != nil {
			return err
		}
		files = append(files, file{path, src, f})
	}
	// The package's own functions that return a *regexp.Regexp, by name.
	helpers := map[string]bool{}
	for _, f := range files {
		re := regexpImport(f.ast)
		for _, d := range f.ast.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && re != "" && returnsRegexp(fd.Type, re) {
				helpers[fd.Name.Name] = true
			}
		}
	}
	// The package-level variables made lazy, by name: first pass.
	lazy := map[string]bool{}
	for _, f := range files {
		if f.ast.Scope.Lookup("lazyRegexp") != nil {
			return fmt.Errorf("%s: declares lazyRegexp already", f.path)
		}
		if re := regexpImport(f.ast); re != "" {
			eachLazy(f.ast, re, helpers, func(name *ast.Ident, _ ast.Expr) { lazy[name.Name] = true })
		}
	}
	if len(lazy) == 0 {
		return nil
	}
	pkg, changed := "", 0
	for _, f := range files {
		out, n, ok := rewriteFile(fset, f.src, f.ast, regexpImport(f.ast), helpers, lazy)
		if !ok {
			continue
		}
		formatted, err := format.Source(out)
		if err != nil {
			return fmt.Errorf("%s: rewritten source does not parse: %v", f.path, err)
		}
		if err := os.WriteFile(f.path, formatted, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d\n", f.path, n)
		pkg, changed = f.ast.Name.Name, changed+n
	}
	if changed == 0 {
		return nil
	}
	src, err := format.Source([]byte(strings.Replace(lazyRegexpGo, "package x", "package "+pkg, 1)))
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "lazyregexp.go"), src, 0o644)
}

// regexpImport is the name under which f imports regexp, or "".
func regexpImport(f *ast.File) string {
	for _, imp := range f.Imports {
		if p, _ := strconv.Unquote(imp.Path.Value); p == "regexp" {
			if imp.Name != nil {
				if imp.Name.Name == "_" || imp.Name.Name == "." {
					return ""
				}
				return imp.Name.Name
			}
			return "regexp"
		}
	}
	return ""
}

// returnsRegexp reports whether ft has exactly one result, a *re.Regexp.
func returnsRegexp(ft *ast.FuncType, re string) bool {
	if ft.Results == nil || len(ft.Results.List) != 1 || len(ft.Results.List[0].Names) > 1 {
		return false
	}
	return isRegexpPtr(ft.Results.List[0].Type, re)
}

func isRegexpPtr(e ast.Expr, re string) bool {
	star, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	sel, ok := star.X.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	x, ok := sel.X.(*ast.Ident)
	return ok && x.Name == re && sel.Sel.Name == "Regexp"
}

// compiles reports whether e is a call of re.MustCompile or of a helper.
func compiles(e ast.Expr, re string, helpers map[string]bool) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	switch fun := call.Fun.(type) {
	case *ast.SelectorExpr:
		x, ok := fun.X.(*ast.Ident)
		return ok && x.Name == re && fun.Sel.Name == "MustCompile"
	case *ast.Ident:
		return helpers[fun.Name]
	}
	return false
}

// eachLazy calls fn with each package-level variable of f that is made
// lazy and the expression that compiles it. A spec with a type other than
// *regexp.Regexp, or with values some of which are not compiled
// expressions and a type, is left alone.
func eachLazy(f *ast.File, re string, helpers map[string]bool, fn func(name *ast.Ident, value ast.Expr)) {
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.VAR {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Values) != len(vs.Names) {
				continue
			}
			if vs.Type != nil && !isRegexpPtr(vs.Type, re) {
				continue
			}
			if vs.Type != nil && !slices.ContainsFunc(vs.Values, func(v ast.Expr) bool { return compiles(v, re, helpers) }) {
				continue
			}
			if vs.Type != nil && slices.ContainsFunc(vs.Values, func(v ast.Expr) bool { return !compiles(v, re, helpers) }) {
				continue // mixed: leave the spec as it was
			}
			for i, v := range vs.Values {
				if compiles(v, re, helpers) {
					fn(vs.Names[i], v)
				}
			}
		}
	}
}

// rewriteFile returns src with its package-level regular expressions
// wrapped and the uses of the lazy variables (lazy, package-wide) other
// than method calls turned into calls of get, how many expressions it
// wrapped, and whether it changed anything.
func rewriteFile(fset *token.FileSet, src []byte, f *ast.File, re string, helpers, lazy map[string]bool) (out []byte, wrapped int, changed bool) {
	type edit struct {
		at   int
		text string
		cut  int // bytes of src replaced at at
	}
	var edits []edit
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	n := 0
	declared := map[*ast.Ident]bool{}
	if re != "" {
		typed := map[*ast.ValueSpec]bool{}
		eachLazy(f, re, helpers, func(name *ast.Ident, v ast.Expr) {
			declared[name] = true
			edits = append(edits,
				edit{at: off(v.Pos()), text: "&lazyRegexp{compile: func() *" + re + ".Regexp { return "},
				edit{at: off(v.End()), text: " }}"})
			n++
			if vs, ok := name.Obj.Decl.(*ast.ValueSpec); ok && vs.Type != nil && !typed[vs] {
				typed[vs] = true
				edits = append(edits, edit{at: off(vs.Type.Pos()), text: "*lazyRegexp", cut: off(vs.Type.End()) - off(vs.Type.Pos())})
			}
		})
	}
	// Uses: an identifier named like a lazy variable that resolves to it
	// (declared at package level in this file, or unresolved: in another
	// file of the package) and is not the X of a selector (a method call)
	// nor a field name.
	var stack []ast.Node
	ast.Inspect(f, func(node ast.Node) bool {
		if node == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		parent := ast.Node(nil)
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		stack = append(stack, node)
		id, ok := node.(*ast.Ident)
		if !ok || !lazy[id.Name] || declared[id] {
			return true
		}
		if id.Obj != nil {
			vs, ok := id.Obj.Decl.(*ast.ValueSpec)
			if !ok || id.Obj.Kind != ast.Var || !slices.ContainsFunc(vs.Names, func(n *ast.Ident) bool { return declared[n] }) {
				return true // a local, or something else of that name
			}
		}
		switch p := parent.(type) {
		case *ast.SelectorExpr:
			if p.Sel == id || p.X == id {
				return true // a field or method of it, or a method call on it
			}
		case *ast.KeyValueExpr:
			if p.Key == id {
				return true
			}
		case *ast.Field, *ast.FuncDecl:
			return true // a field, parameter or function of that name
		case *ast.ValueSpec:
			if slices.Contains(p.Names, id) {
				return true
			}
		case *ast.AssignStmt:
			if p.Tok == token.DEFINE && slices.Contains(p.Lhs, ast.Expr(id)) {
				return true
			}
		}
		edits = append(edits, edit{at: off(id.End()), text: ".get()"})
		return true
	})
	if len(edits) == 0 {
		return src, 0, false
	}
	slices.SortStableFunc(edits, func(a, b edit) int { return a.at - b.at })
	var b bytes.Buffer
	last := 0
	for _, e := range edits {
		b.Write(src[last:e.at])
		b.WriteString(e.text)
		last = e.at + e.cut
	}
	b.Write(src[last:])
	return b.Bytes(), n, true
}

// lazyRegexpGo is the file written beside the rewritten ones.
const lazyRegexpGo = `// Code generated by scripts/lazyregexp in github.com/tradedigest/tradedigest; DO NOT EDIT.

package x

import (
	"io"
	"regexp"
	"sync"
)

// lazyRegexp is a package-level regular expression compiled the first time
// it is used instead of in the package initialiser. Its methods are those
// of *regexp.Regexp.
type lazyRegexp struct {
	compile func() *regexp.Regexp
	once    sync.Once
	re      *regexp.Regexp
}

func (l *lazyRegexp) get() *regexp.Regexp {
	l.once.Do(func() { l.re = l.compile() })
	return l.re
}

func (l *lazyRegexp) AppendText(b []byte) ([]byte, error) { return l.get().AppendText(b) }
func (l *lazyRegexp) Copy() *regexp.Regexp                { return l.get().Copy() }
func (l *lazyRegexp) Expand(dst []byte, template []byte, src []byte, match []int) []byte {
	return l.get().Expand(dst, template, src, match)
}
func (l *lazyRegexp) ExpandString(dst []byte, template string, src string, match []int) []byte {
	return l.get().ExpandString(dst, template, src, match)
}
func (l *lazyRegexp) Find(b []byte) []byte                 { return l.get().Find(b) }
func (l *lazyRegexp) FindAll(b []byte, n int) [][]byte     { return l.get().FindAll(b, n) }
func (l *lazyRegexp) FindAllIndex(b []byte, n int) [][]int { return l.get().FindAllIndex(b, n) }
func (l *lazyRegexp) FindAllString(s string, n int) []string {
	return l.get().FindAllString(s, n)
}
func (l *lazyRegexp) FindAllStringIndex(s string, n int) [][]int {
	return l.get().FindAllStringIndex(s, n)
}
func (l *lazyRegexp) FindAllStringSubmatch(s string, n int) [][]string {
	return l.get().FindAllStringSubmatch(s, n)
}
func (l *lazyRegexp) FindAllStringSubmatchIndex(s string, n int) [][]int {
	return l.get().FindAllStringSubmatchIndex(s, n)
}
func (l *lazyRegexp) FindAllSubmatch(b []byte, n int) [][][]byte {
	return l.get().FindAllSubmatch(b, n)
}
func (l *lazyRegexp) FindAllSubmatchIndex(b []byte, n int) [][]int {
	return l.get().FindAllSubmatchIndex(b, n)
}
func (l *lazyRegexp) FindIndex(b []byte) []int               { return l.get().FindIndex(b) }
func (l *lazyRegexp) FindReaderIndex(r io.RuneReader) []int  { return l.get().FindReaderIndex(r) }
func (l *lazyRegexp) FindReaderSubmatchIndex(r io.RuneReader) []int {
	return l.get().FindReaderSubmatchIndex(r)
}
func (l *lazyRegexp) FindString(s string) string             { return l.get().FindString(s) }
func (l *lazyRegexp) FindStringIndex(s string) []int         { return l.get().FindStringIndex(s) }
func (l *lazyRegexp) FindStringSubmatch(s string) []string   { return l.get().FindStringSubmatch(s) }
func (l *lazyRegexp) FindStringSubmatchIndex(s string) []int { return l.get().FindStringSubmatchIndex(s) }
func (l *lazyRegexp) FindSubmatch(b []byte) [][]byte         { return l.get().FindSubmatch(b) }
func (l *lazyRegexp) FindSubmatchIndex(b []byte) []int       { return l.get().FindSubmatchIndex(b) }
func (l *lazyRegexp) LiteralPrefix() (string, bool)          { return l.get().LiteralPrefix() }
func (l *lazyRegexp) Longest()                               { l.get().Longest() }
func (l *lazyRegexp) MarshalText() ([]byte, error)           { return l.get().MarshalText() }
func (l *lazyRegexp) Match(b []byte) bool                    { return l.get().Match(b) }
func (l *lazyRegexp) MatchReader(r io.RuneReader) bool       { return l.get().MatchReader(r) }
func (l *lazyRegexp) MatchString(s string) bool              { return l.get().MatchString(s) }
func (l *lazyRegexp) NumSubexp() int                         { return l.get().NumSubexp() }
func (l *lazyRegexp) ReplaceAll(src, repl []byte) []byte     { return l.get().ReplaceAll(src, repl) }
func (l *lazyRegexp) ReplaceAllFunc(src []byte, repl func([]byte) []byte) []byte {
	return l.get().ReplaceAllFunc(src, repl)
}
func (l *lazyRegexp) ReplaceAllLiteral(src, repl []byte) []byte {
	return l.get().ReplaceAllLiteral(src, repl)
}
func (l *lazyRegexp) ReplaceAllLiteralString(src, repl string) string {
	return l.get().ReplaceAllLiteralString(src, repl)
}
func (l *lazyRegexp) ReplaceAllString(src, repl string) string {
	return l.get().ReplaceAllString(src, repl)
}
func (l *lazyRegexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return l.get().ReplaceAllStringFunc(src, repl)
}
func (l *lazyRegexp) Split(s string, n int) []string   { return l.get().Split(s, n) }
func (l *lazyRegexp) String() string                   { return l.get().String() }
func (l *lazyRegexp) SubexpIndex(name string) int      { return l.get().SubexpIndex(name) }
func (l *lazyRegexp) SubexpNames() []string            { return l.get().SubexpNames() }
`
