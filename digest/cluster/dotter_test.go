package cluster

import (
	"math"
	"testing"
	"time"
)

// TestDotterMatchesMerge checks that the dense-array cosines and entity
// overlap that score candidate pairs are, to the bit, the sorted-vector
// merges they replace (vector.cosine, entityOverlap): a clustering
// decision must not depend on which of the two computed a score. Every
// pair of the labelled set is compared, and the pairs of a synthetic
// batch in the order eachCandidate visits them.
func TestDotterMatchesMerge(t *testing.T) {
	arts, _, _ := loadLabelled(t)
	check := func(name string, docs []doc, pairs func(func(i, j int))) {
		d := newDotter(docs)
		n := 0
		pairs(func(i, j int) {
			a, b := &docs[i], &docs[j]
			lead, body := d.cosines(docs, i, j)
			shared, ent := d.entityOverlap(docs, i, j)
			wantShared, wantEnt := entityOverlap(a.entities, b.entities)
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
	docs := analyse(arts, DefaultConfig().LeadSentences)
	check("labelled", docs, func(fn func(i, j int)) {
		for i := range docs {
			for j := range docs {
				if i != j {
					fn(i, j)
				}
			}
		}
	})
	syn := analyse(syntheticOver(1500, 5, 14*time.Hour), DefaultConfig().LeadSentences)
	c := New(Config{})
	check("synthetic candidates", syn, func(fn func(i, j int)) {
		if err := c.eachCandidate(t.Context(), syn, nil, fn); err != nil {
			t.Fatal(err)
		}
	})
}
