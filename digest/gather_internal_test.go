package digest

import (
	"context"
	"slices"
	"testing"
)

type idSource string

func (s idSource) ID() string   { return string(s) }
func (s idSource) Name() string { return string(s) }
func (s idSource) Fetch(context.Context, SourceState) (FetchResult, error) {
	return FetchResult{}, nil
}

// TestByHost: the gather takes one source of each host in turn, hosts in
// the order they first appear; files are hosts of their own, and a list
// with a host per source keeps its order.
func TestByHost(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in, out []string
	}{
		{"grouped by host",
			[]string{"http://a.example/1", "http://a.example/2", "http://a.example/3", "https://B.example/1", "https://b.example:8443/2", "http://c.example/1"},
			[]string{"http://a.example/1", "https://B.example/1", "http://c.example/1", "http://a.example/2", "https://b.example:8443/2", "http://a.example/3"}},
		{"files are hosts of their own",
			[]string{"/srv/feeds/a.xml", "http://a.example/1", "http://a.example/2", "/srv/feeds/b.xml"},
			[]string{"/srv/feeds/a.xml", "http://a.example/1", "/srv/feeds/b.xml", "http://a.example/2"}},
		{"a host each",
			[]string{"http://c.example/1", "http://a.example/1", "/srv/a.xml"},
			[]string{"http://c.example/1", "http://a.example/1", "/srv/a.xml"}},
		{"empty", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var in []Source
			for _, id := range tc.in {
				in = append(in, idSource(id))
			}
			var got []string
			for _, s := range byHost(in) {
				got = append(got, s.ID())
			}
			if !slices.Equal(got, tc.out) {
				t.Errorf("byHost = %q\nwant %q", got, tc.out)
			}
		})
	}
}
