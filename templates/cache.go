package templates

import (
	"encoding/binary"
	"hash/maphash"
	"sync"

	"github.com/tradedigest/tradedigest/digest"
)

// storyCache keeps what one story turns into, so that a run sending the same
// stories to thousands of readers cleans and renders each story once per
// time zone and position instead of once per message.
//
// Entries are keyed by a hash of everything the output depends on: the
// story's fields that storyView reads, the time zone, and for fragments the
// story's number. The hash is seeded per process, so a feed cannot craft a
// collision. Memory is bounded: when the entries exceed max bytes the cache
// starts again empty.
type storyCache struct {
	seed  maphash.Seed
	mu    sync.Mutex
	views map[uint64]StoryView
	frags map[fragKey]string
	bytes int
	max   int // < 0: no caching
}

type fragKey struct {
	story    uint64
	number   int
	text     bool // text part, else HTML
	contents bool // the story's entry in the contents list, else the story
}

func newStoryCache(maxBytes int) *storyCache {
	return &storyCache{
		seed:  maphash.MakeSeed(),
		views: map[uint64]StoryView{},
		frags: map[fragKey]string{},
		max:   maxBytes,
	}
}

func (c *storyCache) enabled() bool { return c.max >= 0 }

// key hashes the inputs of storyView(st, loc) for the zone named tz.
func (c *storyCache) key(st digest.Story, tz string) uint64 {
	var h maphash.Hash
	h.SetSeed(c.seed)
	str := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.WriteString(s)
	}
	num := func(v int64) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(v))
		h.Write(n[:])
	}
	str(tz)
	s := st.Summary
	str(s.Headline)
	str(s.Text)
	str(s.Backend)
	num(int64(boolInt(s.Fallback)))
	num(int64(boolInt(s.Unfaithful())))
	num(int64(len(s.KeyPoints)))
	for _, p := range s.KeyPoints {
		str(p)
	}
	num(int64(len(st.Articles)))
	for _, a := range st.Articles {
		str(a.SourceName)
		str(a.URL)
		str(a.Title)
		num(a.Published.UnixNano())
		num(int64(boolInt(a.Published.IsZero())))
		str(a.Language)
	}
	// The lead's text stands in for an empty summary; only its first bytes
	// can reach the message.
	str(clip(st.Lead().Text, leadFallbackRunes*4+64))
	return h.Sum64()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (c *storyCache) view(k uint64) (StoryView, bool) { return get(c, c.views, k) }

func (c *storyCache) putView(k uint64, v StoryView) {
	size := 256 + len(v.Headline) + len(v.URL) + len(v.MetaLine) + len(v.AlsoNames)
	for _, p := range v.Paragraphs {
		size += len(p)
	}
	for _, p := range v.KeyPoints {
		size += len(p)
	}
	for _, l := range v.Also {
		size += len(l.Name) + len(l.URL)
	}
	put(c, c.views, k, v, size)
}

func (c *storyCache) frag(k fragKey) (string, bool) { return get(c, c.frags, k) }

func (c *storyCache) putFrag(k fragKey, s string) { put(c, c.frags, k, s, len(s)+64) }

// get reads one of the cache's maps under its lock.
func get[K comparable, V any](c *storyCache, m map[K]V, k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := m[k]
	return v, ok
}

// put stores v of about size bytes in one of the cache's maps.
func put[K comparable, V any](c *storyCache, m map[K]V, k K, v V, size int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.make(size)
	m[k] = v
}

// make accounts for size more bytes, emptying the cache first when they
// would not fit. Called with mu held.
func (c *storyCache) make(size int) {
	if c.bytes+size > c.max {
		clear(c.views)
		clear(c.frags)
		c.bytes = 0
	}
	c.bytes += size
}
