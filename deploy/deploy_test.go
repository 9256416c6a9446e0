// Package deploy holds the deployment examples (compose.yaml at the module
// root, kubernetes.yaml and README.md here). No Docker engine or cluster is
// reachable in CI, so these tests check what can be checked statically: the
// files parse, name the settings the binary actually reads, keep secrets in
// files, and agree with the Dockerfile. .ci/container runs the image itself.
package deploy

import (
	"bytes"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// root is the module root, one level up from this package.
const root = ".."

func readFile(t *testing.T, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatalf("read %s: %v", rel, err)
	}
	return data
}

// yamlDocs decodes every document of a YAML stream into generic maps.
func yamlDocs(t *testing.T, rel string) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readFile(t, rel)))
	var docs []map[string]any
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("parse %s: %v", rel, err)
		}
		docs = append(docs, m)
	}
}

// at walks a path of map keys and list indexes; nil when absent.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func str(v any, path ...any) string {
	s, _ := at(v, path...).(string)
	return s
}

// knownEnv reports whether the binary reads an environment variable. It
// derives the names the way cmd/digest does: every key of Config as
// DIGEST_<SECTION>_<KEY> from its yaml tags, plus the DIGEST_*/OPENAI_*
// string literals there (aliases and secrets), and NAME_FILE for each
// secret read with readSecret.
// PG* variables are read by the PostgreSQL driver (pgx).
func knownEnv(t *testing.T) func(string) bool {
	t.Helper()
	fset := token.NewFileSet()
	structs := map[string]*ast.StructType{}
	names := map[string]bool{}
	literal := regexp.MustCompile(`^"((?:DIGEST|OPENAI)_[A-Z0-9_]+)"$`)
	files, _ := filepath.Glob(filepath.Join(root, "cmd/digest/*.go"))
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatalf("parse %s: %v", path, err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if st, ok := n.Type.(*ast.StructType); ok {
					structs[n.Name.Name] = st
				}
			case *ast.BasicLit:
				if m := literal.FindStringSubmatch(n.Value); m != nil {
					names[m[1]] = true
				}
			case *ast.CallExpr: // readSecret(env, "NAME") also reads NAME_FILE
				if id, ok := n.Fun.(*ast.Ident); ok && id.Name == "readSecret" && len(n.Args) == 2 {
					if lit, ok := n.Args[1].(*ast.BasicLit); ok {
						name, _ := strconv.Unquote(lit.Value)
						names[name+"_FILE"] = true
					}
				}
			}
			return true
		})
	}
	if structs["Config"] == nil {
		t.Fatal("cmd/digest: no Config struct")
	}
	var walk func(st *ast.StructType, prefix string)
	walk = func(st *ast.StructType, prefix string) {
		for _, fld := range st.Fields.List {
			if fld.Tag == nil || len(fld.Names) == 0 {
				continue
			}
			tag, _ := strconv.Unquote(fld.Tag.Value)
			key, _, _ := strings.Cut(reflect.StructTag(tag).Get("yaml"), ",")
			if key == "" || key == "-" {
				continue
			}
			name := prefix + "_" + strings.ToUpper(key)
			if id, ok := fld.Type.(*ast.Ident); ok && structs[id.Name] != nil {
				walk(structs[id.Name], name)
				continue
			}
			names[name] = true
		}
	}
	walk(structs["Config"], "DIGEST")
	if !names["DIGEST_SECRET_FILE"] {
		t.Fatal("cmd/digest: found no readSecret(env, \"DIGEST_SECRET\"); the test's model of the config is stale")
	}
	return func(name string) bool {
		if strings.HasPrefix(name, "PG") {
			return slices.Contains([]string{"PGPASSFILE", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT", "PGAPPNAME"}, name)
		}
		return names[name]
	}
}

// secretNames are settings whose values must come from files, never inline.
var secretNames = []string{"DIGEST_SECRET", "DIGEST_SMTP_PASSWORD", "OPENAI_API_KEY", "PGPASSWORD"}

// imageUser is the numeric USER of the Dockerfile's final stage.
func imageUser(t *testing.T) string {
	t.Helper()
	var user string
	for _, line := range strings.Split(string(readFile(t, "Dockerfile")), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "USER" {
			user = f[1]
		}
	}
	if user == "" {
		t.Fatal("Dockerfile: no USER")
	}
	return strings.SplitN(user, ":", 2)[0]
}

func TestDockerfile(t *testing.T) {
	df := string(readFile(t, "Dockerfile"))
	froms := regexp.MustCompile(`(?m)^FROM\s+(\S+)`).FindAllStringSubmatch(df, -1)
	if len(froms) != 2 {
		t.Fatalf("want a two-stage build, got FROM lines %v", froms)
	}
	if froms[0][1] != "${GO_IMAGE}" || !strings.Contains(df[:strings.Index(df, "\nFROM")], "\nARG GO_IMAGE=golang:") {
		t.Errorf("build stage must be FROM ${GO_IMAGE}, an ARG defaulting to the official golang image")
	}
	if froms[1][1] != "scratch" && !strings.HasPrefix(froms[1][1], "gcr.io/distroless/static") {
		t.Errorf("runtime stage is %s, want scratch or distroless static", froms[1][1])
	}
	for _, want := range []string{
		"CGO_ENABLED=0", "-trimpath", "-X main.Version=${VERSION}", "ca-certificates.crt",
		`VOLUME ["/data"]`, "EXPOSE 8080",
		`HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["digest", "healthcheck"]`,
		`ENTRYPOINT ["digest"]`, `CMD ["serve"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if u := imageUser(t); u == "0" || u == "root" || strings.Trim(u, "0123456789") != "" {
		t.Errorf("USER %q: want a numeric non-root uid (Kubernetes runAsNonRoot checks it)", u)
	}
	// The runtime stage has no zoneinfo: the binary must embed it.
	if !bytes.Contains(readFile(t, "cmd/digest/tzdata.go"), []byte(`import _ "time/tzdata"`)) {
		t.Error("cmd/digest does not import time/tzdata")
	}
	ignore := string(readFile(t, ".dockerignore"))
	for _, want := range []string{".git", "*.db", "outbox", "secrets"} {
		if !slices.Contains(strings.Fields(ignore), want) {
			t.Errorf(".dockerignore lacks %s", want)
		}
	}
}

func TestCompose(t *testing.T) {
	docs := yamlDocs(t, "compose.yaml")
	if len(docs) != 1 {
		t.Fatalf("compose.yaml: %d documents", len(docs))
	}
	c := docs[0]
	known := knownEnv(t)
	services, _ := c["services"].(map[string]any)
	for _, name := range []string{"digest-a", "digest-b", "postgres", "mailpit"} {
		if services[name] == nil {
			t.Fatalf("compose.yaml: no service %s", name)
		}
		if at(services[name], "healthcheck", "test") == nil {
			t.Errorf("%s: no healthcheck", name)
		}
	}
	if img := str(services, "mailpit", "image"); !strings.HasPrefix(img, "axllent/mailpit:") {
		t.Errorf("mailpit image %q", img)
	}
	if pw := str(services, "postgres", "environment", "POSTGRES_PASSWORD_FILE"); !strings.HasPrefix(pw, "/run/secrets/") {
		t.Errorf("postgres password must come from a secret file, got %q", pw)
	}

	ports := map[string]bool{}
	var dbs []string
	for _, name := range []string{"digest-a", "digest-b"} {
		s := services[name]
		env, _ := at(s, "environment").(map[string]any)
		if len(env) == 0 {
			t.Fatalf("%s: no environment (is the x-digest merge intact?)", name)
		}
		for k := range env {
			if !known(k) {
				t.Errorf("%s: %s is not read by digest (cmd/digest/config.go)", name, k)
			}
			if slices.Contains(secretNames, k) {
				t.Errorf("%s: %s set inline; use %s_FILE and a secret", name, k, k)
			}
		}
		db := str(env, "DIGEST_DB")
		if !strings.HasPrefix(db, "postgres://") || !strings.Contains(db, "@postgres:5432/") || strings.Contains(db, ":@") {
			t.Errorf("%s: DIGEST_DB %q: want postgres://user@postgres:5432/... without a password", name, db)
		}
		dbs = append(dbs, db)
		if got := str(env, "DIGEST_SMTP_URL"); got != "smtp://mailpit:1025?tls=none" {
			t.Errorf("%s: DIGEST_SMTP_URL %q", name, got)
		}
		secrets, _ := at(s, "secrets").([]any)
		for _, k := range []string{"DIGEST_SECRET_FILE", "PGPASSFILE"} {
			path := str(env, k)
			sec, ok := strings.CutPrefix(path, "/run/secrets/")
			if !ok || !slices.Contains(secrets, any(sec)) {
				t.Errorf("%s: %s=%q is not one of its secrets %v", name, k, path, secrets)
			}
			if !strings.HasPrefix(str(c, "secrets", sec, "file"), "./secrets/") {
				t.Errorf("secret %s: want a file under ./secrets/ (kept out of the image by .dockerignore)", sec)
			}
		}
		for _, dep := range []string{"postgres", "mailpit"} {
			if got := str(s, "depends_on", dep, "condition"); got != "service_healthy" {
				t.Errorf("%s: depends_on %s condition %q, want service_healthy", name, dep, got)
			}
		}
		p := str(s, "ports", 0)
		if p == "" || ports[strings.Split(p, ":")[0]] {
			t.Errorf("%s: host port %q missing or shared with the other replica", name, p)
		}
		ports[strings.Split(p, ":")[0]] = true
		if at(s, "read_only") != true {
			t.Errorf("%s: want read_only: true", name)
		}
	}
	if dbs[0] != dbs[1] {
		t.Errorf("replicas use different databases: %v", dbs)
	}
}

func TestKubernetes(t *testing.T) {
	byKind := map[string]map[string]any{}
	for _, d := range yamlDocs(t, "deploy/kubernetes.yaml") {
		byKind[str(d, "kind")] = d
	}
	cm, dep, svc := byKind["ConfigMap"], byKind["Deployment"], byKind["Service"]
	if cm == nil || dep == nil || svc == nil {
		t.Fatalf("kubernetes.yaml: want a ConfigMap, Deployment and Service, got %v", slices.Collect(maps.Keys(byKind)))
	}
	known := knownEnv(t)
	data, _ := cm["data"].(map[string]any)
	for k := range data {
		if !known(k) {
			t.Errorf("ConfigMap: %s is not read by digest", k)
		}
		if slices.Contains(secretNames, k) {
			t.Errorf("ConfigMap: %s is a secret; mount it and set %s_FILE", k, k)
		}
	}
	if r, _ := at(dep, "spec", "replicas").(int); r < 2 {
		t.Errorf("replicas %d, want ≥ 2 to show scale-out", r)
	}
	pod := at(dep, "spec", "template", "spec")
	if at(pod, "securityContext", "runAsNonRoot") != true {
		t.Error("pod securityContext.runAsNonRoot is not true")
	}
	if uid, _ := at(pod, "securityContext", "runAsUser").(int); uid == 0 || imageUser(t) != strconv.Itoa(uid) {
		t.Errorf("runAsUser %d differs from the image's USER %s", uid, imageUser(t))
	}
	ctr := at(pod, "containers", 0)
	if at(ctr, "securityContext", "readOnlyRootFilesystem") != true {
		t.Error("container root filesystem is writable")
	}
	if got := str(ctr, "envFrom", 0, "configMapRef", "name"); got != str(cm, "metadata", "name") {
		t.Errorf("envFrom names ConfigMap %q, the file defines %q", got, str(cm, "metadata", "name"))
	}
	portName := str(ctr, "ports", 0, "name")
	for probe, path := range map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"} {
		if got := str(ctr, probe, "httpGet", "path"); got != path {
			t.Errorf("%s path %q, want %s", probe, got, path)
		}
		if got := str(ctr, probe, "httpGet", "port"); got != portName {
			t.Errorf("%s port %q, want the container port %q", probe, got, portName)
		}
	}
	if got := str(svc, "spec", "ports", 0, "targetPort"); got != portName {
		t.Errorf("Service targetPort %q, want %q", got, portName)
	}
	sel, _ := at(svc, "spec", "selector").(map[string]any)
	labels, _ := at(dep, "spec", "template", "metadata", "labels").(map[string]any)
	if len(sel) == 0 {
		t.Error("Service has no selector")
	}
	for k, v := range sel {
		if labels[k] != v {
			t.Errorf("Service selector %s=%v does not match the pod labels %v", k, v, labels)
		}
	}

	// Every *_FILE must point into a mounted secret volume.
	secretMounts := map[string]bool{}
	vols, _ := at(pod, "volumes").([]any)
	mounts, _ := at(ctr, "volumeMounts").([]any)
	for _, m := range mounts {
		for _, v := range vols {
			if str(v, "name") == str(m, "name") && at(v, "secret") != nil {
				secretMounts[str(m, "mountPath")] = true
			}
		}
	}
	envs, _ := at(ctr, "env").([]any)
	files := 0
	for _, e := range envs {
		name, val := str(e, "name"), str(e, "value")
		if !known(name) {
			t.Errorf("env %s is not read by digest", name)
		}
		if slices.Contains(secretNames, name) {
			t.Errorf("env %s set inline; use %s_FILE", name, name)
		}
		if strings.HasSuffix(name, "_FILE") || name == "PGPASSFILE" {
			files++
			if !secretMounts[filepath.Dir(val)] {
				t.Errorf("%s=%s is not in a mounted secret volume %v", name, val, secretMounts)
			}
		}
	}
	if files == 0 {
		t.Error("no secrets read from files")
	}
}

// TestReadmeNamesRealSettings keeps the deploy guide from drifting from the
// binary: every DIGEST_* or OPENAI_* name it mentions must be read by it.
func TestReadmeNamesRealSettings(t *testing.T) {
	known := knownEnv(t)
	names := regexp.MustCompile(`\b(?:DIGEST|OPENAI)_[A-Z_]*[A-Z]\b`).FindAllString(string(readFile(t, "deploy/README.md")), -1)
	if len(names) < 8 {
		t.Fatalf("deploy/README.md names only %d settings", len(names))
	}
	for _, n := range names {
		if !known(n) && !strings.HasPrefix(n, "DIGEST_TEST_") {
			t.Errorf("deploy/README.md mentions %s, which digest does not read", n)
		}
	}
}
