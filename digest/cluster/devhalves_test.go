package cluster

import (
	"context"
	"hash/fnv"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
)

// halfOf returns which half of the development part a case falls in: bit 1
// of FNV-1a 32 of the case id (bit 0 is the development/validation split,
// splitOf), so that a change can be checked on two halves that were not
// chosen by looking at them.
func halfOf(caseID string) int {
	h := fnv.New32a()
	h.Write([]byte(caseID))
	return int(h.Sum32() >> 1 & 1)
}

// TestEvaluateDevelopment prints pairwise precision and recall of the
// clusterer on the development part of the labelled set (with grown.json)
// and on each of its halves (halfOf), clustered on its own, and nothing of
// the validation part: tuning reads this, not TestEvaluate (go test -v -run
// TestEvaluateDevelopment ./digest/cluster). With -v it also prints the
// development pairs clustered alone (as TestEvaluateIsolatedPairs, for
// development only).
func TestEvaluateDevelopment(t *testing.T) {
	set := loadLabelledSet(t)
	var arts [2][]digest.Article
	var gold [2][]string
	var all []digest.Article
	var allGold []string
	var allHalf []int
	for i := range set.arts {
		if set.split[i] != development {
			continue
		}
		h := halfOf(set.cases[i])
		arts[h] = append(arts[h], set.arts[i])
		gold[h] = append(gold[h], set.gold[i])
		all = append(all, set.arts[i])
		allGold = append(allGold, set.gold[i])
		allHalf = append(allHalf, h)
	}
	evaluatePart(t, "development", all, allGold, true)
	for h := range arts {
		evaluatePart(t, "development half "+string(rune('A'+h)), arts[h], gold[h], false)
	}
	if testing.Short() {
		return
	}
	c := New(Config{})
	docs := analyse(all, c.cfg.LeadSentences)
	var alone [3]pairScores
	for i := range all {
		for j := i + 1; j < len(all); j++ {
			p := false
			if shared, _ := entityOverlap(docs[i].entities, docs[j].entities, docs[i].tab); shared > 0 || docs[i].events&docs[j].events != 0 {
				stories, err := c.Cluster(context.Background(), []digest.Article{all[i], all[j]})
				if err != nil {
					t.Fatal(err)
				}
				p = len(stories) == 1
			}
			g := allGold[i] == allGold[j]
			alone[2].add(p, g)
			hi, hj := allHalf[i], allHalf[j]
			if hi == hj {
				alone[hi].add(p, g)
			}
		}
	}
	for k, name := range []string{"half A", "half B", "all"} {
		s := alone[k]
		t.Logf("development pairs clustered alone, %s: precision %.3f  recall %.3f  (tp %d, fp %d, fn %d)", name, s.precision(), s.recall(), s.tp, s.fp, s.fn)
	}
}
