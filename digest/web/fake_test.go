package web

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// memStore is an in-memory subscriber and edition store with the contract
// of digest.SubscriberStore and digest.EditionStore (ErrNotFound,
// ErrConflict), for tests until the real store's test helper is used. It
// counts writes so tests can assert that a refused request changed nothing.
type memStore struct {
	mu       sync.Mutex
	now      func() time.Time
	nextID   int64
	subs     map[int64]digest.Subscriber
	editions map[string]digest.ArchivedEdition
	writes   int
	fail     error // returned by every call when set
}

var (
	_ Subscribers = (*memStore)(nil)
	_ Editions    = (*memStore)(nil)
)

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, subs: map[int64]digest.Subscriber{}, editions: map[string]digest.ArchivedEdition{}}
}

func (m *memStore) AddSubscriber(_ context.Context, s digest.Subscriber) (digest.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return digest.Subscriber{}, m.fail
	}
	for _, o := range m.subs {
		if o.Email == s.Email {
			return digest.Subscriber{}, digest.ErrConflict
		}
	}
	m.nextID++
	s.ID = m.nextID
	s.CreatedAt, s.UpdatedAt = m.now(), m.now()
	s.Topics = slices.Clone(s.Topics)
	m.subs[s.ID] = s
	m.writes++
	return s, nil
}

func (m *memStore) UpdateSubscriber(_ context.Context, s digest.Subscriber) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	old, ok := m.subs[s.ID]
	if !ok {
		return digest.ErrNotFound
	}
	old.Name, old.Topics, old.TimeZone, old.SendTime, old.Status = s.Name, slices.Clone(s.Topics), s.TimeZone, s.SendTime, s.Status
	old.UpdatedAt = m.now()
	m.subs[s.ID] = old
	m.writes++
	return nil
}

func (m *memStore) Subscriber(_ context.Context, id int64) (digest.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return digest.Subscriber{}, m.fail
	}
	s, ok := m.subs[id]
	if !ok {
		return digest.Subscriber{}, digest.ErrNotFound
	}
	return s, nil
}

func (m *memStore) SubscriberByEmail(_ context.Context, email string) (digest.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return digest.Subscriber{}, m.fail
	}
	for _, s := range m.subs {
		if s.Email == email {
			return s, nil
		}
	}
	return digest.Subscriber{}, digest.ErrNotFound
}

func (m *memStore) SetSubscriberStatus(_ context.Context, id int64, status digest.SubscriberStatus) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	s, ok := m.subs[id]
	if !ok {
		return digest.ErrNotFound
	}
	s.Status, s.UpdatedAt = status, m.now()
	m.subs[id] = s
	m.writes++
	return nil
}

func (m *memStore) deleteSubscriber(id int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, id)
}

func (m *memStore) writeCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

func (m *memStore) Edition(_ context.Context, date string) (digest.ArchivedEdition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return digest.ArchivedEdition{}, m.fail
	}
	e, ok := m.editions[date]
	if !ok {
		return digest.ArchivedEdition{}, digest.ErrNotFound
	}
	return e, nil
}

func (m *memStore) Editions(_ context.Context, limit int) ([]digest.ArchivedEdition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return nil, m.fail
	}
	var out []digest.ArchivedEdition
	for _, e := range m.editions {
		out = append(out, e)
	}
	// Deliberately oldest first: the server must order them itself.
	slices.SortFunc(out, func(a, b digest.ArchivedEdition) int {
		if a.Date < b.Date {
			return -1
		}
		return 1
	})
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out, nil
}

// captureMailer records sent messages; err, when set, fails every send.
type captureMailer struct {
	mu   sync.Mutex
	msgs []digest.Message
	err  error
}

func (c *captureMailer) Send(_ context.Context, msg digest.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	c.msgs = append(c.msgs, msg)
	return nil
}

func (c *captureMailer) sent() []digest.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.msgs)
}

var errBoom = errors.New("boom")
