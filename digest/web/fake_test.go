package web

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// backend is the store the tests run against: what the server uses plus
// what the tests need to set up.
type backend interface {
	Subscribers
	Editions
	SaveEdition(ctx context.Context, e digest.ArchivedEdition) error
	DeleteSubscriber(ctx context.Context, id int64) error
}

// testStore wraps a backend to count the writes the server makes, so tests
// can assert that a refused request changed nothing, and to make every call
// fail on demand.
type testStore struct {
	backend
	mu     sync.Mutex
	writes int
	fail   error
}

var (
	_ Subscribers = (*testStore)(nil)
	_ Editions    = (*testStore)(nil)
)

func (s *testStore) setFail(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

func (s *testStore) writeCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// call counts a write and returns the injected failure, if any.
func (s *testStore) call(write bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if write {
		s.writes++
	}
	return s.fail
}

func (s *testStore) AddSubscriber(ctx context.Context, sub digest.Subscriber) (digest.Subscriber, error) {
	if err := s.call(true); err != nil {
		return digest.Subscriber{}, err
	}
	return s.backend.AddSubscriber(ctx, sub)
}

func (s *testStore) UpdateSubscriber(ctx context.Context, sub digest.Subscriber) error {
	if err := s.call(true); err != nil {
		return err
	}
	return s.backend.UpdateSubscriber(ctx, sub)
}

func (s *testStore) SetSubscriberStatus(ctx context.Context, id int64, st digest.SubscriberStatus) error {
	if err := s.call(true); err != nil {
		return err
	}
	return s.backend.SetSubscriberStatus(ctx, id, st)
}

func (s *testStore) TakeSignupMail(ctx context.Context, id int64, limit int, window time.Duration) (bool, error) {
	if err := s.call(true); err != nil {
		return false, err
	}
	return s.backend.TakeSignupMail(ctx, id, limit, window)
}

func (s *testStore) Subscriber(ctx context.Context, id int64) (digest.Subscriber, error) {
	if err := s.call(false); err != nil {
		return digest.Subscriber{}, err
	}
	return s.backend.Subscriber(ctx, id)
}

func (s *testStore) SubscriberByEmail(ctx context.Context, email string) (digest.Subscriber, error) {
	if err := s.call(false); err != nil {
		return digest.Subscriber{}, err
	}
	return s.backend.SubscriberByEmail(ctx, email)
}

func (s *testStore) Edition(ctx context.Context, date string) (digest.ArchivedEdition, error) {
	if err := s.call(false); err != nil {
		return digest.ArchivedEdition{}, err
	}
	return s.backend.Edition(ctx, date)
}

func (s *testStore) Editions(ctx context.Context, limit int) ([]digest.ArchivedEdition, error) {
	if err := s.call(false); err != nil {
		return nil, err
	}
	return s.backend.Editions(ctx, limit)
}

func (s *testStore) EditionDates(ctx context.Context, limit int) ([]string, error) {
	if err := s.call(false); err != nil {
		return nil, err
	}
	return s.backend.EditionDates(ctx, limit)
}

// memStore is an in-memory backend with the contract of
// digest.SubscriberStore and digest.EditionStore (ErrNotFound, ErrConflict),
// for the fuzz target, where SQLite would cut the executions a
// hundredfold. Route tests use the real store.
type memStore struct {
	mu       sync.Mutex
	now      func() time.Time
	nextID   int64
	subs     map[int64]digest.Subscriber
	editions map[string]digest.ArchivedEdition
	mails    map[int64][]time.Time // sign-up mails taken
}

var _ backend = (*memStore)(nil)

func newMemStore(now func() time.Time) *memStore {
	return &memStore{now: now, subs: map[int64]digest.Subscriber{}, editions: map[string]digest.ArchivedEdition{}}
}

func (m *memStore) AddSubscriber(_ context.Context, s digest.Subscriber) (digest.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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
	return s, nil
}

func (m *memStore) UpdateSubscriber(_ context.Context, s digest.Subscriber) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	old, ok := m.subs[s.ID]
	if !ok {
		return digest.ErrNotFound
	}
	old.Name, old.Topics, old.TimeZone, old.SendTime, old.Status = s.Name, slices.Clone(s.Topics), s.TimeZone, s.SendTime, s.Status
	old.Frequency = s.Frequency
	old.UpdatedAt = m.now()
	m.subs[s.ID] = old
	return nil
}

func (m *memStore) Subscriber(_ context.Context, id int64) (digest.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.subs[id]
	if !ok {
		return digest.Subscriber{}, digest.ErrNotFound
	}
	return s, nil
}

func (m *memStore) SubscriberByEmail(_ context.Context, email string) (digest.Subscriber, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
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
	s, ok := m.subs[id]
	if !ok {
		return digest.ErrNotFound
	}
	s.Status, s.UpdatedAt = status, m.now()
	m.subs[id] = s
	return nil
}

func (m *memStore) TakeSignupMail(_ context.Context, id int64, limit int, window time.Duration) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.subs[id]; !ok {
		return false, digest.ErrNotFound
	}
	now, n := m.now(), 0
	for _, at := range m.mails[id] {
		if now.Sub(at) < window {
			n++
		}
	}
	if n >= limit {
		return false, nil
	}
	if m.mails == nil {
		m.mails = map[int64][]time.Time{}
	}
	m.mails[id] = append(m.mails[id], now)
	return true, nil
}

func (m *memStore) DeleteSubscriber(_ context.Context, id int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.subs, id)
	return nil
}

func (m *memStore) SaveEdition(_ context.Context, e digest.ArchivedEdition) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.editions[e.Date] = e
	return nil
}

func (m *memStore) Edition(_ context.Context, date string) (digest.ArchivedEdition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.editions[date]
	if !ok {
		return digest.ArchivedEdition{}, digest.ErrNotFound
	}
	return e, nil
}

func (m *memStore) Editions(_ context.Context, limit int) ([]digest.ArchivedEdition, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []digest.ArchivedEdition
	for _, e := range m.editions {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b digest.ArchivedEdition) int { return -strings.Compare(a.Date, b.Date) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) EditionDates(ctx context.Context, limit int) ([]string, error) {
	eds, _ := m.Editions(ctx, limit)
	out := make([]string, len(eds))
	for i, e := range eds {
		out[i] = e.Date
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
