// Command lazyvars rewrites named package-level variables of a vendored
// library so that each is built on first use instead of in the package
// initialiser (scripts/vendor-lazy-init.sh and scripts/vendor-dateparser.sh
// run it on the copies in third_party).
//
// A package-level map, slice or other value built by code (a map literal,
// a call) is built by the package's initialiser, and every process that
// links the package runs it before main: the allocation, and the pages of
// code and data the initialiser touches, count in `digest version`'s
// memory (issue 17). For each NAME given,
//
//	var NAME = EXPR
//
// becomes
//
//	var NAME = lazyValue[T]{build: func() T { return EXPR }}
//
// (an immediately called function literal, var NAME = func() T {...}(),
// gives its own body), which is static data: a composite literal of a
// function without captures needs no initialiser code. Every other use of
// NAME becomes NAME.get(), the value, built once (sync.Once) at its first
// use. An assignment NAME = v becomes *NAME.get() = v, so T must then be
// a pointer to v's type: go-htmldate's logger, a zerolog.Logger its
// init function set and Extract replaces, is first turned (by the
// vendoring script) into a function returning a pointer to it. lazyValue is written to lazyvalue.go in the package. T is the
// composite literal's type, or is given as NAME=T. A NAME declared as
// sync.OnceValue(func() T {...}) (an earlier patch) becomes a lazyValue
// of that function, and its calls NAME() become NAME.get(): a call of
// sync.OnceValue allocates, so it needs an initialiser.
//
// Usage: go run ./scripts/lazyvars DIR NAME[=TYPE]...   (one package)
//
// It prints each file changed with the number of edits, and fails if a
// NAME is not a package-level variable with one value.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

func main() {
	var err error
	switch args := os.Args[1:]; {
	case len(args) < 2:
		err = errors.New("usage: lazyvars DIR NAME[=TYPE] (one or more NAME)")
	default:
		err = run(args[0], args[1:])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lazyvars:", err)
		os.Exit(1)
	}
}

type edit struct {
	from, to int
	text     string
}

func run(dir string, args []string) error {
	types := map[string]string{}
	for _, a := range args {
		name, typ, _ := strings.Cut(a, "=")
		types[name] = typ
	}
	fset := token.NewFileSet()
	paths, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	files := map[string]*ast.File{} // the package's files but tests
	pkgName := ""
	for _, path := range paths {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		if pkgName != "" && f.Name.Name != pkgName {
			return fmt.Errorf("%s: packages %s and %s", dir, pkgName, f.Name.Name)
		}
		pkgName = f.Name.Name
		files[path] = f
	}
	if pkgName == "" {
		return fmt.Errorf("%s: no Go files", dir)
	}
	srcs := map[string][]byte{}
	edits := map[string][]edit{}
	specs := map[any]bool{} // the declarations rewritten
	names := map[*ast.Ident]bool{}
	found := map[string]bool{}
	onceValues := map[string]bool{} // declared with sync.OnceValue
	for fn, f := range files {
		src, err := os.ReadFile(fn)
		if err != nil {
			return err
		}
		srcs[fn] = src
		text := func(n ast.Node) string {
			return string(src[fset.Position(n.Pos()).Offset:fset.Position(n.End()).Offset])
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				typ, ok := types[vs.Names[0].Name]
				if !ok {
					continue
				}
				if len(vs.Names) != 1 || len(vs.Values) != 1 || vs.Type != nil {
					return fmt.Errorf("%s: %s is not declared alone with one value and no type", fset.Position(vs.Pos()), vs.Names[0].Name)
				}
				v := vs.Values[0]
				if fl := onceValueFunc(v); fl != nil && fl.Type.Results != nil && len(fl.Type.Results.List) == 1 {
					// var NAME = sync.OnceValue(func() T {...}): its calls NAME() become NAME.get().
					typ = text(fl.Type.Results)
					from, to := fset.Position(v.Pos()).Offset, fset.Position(v.End()).Offset
					edits[fn] = append(edits[fn], edit{from, to, "lazyValue[" + typ + "]{build: " + text(fl) + "}"})
					specs[vs] = true
					names[vs.Names[0]] = true
					found[vs.Names[0].Name] = true
					onceValues[vs.Names[0].Name] = true
					continue
				}
				if typ == "" {
					cl, ok := v.(*ast.CompositeLit)
					if !ok || cl.Type == nil {
						return fmt.Errorf("%s: give the type of %s", fset.Position(vs.Pos()), vs.Names[0].Name)
					}
					typ = text(cl.Type)
				}
				from, to := fset.Position(v.Pos()).Offset, fset.Position(v.End()).Offset
				build := "func() " + typ + " {\n\treturn " + text(v) + "\n}"
				if call, ok := v.(*ast.CallExpr); ok && len(call.Args) == 0 {
					if fl, ok := call.Fun.(*ast.FuncLit); ok && fl.Type.Results != nil && text(fl.Type.Results) == typ {
						build = text(fl) // var x = func() T {...}()
					}
				}
				edits[fn] = append(edits[fn], edit{from, to, "lazyValue[" + typ + "]{build: " + build + "}"})
				specs[vs] = true
				names[vs.Names[0]] = true
				found[vs.Names[0].Name] = true
			}
		}
	}
	for name := range types {
		if !found[name] {
			return fmt.Errorf("%s: no package-level var %s", dir, name)
		}
	}
	for fn, f := range files {
		skip := map[*ast.Ident]bool{}
		lhs := map[*ast.Ident]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok && onceValues[id.Name] && len(n.Args) == 0 && (id.Obj == nil || specs[id.Obj.Decl]) {
					edits[fn] = append(edits[fn], edit{fset.Position(n.Lparen).Offset, fset.Position(n.Rparen).Offset + 1, ".get()"})
					skip[id] = true
				}
			case *ast.SelectorExpr:
				skip[n.Sel] = true
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && !found[id.Name] {
					skip[id] = true
				}
			case *ast.AssignStmt:
				for _, e := range n.Lhs {
					if id, ok := e.(*ast.Ident); ok {
						lhs[id] = true
					}
				}
			case *ast.Ident:
				if !found[n.Name] || names[n] || skip[n] {
					return true
				}
				if n.Obj != nil && !specs[n.Obj.Decl] {
					return true // a local of the same name
				}
				at := fset.Position(n.Pos()).Offset
				end := fset.Position(n.End()).Offset
				if lhs[n] {
					edits[fn] = append(edits[fn], edit{at, end, "*" + n.Name + ".get()"})
				} else {
					edits[fn] = append(edits[fn], edit{end, end, ".get()"})
				}
			}
			return true
		})
	}
	changed := make([]string, 0, len(edits))
	for fn := range edits {
		changed = append(changed, fn)
	}
	sort.Strings(changed)
	for _, fn := range changed {
		es := edits[fn]
		sort.SliceStable(es, func(i, j int) bool { return es[i].from > es[j].from })
		src := srcs[fn]
		for _, e := range es {
			src = append(src[:e.from:e.from], append([]byte(e.text), src[e.to:]...)...)
		}
		src = dropUnusedSync(src)
		out, err := format.Source(src)
		if err != nil {
			return fmt.Errorf("%s: %w", fn, err)
		}
		if err := os.WriteFile(fn, out, 0o644); err != nil {
			return err
		}
		fmt.Printf("%s: %d\n", fn, len(es))
	}
	helper := fmt.Sprintf(lazyValueSource, pkgName)
	return os.WriteFile(filepath.Join(dir, "lazyvalue.go"), bytes.TrimLeft([]byte(helper), "\n"), 0o644)
}

// dropUnusedSync removes the import of sync from a file that no longer
// uses it (its sync.OnceValue calls replaced).
func dropUnusedSync(src []byte) []byte {
	if bytes.Contains(src, []byte("sync.")) {
		return src
	}
	src = bytes.Replace(src, []byte("\n\t\"sync\"\n"), []byte("\n"), 1)
	return bytes.Replace(src, []byte("\nimport \"sync\"\n"), []byte("\n"), 1)
}

// onceValueFunc returns f of sync.OnceValue(f), or nil.
func onceValueFunc(e ast.Expr) *ast.FuncLit {
	call, ok := e.(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return nil
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != "OnceValue" {
		return nil
	}
	if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "sync" {
		return nil
	}
	fl, _ := call.Args[0].(*ast.FuncLit)
	return fl
}

const lazyValueSource = `
// Code generated by scripts/lazyvars in github.com/tradedigest/tradedigest; DO NOT EDIT.

package %s

import "sync"

// lazyValue is a package-level value built the first time it is read
// instead of in the package initialiser.
type lazyValue[T any] struct {
	build func() T
	once  sync.Once
	v     T
}

func (l *lazyValue[T]) get() T {
	l.once.Do(func() { l.v = l.build() })
	return l.v
}
`
