package cluster

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tradedigest/tradedigest/digest"
)

// analyseVectors is analyse keeping the weighed vectors, which the
// clusterer lets go of once their dot terms are taken.
func analyseVectors(articles []digest.Article, leadSentences int) []doc {
	docs := make([]doc, len(articles))
	for i, a := range articles {
		docs[i] = parse(a, leadSentences)
	}
	weigh(docs, true)
	return docs
}

// TestDotterMatchesMerge checks that the dense-array cosines and entity
// overlap that score candidate pairs are, to the bit, the sorted-vector
// merges they replace (vector.cosine, entityOverlap): a clustering
// decision must not depend on which of the two computed a score. Every
// pair of the labelled set is compared, and the pairs of a synthetic
// batch in the order candidates visits them.
func TestDotterMatchesMerge(t *testing.T) {
	arts, _, _ := loadLabelled(t)
	check := func(name string, docs []doc, pairs func(func(i, j int))) {
		d := newDotter(docs)
		n := 0
		pairs(func(i, j int) {
			a, b := &docs[i], &docs[j]
			lead, body := d.cosines(docs, i, j)
			if math.Float64bits(lead) != math.Float64bits(a.leadCosine(b)) || math.Float64bits(body) != math.Float64bits(a.bodyCosine(b)) {
				t.Fatalf("%s pair (%d, %d): dotter lead %v body %v, dot terms' merge %v %v", name, i, j, lead, body, a.leadCosine(b), a.bodyCosine(b))
			}
			shared, ent := d.entityOverlap(docs, i, j)
			wantShared, wantEnt := entityOverlap(a.entities, b.entities, a.tab)
			if math.Float64bits(lead) != math.Float64bits(a.lead.cosine(b.lead)) ||
				math.Float64bits(body) != math.Float64bits(a.body.cosine(b.body)) ||
				shared != wantShared || math.Float64bits(ent) != math.Float64bits(wantEnt) {
				t.Fatalf("%s pair (%d, %d): dotter lead %v body %v entities %d/%v, merge %v %v %d/%v", name, i, j,
					lead, body, shared, ent, a.lead.cosine(b.lead), a.body.cosine(b.body), wantShared, wantEnt)
			}
			n++
		})
		t.Logf("%s: %d pairs identical", name, n)
	}
	docs := analyseVectors(arts, DefaultConfig().LeadSentences)
	check("labelled", docs, func(fn func(i, j int)) {
		for i := range docs {
			for j := range docs {
				if i != j {
					fn(i, j)
				}
			}
		}
	})
	syn := analyseVectors(syntheticOver(1500, 5, 14*time.Hour), DefaultConfig().LeadSentences)
	c := New(Config{})
	check("synthetic candidates", syn, func(fn func(i, j int)) {
		if err := newCandidates(syn, c.cfg.Window).each(t.Context(), nil, make([]int, len(syn)), fn); err != nil {
			t.Fatal(err)
		}
	})
}

// TestDotterUnpackedCounts checks the dot terms that keep their weights
// (a count above what a packed term holds) against the merge of the
// weighed vectors, beside packed ones, to the bit.
func TestDotterUnpackedCounts(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	long := "Tariffs on Kenyan tea rose again." + strings.Repeat(" Tea tariffs tea.", 300)
	arts := []digest.Article{
		{URL: "https://a.example/1", Title: "Kenya tea tariffs rise", Text: long, Published: now},
		{URL: "https://b.example/2", Title: "Tea tariffs rise in Kenya", Text: "Kenya raised tariffs on tea, the ministry said. Tea growers objected.", Published: now},
		{URL: "https://c.example/3", Title: "Kenya tea growers object to tariffs", Text: "Growers of tea in Kenya objected to the tariffs on Monday.", Published: now},
	}
	docs := analyseVectors(arts, DefaultConfig().LeadSentences)
	if docs[0].bodyDot.w == nil || docs[1].bodyDot.w != nil {
		t.Fatalf("body dot terms with weights kept: %v, %v; want the long text's only", docs[0].bodyDot.w != nil, docs[1].bodyDot.w != nil)
	}
	d := newDotter(docs)
	for i := range docs {
		for j := range docs {
			if i == j {
				continue
			}
			a, b := &docs[i], &docs[j]
			lead, body := d.cosines(docs, i, j)
			if math.Float64bits(lead) != math.Float64bits(a.lead.cosine(b.lead)) || math.Float64bits(body) != math.Float64bits(a.body.cosine(b.body)) {
				t.Errorf("pair (%d, %d): dotter lead %v body %v, merge %v %v", i, j, lead, body, a.lead.cosine(b.lead), a.body.cosine(b.body))
			}
			if body == 0 {
				t.Errorf("pair (%d, %d): no shared body terms", i, j)
			}
		}
	}
}
