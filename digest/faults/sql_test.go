package faults

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sqlSinks are the database/sql methods whose argument at the given index
// is SQL text.
var sqlSinks = map[string]int{
	"ExecContext": 1, "QueryContext": 1, "QueryRowContext": 1, "PrepareContext": 1,
	"Exec": 0, "Query": 0, "QueryRow": 0, "Prepare": 0,
}

// sqlPassThrough are calls whose result is SQL text made only from their
// argument: the store's placeholder rebinding (db.q turns ? into $n for
// Postgres; db.chunkQuery does the same without caching, for batch
// statements whose text varies with the batch's length) and the
// migrations' dialect token replacer (a strings.Replacer built from
// constant pairs), and the store's valueRows, which repeats its first
// argument (a row of placeholders) a number of times.
var sqlPassThrough = map[string]int{"q": 0, "chunkQuery": 0, "Replace": 0, "valueRows": 0}

// sqlAllowed are the non-constant SQL arguments known to be safe, by
// function and expression, each with the reason.
var sqlAllowed = map[string]string{
	// The migration's text is read from migrations/*.sql embedded in the
	// binary (go:embed): code, not input.
	"applyMigration: m.sql": "embedded migration file",
}

// sqlFinding is a query argument built from something that is not constant.
type sqlFinding struct {
	Pos  string
	Expr string
}

// sqlChecker decides, without type information, whether each SQL argument
// in a package is made only of constants. It follows local variables to
// their assignments, strings.Builder values to their WriteString calls,
// fields of range variables to the package-level table ranged over, and
// function parameters to every call site of the function (so helpers such
// as execOne and queryAll are checked where they are called).
type sqlChecker struct {
	fset     *token.FileSet
	files    []*ast.File
	consts   map[string]bool
	tables   map[string]ast.Expr // package-level vars with their initializers
	funcs    map[string]*ast.FuncDecl
	helpers  map[string]int // function name → index of its SQL parameter
	findings []sqlFinding
	visiting map[string]bool // local variables being resolved (self-assignment)
}

func newSQLChecker(fset *token.FileSet, files []*ast.File) *sqlChecker {
	c := &sqlChecker{fset: fset, files: files, consts: map[string]bool{}, tables: map[string]ast.Expr{},
		funcs: map[string]*ast.FuncDecl{}, helpers: map[string]int{}, visiting: map[string]bool{}}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					vs, ok := s.(*ast.ValueSpec)
					if !ok {
						continue
					}
					for i, n := range vs.Names {
						switch {
						case d.Tok == token.CONST:
							c.consts[n.Name] = true
						case i < len(vs.Values):
							c.tables[n.Name] = vs.Values[i]
						}
					}
				}
			case *ast.FuncDecl:
				c.funcs[d.Name.Name] = d
			}
		}
	}
	return c
}

// run checks every sink call, adding helpers whose parameter reaches a sink
// until no new helper appears.
func (c *sqlChecker) run() []sqlFinding {
	for {
		c.findings = nil
		before := len(c.helpers)
		for _, fn := range c.funcs {
			if fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				idx, ok := c.sinkIndex(call)
				if !ok || idx >= len(call.Args) {
					return true
				}
				if call.Ellipsis.IsValid() && idx == len(call.Args)-1 {
					// stmt.ExecContext(ctx, args...): a prepared statement's
					// call carries no SQL text; its text was checked at
					// Prepare.
					return true
				}
				arg := call.Args[idx]
				if param, ok := c.safe(fn, arg, 0); !ok {
					c.findings = append(c.findings, sqlFinding{c.fset.Position(arg.Pos()).String(), exprString(c.fset, arg)})
				} else if param >= 0 {
					// Only unexported helpers may take SQL text: their callers
					// are in this package and get checked. An exported
					// function's parameter comes from outside.
					if reachable(fn) {
						c.findings = append(c.findings, sqlFinding{c.fset.Position(arg.Pos()).String(), "parameter of exported " + fn.Name.Name + ": " + exprString(c.fset, arg)})
					} else {
						c.helpers[fn.Name.Name] = param
					}
				}
				return true
			})
		}
		if len(c.helpers) == before {
			break
		}
	}
	sort.Slice(c.findings, func(i, j int) bool { return c.findings[i].Pos < c.findings[j].Pos })
	return c.findings
}

func (c *sqlChecker) sinkIndex(call *ast.CallExpr) (int, bool) {
	switch f := call.Fun.(type) {
	case *ast.SelectorExpr:
		if i, ok := sqlSinks[f.Sel.Name]; ok {
			return i, true
		}
		if i, ok := c.helpers[f.Sel.Name]; ok {
			return i, true
		}
	case *ast.Ident:
		if i, ok := c.helpers[f.Name]; ok {
			return i, true
		}
	case *ast.IndexExpr: // generic helper: queryAll[T](...)
		if id, ok := f.X.(*ast.Ident); ok {
			if i, ok := c.helpers[id.Name]; ok {
				return i, true
			}
		}
	}
	return 0, false
}

// safe reports whether e is built from constants only. param is the index
// of fn's parameter that e is (or is built from), -1 when none: the caller
// then checks fn's call sites instead.
func (c *sqlChecker) safe(fn *ast.FuncDecl, e ast.Expr, depth int) (param int, ok bool) {
	if depth > 8 {
		return -1, false
	}
	if _, ok := sqlAllowed[fn.Name.Name+": "+exprString(c.fset, e)]; ok {
		return -1, true
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		return -1, e.Kind == token.STRING
	case *ast.ParenExpr:
		return c.safe(fn, e.X, depth+1)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return -1, false
		}
		p1, ok1 := c.safe(fn, e.X, depth+1)
		p2, ok2 := c.safe(fn, e.Y, depth+1)
		return max(p1, p2), ok1 && ok2
	case *ast.Ident:
		if c.consts[e.Name] {
			return -1, true
		}
		if i := paramIndex(fn, e.Name); i >= 0 {
			return i, true
		}
		return c.local(fn, e.Name, depth)
	case *ast.SelectorExpr:
		// A field of a range variable over a package-level table of
		// literals, such as inv.where in `for _, inv := range invariants`.
		if id, ok := e.X.(*ast.Ident); ok {
			if tbl := rangeTable(fn, id.Name); tbl != "" {
				return -1, c.literalTable(tbl)
			}
		}
		return -1, false
	case *ast.CallExpr:
		switch f := e.Fun.(type) {
		case *ast.SelectorExpr:
			// A number formatted in decimal cannot leave its place in the
			// statement, whatever its value (LIMIT 10).
			if x, ok := f.X.(*ast.Ident); ok && x.Name == "strconv" && (f.Sel.Name == "Itoa" || f.Sel.Name == "FormatInt") {
				return -1, true
			}
			// strings.ReplaceAll of constants by constants is constant text
			// (a column list given a table alias).
			if x, ok := f.X.(*ast.Ident); ok && x.Name == "strings" && f.Sel.Name == "ReplaceAll" && len(e.Args) == 3 {
				for _, a := range e.Args {
					if i, ok := c.safe(fn, a, depth+1); !ok || i >= 0 {
						return -1, false
					}
				}
				return -1, true
			}
			if i, ok := sqlPassThrough[f.Sel.Name]; ok && i < len(e.Args) {
				return c.safe(fn, e.Args[i], depth+1)
			}
			// b.String() of a strings.Builder: safe when every WriteString
			// to b is.
			if id, ok := f.X.(*ast.Ident); ok && f.Sel.Name == "String" && len(e.Args) == 0 {
				return c.builder(fn, id.Name, depth)
			}
		case *ast.Ident:
			if i, ok := sqlPassThrough[f.Name]; ok && i < len(e.Args) {
				return c.safe(fn, e.Args[i], depth+1)
			}
		}
		// A call of the package's own statement builder (a function
		// that returns the text of a statement, such as one for n rows):
		// safe when every text it returns is built from constants.
		if b := c.calledFunc(e); b != nil {
			return -1, c.built(b)
		}
		return -1, false // fmt.Sprintf and any other call
	}
	return -1, false
}

// calledFunc returns the declaration of the package's function or method
// that call calls (by name, as helpers are found), nil when there is none.
func (c *sqlChecker) calledFunc(call *ast.CallExpr) *ast.FuncDecl {
	switch f := call.Fun.(type) {
	case *ast.Ident:
		return c.funcs[f.Name]
	case *ast.SelectorExpr:
		return c.funcs[f.Sel.Name]
	}
	return nil
}

// built reports whether every first result that fn returns (its own
// function literals aside) is built from constants, not from its
// parameters. A builder that is being checked already (one that calls
// itself) is left to its other returns.
func (c *sqlChecker) built(fn *ast.FuncDecl) bool {
	key := "func " + fn.Name.Name
	if c.visiting[key] {
		return true
	}
	if fn.Body == nil {
		return false
	}
	c.visiting[key] = true
	defer delete(c.visiting, key)
	found, ok := false, true
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			if len(n.Results) == 0 {
				ok = false
				return false
			}
			found = true
			if p, s := c.safe(fn, n.Results[0], 0); !s || p >= 0 {
				ok = false
			}
		}
		return true
	})
	return found && ok
}

// local checks every assignment to the local variable name in fn.
func (c *sqlChecker) local(fn *ast.FuncDecl, name string, depth int) (int, bool) {
	key := fn.Name.Name + "." + name
	if c.visiting[key] {
		// query = query + "..." : the other assignments decide.
		return -1, true
	}
	c.visiting[key] = true
	defer delete(c.visiting, key)
	found, ok, param := false, true, -1
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if id, isID := l.(*ast.Ident); isID && id.Name == name && i < len(n.Rhs) && len(n.Lhs) == len(n.Rhs) {
					found = true
					p, s := c.safe(fn, n.Rhs[i], depth+1)
					ok = ok && s
					param = max(param, p)
				}
			}
		case *ast.ValueSpec:
			for i, id := range n.Names {
				if id.Name == name && i < len(n.Values) {
					found = true
					p, s := c.safe(fn, n.Values[i], depth+1)
					ok = ok && s
					param = max(param, p)
				}
			}
		}
		return true
	})
	return param, found && ok
}

// builder checks every b.WriteString(x) in fn.
func (c *sqlChecker) builder(fn *ast.FuncDecl, name string, depth int) (int, bool) {
	found, ok, param := false, true, -1
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		call, isCall := n.(*ast.CallExpr)
		if !isCall {
			return true
		}
		sel, isSel := call.Fun.(*ast.SelectorExpr)
		if !isSel {
			return true
		}
		if id, isID := sel.X.(*ast.Ident); isID && id.Name == name {
			switch sel.Sel.Name {
			case "WriteString":
				found = true
				p, s := c.safe(fn, call.Args[0], depth+1)
				ok = ok && s
				param = max(param, p)
			case "Write", "WriteByte", "WriteRune":
				ok = false
			}
		}
		return true
	})
	return param, found && ok
}

// literalTable reports whether the package-level var tbl is initialised by
// composite literals whose leaves are literals, constants or bools.
func (c *sqlChecker) literalTable(tbl string) bool {
	init, ok := c.tables[tbl]
	if !ok {
		return false
	}
	good := true
	ast.Inspect(init, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr, *ast.FuncLit, *ast.BinaryExpr:
			good = false
		case *ast.KeyValueExpr:
			if v, isID := n.Value.(*ast.Ident); isID && !c.consts[v.Name] && v.Name != "true" && v.Name != "false" {
				good = false
			}
			return good
		}
		return good
	})
	return good
}

// reachable reports whether code outside the package can call fn: an
// exported function, or an exported method of an exported type. (A
// querier wrapper such as the store's statement cache has exported
// method names on an unexported type.)
func reachable(fn *ast.FuncDecl) bool {
	if !fn.Name.IsExported() {
		return false
	}
	if fn.Recv == nil || len(fn.Recv.List) == 0 {
		return true
	}
	t := fn.Recv.List[0].Type
	if st, ok := t.(*ast.StarExpr); ok {
		t = st.X
	}
	if ix, ok := t.(*ast.IndexExpr); ok {
		t = ix.X
	}
	id, ok := t.(*ast.Ident)
	return !ok || id.IsExported()
}

func paramIndex(fn *ast.FuncDecl, name string) int {
	i := 0
	if fn.Type.Params == nil {
		return -1
	}
	for _, f := range fn.Type.Params.List {
		if len(f.Names) == 0 {
			i++
			continue
		}
		for _, n := range f.Names {
			if n.Name == name {
				return i
			}
			i++
		}
	}
	return -1
}

// rangeTable returns the package-level identifier that fn ranges over with
// value variable name, or "".
func rangeTable(fn *ast.FuncDecl, name string) string {
	var tbl string
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		if r, ok := n.(*ast.RangeStmt); ok {
			if v, ok := r.Value.(*ast.Ident); ok && v.Name == name {
				if x, ok := r.X.(*ast.Ident); ok {
					tbl = x.Name
				}
			}
		}
		return true
	})
	return tbl
}

func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	printer.Fprint(&b, fset, e)
	s := b.String()
	if len(s) > 200 {
		s = s[:200]
	}
	return strings.Join(strings.Fields(s), " ")
}

func parseDir(t *testing.T, dir string) (*token.FileSet, []*ast.File) {
	t.Helper()
	fset := token.NewFileSet()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		files = append(files, f)
	}
	return fset, files
}

// TestSQLParameterised parses digest/store and fails on any SQL argument
// that is not built from constants: values must travel as arguments, never
// in the query text.
func TestSQLParameterised(t *testing.T) {
	fset, files := parseDir(t, filepath.Join(modRoot, "digest", "store"))
	if len(files) == 0 {
		t.Fatal("no Go files in digest/store")
	}
	c := newSQLChecker(fset, files)
	for _, f := range c.run() {
		t.Errorf("%s: SQL built from a non-constant value: %s", f.Pos, f.Expr)
	}
	names := make([]string, 0, len(c.helpers))
	for n := range c.helpers {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("helpers whose SQL parameter is checked at every call site: %v", names)
}

// TestSQLChecker_Flags shows the checker catches what it is for, so that a
// clean result on the store means something.
func TestSQLChecker_Flags(t *testing.T) {
	src := `package p
import ("context"; "database/sql"; "fmt"; "strings")
const cols = "id, email"
var table = []struct{ where string }{{where: "a = 1"}}
func good(ctx context.Context, db *sql.DB, id int64) {
	db.QueryRowContext(ctx, "SELECT "+cols+" FROM t WHERE id = ?", id)
	for _, r := range table { db.QueryContext(ctx, "SELECT 1 WHERE "+r.where) }
	var b strings.Builder
	b.WriteString("SELECT 1")
	db.QueryContext(ctx, b.String()); db.QueryContext(ctx, "SELECT "+strings.ReplaceAll(cols, ", ", ", s.")+" FROM t s")
	run(ctx, db, "DELETE FROM t WHERE id = ?", id)
}
func run(ctx context.Context, db *sql.DB, query string, args ...any) { db.ExecContext(ctx, query, args...) }
func bad1(ctx context.Context, db *sql.DB, email string) { db.QueryContext(ctx, fmt.Sprintf("SELECT * FROM t WHERE email = '%s'", email)) }
func Bad2(ctx context.Context, db *sql.DB, email string) { q := "SELECT * FROM t WHERE email = '" + email + "'"; db.QueryRowContext(ctx, q) }
func Bad3(ctx context.Context, db *sql.DB, name string) { run(ctx, db, "DROP TABLE "+name) }
func Bad4(ctx context.Context, db *sql.DB, name string) { var b strings.Builder; b.WriteString(name); db.ExecContext(ctx, b.String()) }
func where(ctx context.Context, db *sql.DB, cond string) { db.QueryContext(ctx, "SELECT 1 WHERE "+cond) }
func Caller(ctx context.Context, db *sql.DB, email string) { where(ctx, db, "email = '"+email+"'"); where(ctx, db, "id = 1") }
type cache struct{ db *sql.DB }
func (c *cache) ExecContext(ctx context.Context, query string, args ...any) { st, _ := c.db.PrepareContext(ctx, query); st.ExecContext(ctx, args...) }
type Store struct{ c *cache }
func (s *Store) Get(ctx context.Context, id int64) { s.c.ExecContext(ctx, "SELECT 1 WHERE id = ?", id) }
func (s *Store) Find(ctx context.Context, name string) { s.c.ExecContext(ctx, "SELECT 1 WHERE name = '"+name+"'") }
func Bad5(ctx context.Context, db *sql.DB, alias string) { db.QueryContext(ctx, "SELECT "+strings.ReplaceAll(cols, ", ", alias)) }
func valueRows(row string, n int) string { return strings.Repeat(row, n) }
func good2(ctx context.Context, db *sql.DB, n int) { db.QueryContext(ctx, "SELECT 1 WHERE id IN ("+valueRows("?", n)+")") }
func Bad6(ctx context.Context, db *sql.DB, name string) { db.QueryContext(ctx, "SELECT 1 WHERE id IN ("+valueRows(name, 2)+")") }
func rowsQuery(n int) string { if n > 1 { return "SELECT 1 WHERE id IN (" + valueRows("?", n) + ")" }; return "SELECT 1 WHERE id = ?" }
func good3(ctx context.Context, db *sql.DB, n int) { db.QueryContext(ctx, rowsQuery(n)) }
func nameQuery(name string) string { return "SELECT 1 WHERE name = '" + name + "'" }
func Bad7(ctx context.Context, db *sql.DB, name string) { db.QueryContext(ctx, nameQuery(name)) }
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := newSQLChecker(fset, []*ast.File{f}).run()
	lines := map[int]bool{}
	for _, x := range found {
		var line int
		fmt.Sscanf(x.Pos[strings.LastIndex(x.Pos[:strings.LastIndex(x.Pos, ":")], ":")+1:], "%d", &line)
		lines[line] = true
	}
	for _, want := range []int{14, 15, 16, 17, 19, 24, 25, 28, 32} {
		if !lines[want] {
			t.Errorf("line %d not flagged; findings: %v", want, found)
		}
	}
	if len(found) != 9 {
		t.Errorf("want exactly the 9 bad calls flagged, got %v", found)
	}
}
