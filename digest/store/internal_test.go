package store

import (
	"net/url"
	"strings"
	"testing"
)

func TestRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b = ?", "a = $1 AND b = $2"},
		{"a = '?' AND b = ? AND c = 'it''s ?' AND d = ?", "a = '?' AND b = $1 AND c = 'it''s ?' AND d = $2"},
	} {
		if got := rebind(c.in); got != c.want {
			t.Errorf("rebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestSQLiteDSN(t *testing.T) {
	for _, c := range []struct {
		in, path string
		pragmas  []string
		txlock   string
	}{
		{"", "./digest.db", []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"}, "immediate"},
		{"/var/lib/digest/d.db", "/var/lib/digest/d.db", []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"}, "immediate"},
		{"file:rel.db?_pragma=busy_timeout(500)&_txlock=deferred", "rel.db", []string{"busy_timeout(500)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"}, "deferred"},
		{"file:///abs/d.db", "/abs/d.db", []string{"journal_mode(WAL)", "busy_timeout(10000)", "foreign_keys(1)", "synchronous(NORMAL)", "temp_store(MEMORY)"}, "immediate"},
	} {
		path, full, err := sqliteDSN(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		name, query, _ := strings.Cut(full, "?")
		q, _ := url.ParseQuery(query)
		if path != c.path || !strings.HasSuffix(name, strings.TrimPrefix(c.path, "./")) {
			t.Errorf("%q: path %q, dsn name %q; want %q", c.in, path, name, c.path)
		}
		if strings.Join(q["_pragma"], " ") != strings.Join(c.pragmas, " ") || q.Get("_txlock") != c.txlock {
			t.Errorf("%q: pragmas %q txlock %q; want %q %q", c.in, q["_pragma"], q.Get("_txlock"), c.pragmas, c.txlock)
		}
	}
	if _, _, err := sqliteDSN("file://host"); err == nil {
		t.Error("accepted a file URI without a path")
	}
}
