package queue

import (
	"context"
	"sync"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/store"
	"github.com/tradedigest/tradedigest/digest/store/storetest"
)

// TestQueue_MigrateConcurrently starts several replicas' migrations at once
// on an empty Postgres schema, as compose and Kubernetes do: all succeed
// (without the advisory lock one would fail with a unique violation).
func TestQueue_MigrateConcurrently(t *testing.T) {
	dsn := storetest.NewSchema(t, storetest.PostgresDSN(t))
	ctx := context.Background()
	const replicas = 4
	queues := make([]*Queue, replicas)
	for i := range queues {
		db, err := store.Open(ctx, dsn, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		q, err := New(DefaultConfig(), Deps{
			Engine: &digest.Engine{Store: db}, DB: db,
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Close() })
		queues[i] = q
	}
	var wg sync.WaitGroup
	errs := make([]error, replicas)
	for i, q := range queues {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = q.Migrate(ctx) }()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	if err := queues[0].Ready(ctx); err != nil {
		t.Fatalf("after concurrent migrations: %v", err)
	}
}
