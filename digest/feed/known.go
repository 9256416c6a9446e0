package feed

import (
	"context"
	"fmt"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// knownItems returns, by index of heads, the items that the store holds
// already (as lookup finds them), and reads the texts of all the others
// (read(i) fills heads[i]'s text, and its title when it has none). heads
// carry what an item's text is not needed for: its own title (empty when
// it has none), URL, GUID and date. A re-run that finds three new items
// in a feed of fifty cleans three texts instead of fifty.
//
// An item is left unread only when saving it would make it a duplicate of
// the stored article under its URL or GUID, as SaveArticles reports it,
// and when nothing else the gather does with it depends on its text:
//   - it has its own title and no other item of the feed has the same
//     (normalised) one: SaveArticles takes two items of one batch with the
//     same title and text (digest.IdentityKey) for one article, and then
//     says which stands for the other by their order;
//   - no other item of the feed has its URL or GUID;
//   - the source has no include or exclude keywords, which read the text;
//   - when the feed fetches the pages of short items (fillShort), its date
//     is there and not a bare day, which a page's date would refine.
//
// The page of a known item is not fetched: it would only give the text of
// an article that is not stored again. A lookup that fails leaves every
// item read, with a warning.
func (f *Feed) knownItems(ctx context.Context, lookup digest.KeyLookup, heads []digest.Article, read func(int)) (map[int]digest.KnownArticle, []string) {
	var known map[int]digest.KnownArticle
	var warns []string
	if cands := f.knownCandidates(lookup, heads); len(cands) > 0 {
		var err error
		if known, err = lookupKnown(ctx, lookup, heads, cands); err != nil {
			warns = append(warns, fmt.Sprintf("feed %q: find the items stored already: %v; read them all", f.loc, err))
		}
	}
	for i := range heads {
		if _, ok := known[i]; !ok {
			read(i)
		}
	}
	if len(known) == 0 {
		return nil, warns
	}
	titleKey := func(a digest.Article) string { return digest.ContentHash(digest.StorableText(a.Title)) }
	titles := make(map[string]int, len(heads))
	for _, a := range heads {
		titles[titleKey(a)]++
	}
	for i, a := range heads {
		if _, ok := known[i]; ok && titles[titleKey(a)] > 1 {
			delete(known, i)
			read(i)
		}
	}
	return known, warns
}

// knownCandidates returns the indexes of the items that knownItems may
// leave unread, should the store hold them.
func (f *Feed) knownCandidates(lookup digest.KeyLookup, heads []digest.Article) []int {
	if lookup == nil || newKeywordFilter(f.opts).active() {
		return nil
	}
	// URLs and GUIDs as the store compares them: two that differ only in
	// what StorableText replaces are one.
	keys := make(map[string]int, 2*len(heads))
	for _, a := range heads {
		keys["u"+digest.StorableText(a.URL)]++
		keys["g"+digest.StorableText(a.GUID)]++
	}
	shared := func(a digest.Article) bool {
		return (a.URL != "" && keys["u"+digest.StorableText(a.URL)] > 1) || (a.GUID != "" && keys["g"+digest.StorableText(a.GUID)] > 1)
	}
	pages := f.fillsShort()
	var cands []int
	for i, a := range heads {
		if a.Title == "" || (a.URL == "" && a.GUID == "") || shared(a) {
			continue
		}
		if pages && (a.Published.IsZero() || a.Published.Equal(a.Published.Truncate(24*time.Hour))) {
			continue
		}
		cands = append(cands, i)
	}
	return cands
}

// lookupKnown asks lookup about the candidates' URLs and GUIDs and returns
// those the store holds, under the key SaveArticles would name: the URL
// when it is stored (whatever the source), else the GUID.
func lookupKnown(ctx context.Context, lookup digest.KeyLookup, heads []digest.Article, cands []int) (map[int]digest.KnownArticle, error) {
	var urls, guids []string
	for _, i := range cands {
		if u := digest.StorableText(heads[i].URL); u != "" {
			urls = append(urls, u)
		}
		if g := digest.StorableText(heads[i].GUID); g != "" {
			guids = append(guids, g)
		}
	}
	found, err := lookup(ctx, urls, guids)
	if err != nil {
		return nil, err
	}
	known := map[int]digest.KnownArticle{}
	for _, i := range cands {
		u, g := digest.StorableText(heads[i].URL), digest.StorableText(heads[i].GUID)
		if id, ok := found.ByURL[u]; ok && u != "" {
			known[i] = digest.KnownArticle{Of: id, Key: digest.DuplicateURL}
		} else if id, ok := found.ByGUID[g]; ok && g != "" {
			known[i] = digest.KnownArticle{Of: id, Key: digest.DuplicateGUID}
		}
	}
	return known, nil
}
