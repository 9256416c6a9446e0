package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// groupStores opens a migrated SQLite store and, when
// DIGEST_TEST_POSTGRES_DSN is set, a Postgres one in a schema of its own.
func groupStores(t *testing.T) map[string]*DB {
	t.Helper()
	ctx := context.Background()
	out := map[string]*DB{}
	open := func(name, dsn string) {
		db, err := Open(ctx, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if err := db.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		out[name] = db
	}
	open(SQLite, filepath.Join(t.TempDir(), "group.db"))
	if base := os.Getenv("DIGEST_TEST_POSTGRES_DSN"); base != "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		schema := "digest_test_" + hex.EncodeToString(b[:])
		admin, err := sql.Open("pgx", base)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close()
		})
		u, _ := url.Parse(base)
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		open(Postgres, u.String())
	}
	return out
}

// TestGroupStatements runs the ledger's group statements directly with
// what a group may hold: new and existing rows, one row asked for twice,
// and rows that cannot be claimed or marked; each call gets what the
// one-row statement would have given it.
func TestGroupStatements(t *testing.T) {
	for name, db := range groupStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 6, 10, 7, 0, 0, 0, time.UTC)
			old, err := db.ensureOne(ctx, digest.Delivery{Email: "old@example.com", EditionDate: "2026-06-10", CreatedAt: now})
			if err != nil {
				t.Fatal(err)
			}
			ds := []digest.Delivery{
				{Email: "b@example.com", EditionDate: "2026-06-10", CreatedAt: now},
				{Email: "old@example.com", EditionDate: "2026-06-10", CreatedAt: now},
				{Email: "a@example.com", EditionDate: "2026-06-10", CreatedAt: now},
				{Email: "b@example.com", EditionDate: "2026-06-10", CreatedAt: now},
			}
			got, errs := db.ensureMany(ctx, ds)
			for i, err := range errs {
				if err != nil || got[i].Email != ds[i].Email || got[i].Status != digest.DeliveryPending {
					t.Fatalf("ensure %d: %+v, %v", i, got[i], err)
				}
			}
			if got[1].ID != old.ID || got[0].ID != got[3].ID || got[0].ID == got[2].ID {
				t.Fatalf("ensure ids: %d %d %d %d (old %d)", got[0].ID, got[1].ID, got[2].ID, got[3].ID, old.ID)
			}
			a, b := got[2].ID, got[0].ID
			// Sent already: not claimable.
			if _, err := db.claimOne(ctx, claimReq{id: old.ID, now: now, until: now.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
			if err := db.MarkSent(ctx, old.ID, now, 1); err != nil {
				t.Fatal(err)
			}
			req := func(id int64) claimReq { return claimReq{id: id, now: now, until: now.Add(time.Minute)} }
			claimed, errs := db.claimMany(ctx, []claimReq{req(b), req(a), req(b), req(old.ID)})
			if errs[0] != nil || errs[1] != nil || claimed[0].Status != digest.DeliverySending || claimed[1].ID != a || claimed[1].Attempts != 1 {
				t.Fatalf("claims: %+v %v / %+v %v", claimed[0], errs[0], claimed[1], errs[1])
			}
			if !errors.Is(errs[2], digest.ErrLeased) {
				t.Fatalf("second claim of one row in a group: %v, want ErrLeased", errs[2])
			}
			if !errors.Is(errs[3], digest.ErrAlreadySent) {
				t.Fatalf("claim of a sent row: %v, want ErrAlreadySent", errs[3])
			}
			sent := func(id int64) sentReq { return sentReq{id: id, now: now.Add(time.Second), stories: 4} }
			before := db.Stats().Statements
			_, errs = db.markSentMany(ctx, []sentReq{sent(a), sent(b), sent(a), sent(old.ID)})
			// The group's UPDATE and the reads of the two rows it did not
			// mark: Stats counts group statements too.
			if n := db.Stats().Statements - before; n != 3 {
				t.Errorf("Stats counted %d statements for the group's mark, want 3", n)
			}
			if errs[0] != nil || errs[1] != nil || !errors.Is(errs[2], ErrNotSending) || !errors.Is(errs[3], ErrNotSending) {
				t.Fatalf("mark sent: %v", errs)
			}
			for _, id := range []int64{a, b} {
				d, err := db.Delivery(ctx, id)
				if err != nil || d.Status != digest.DeliverySent || d.Stories != 4 || !d.SentAt.Equal(now.Add(time.Second)) || !d.LeaseUntil.IsZero() {
					t.Fatalf("row %d after the group: %+v, %v", id, d, err)
				}
			}
		})
	}
}

// TestGroup: calls that arrive while a statement runs go together in the
// next one, each gets its own result, and a caller that gave up before
// its statement started is left out.
func TestGroup(t *testing.T) {
	const n = 50
	release := make(chan struct{})
	var sizes []int
	var g group[int, int]
	g.run = func(ctx context.Context, reqs []int) ([]int, []error) {
		if len(sizes) == 0 {
			<-release // the first statement runs until every other call is queued
		}
		sizes = append(sizes, len(reqs))
		res, errs := make([]int, len(reqs)), make([]error, len(reqs))
		for i, r := range reqs {
			res[i] = r * 2
			if r%7 == 0 {
				errs[i] = errors.New("refused")
			}
		}
		return res, errs
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	type result struct {
		req, res int
		err      error
	}
	results := make(chan result, n+1)
	go func() {
		res, err := g.do(context.Background(), 1, 0, 0)
		results <- result{1, res, err}
	}()
	for len(waiting(&g)) == 0 && !running(&g) {
		time.Sleep(time.Millisecond)
	}
	for i := 2; i <= n; i++ {
		go func() {
			res, err := g.do(context.Background(), i, 0, 0)
			results <- result{i, res, err}
		}()
	}
	go func() {
		_, err := g.do(gone, 1000, 0, 0)
		results <- result{1000, 0, err}
	}()
	for len(waiting(&g)) < n {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range n + 1 {
		r := <-results
		switch {
		case r.req == 1000:
			if !errors.Is(r.err, context.Canceled) {
				t.Errorf("cancelled call: %v", r.err)
			}
		case r.req%7 == 0:
			if r.err == nil {
				t.Errorf("call %d: no error", r.req)
			}
		case r.err != nil || r.res != r.req*2:
			t.Errorf("call %d: %d, %v", r.req, r.res, r.err)
		}
	}
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != n-1 {
		t.Errorf("statement sizes %v, want [1 %d]", sizes, n-1)
	}
}

func waiting(g *group[int, int]) []*groupCall[int, int] {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.queue)
}

func running(g *group[int, int]) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.running
}

// TestGroup_Wait: calls that may wait are held until fill of them are
// queued, or a call that may not wait arrives, or the earliest one's wait
// is over; then one statement carries every queued call.
func TestGroup_Wait(t *testing.T) {
	type result struct {
		req, res int
		err      error
	}
	newGroup := func() (*group[int, int], *[]int, *sync.Mutex) {
		var mu sync.Mutex
		var sizes []int
		g := &group[int, int]{run: func(ctx context.Context, reqs []int) ([]int, []error) {
			mu.Lock()
			sizes = append(sizes, len(reqs))
			mu.Unlock()
			res := make([]int, len(reqs))
			for i, r := range reqs {
				res[i] = r * 2
			}
			return res, make([]error, len(reqs))
		}}
		return g, &sizes, &mu
	}
	start := func(g *group[int, int], results chan result, req int, wait time.Duration, fill int) {
		go func() {
			res, err := g.do(context.Background(), req, wait, fill)
			results <- result{req, res, err}
		}()
	}
	queued := func(g *group[int, int], n int) {
		for len(waiting(g)) < n {
			time.Sleep(time.Millisecond)
		}
	}
	check := func(t *testing.T, results chan result, n int, sizes *[]int, mu *sync.Mutex, want []int) {
		t.Helper()
		for range n {
			r := <-results
			if r.err != nil || r.res != r.req*2 {
				t.Errorf("call %d: %d, %v", r.req, r.res, r.err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(*sizes, want) {
			t.Errorf("statement sizes %v, want %v", *sizes, want)
		}
	}
	t.Run("fill", func(t *testing.T) {
		g, sizes, mu := newGroup()
		results := make(chan result, 5)
		for i := 1; i <= 4; i++ {
			start(g, results, i, time.Hour, 5)
			queued(g, i)
		}
		mu.Lock()
		if len(*sizes) != 0 {
			t.Errorf("statements %v before the group was full", *sizes)
		}
		mu.Unlock()
		start(g, results, 5, time.Hour, 5)
		check(t, results, 5, sizes, mu, []int{5})
	})
	t.Run("a call that may not wait", func(t *testing.T) {
		g, sizes, mu := newGroup()
		results := make(chan result, 4)
		for i := 1; i <= 3; i++ {
			start(g, results, i, time.Hour, 64)
			queued(g, i)
		}
		start(g, results, 4, 0, 0)
		check(t, results, 4, sizes, mu, []int{4})
	})
	t.Run("wait over", func(t *testing.T) {
		g, sizes, mu := newGroup()
		results := make(chan result, 3)
		for i := 1; i <= 3; i++ {
			start(g, results, i, 20*time.Millisecond, 64)
		}
		// Short of fill, the calls go when their wait is over: in one
		// statement when they all queued inside the first one's wait.
		for range 3 {
			if r := <-results; r.err != nil || r.res != r.req*2 {
				t.Errorf("call %d: %d, %v", r.req, r.res, r.err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		total := 0
		for _, n := range *sizes {
			total += n
		}
		if total != 3 {
			t.Errorf("statement sizes %v, want 3 calls in all", *sizes)
		}
	})
}
