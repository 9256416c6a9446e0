package nlp

import (
	"math"
	"slices"
	"testing"
)

func TestWords(t *testing.T) {
	if got := Words("Korea's 31.2% rise, U.S."); !slices.Equal(got, []string{"korea", "s", "31", "2", "rise", "u", "s"}) {
		t.Errorf("Words = %q", got)
	}
}

func TestFoldPlural(t *testing.T) {
	for in, want := range map[string]string{"tariffs": "tariff", "gas": "gas", "glass": "glass", "duties": "dutie"} {
		if got := FoldPlural(in); got != want {
			t.Errorf("FoldPlural(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsGraphStopword(t *testing.T) {
	for w, want := range map[string]bool{"the": true, "s": true, "said": true, "week": false, "percent": false, "tariff": false} {
		if IsGraphStopword(w) != want {
			t.Errorf("IsGraphStopword(%q) = %v", w, !want)
		}
	}
}

func TestTFIDFCosine(t *testing.T) {
	vecs := TFIDF([][]string{{"steel", "tariff"}, {"steel", "tariff"}, {"steel", "wine"}, {"football"}})
	for i, v := range vecs {
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		if math.Abs(norm-1) > 1e-9 {
			t.Errorf("vector %d has squared norm %v", i, norm)
		}
	}
	same, some, none := Cosine(vecs[0], vecs[1]), Cosine(vecs[0], vecs[2]), Cosine(vecs[0], vecs[3])
	if math.Abs(same-1) > 1e-9 || some <= 0 || some >= same || none != 0 {
		t.Errorf("cosines: same %v, one shared term %v, none %v", same, some, none)
	}
	// "steel" is in three of four documents, "wine" in one: the rarer term
	// weighs more.
	if vecs[2]["wine"] <= vecs[2]["steel"] {
		t.Errorf("idf: wine %v, steel %v", vecs[2]["wine"], vecs[2]["steel"])
	}
}

func TestIDF(t *testing.T) {
	// A word every document uses still weighs something; a rarer word
	// weighs more.
	if got := IDF(4, 4); math.Abs(got-math.Ln2) > 1e-12 {
		t.Errorf("IDF(4, 4) = %v, want ln 2", got)
	}
	if IDF(4, 1) <= IDF(4, 3) {
		t.Errorf("IDF(4, 1) = %v, not above IDF(4, 3) = %v", IDF(4, 1), IDF(4, 3))
	}
}

func TestSublinearTF(t *testing.T) {
	for count, want := range map[float64]float64{1: 1, math.E: 2, math.E * math.E: 3} {
		if got := SublinearTF(count); math.Abs(got-want) > 1e-12 {
			t.Errorf("SublinearTF(%v) = %v, want %v", count, got, want)
		}
	}
}

func TestNorm(t *testing.T) {
	if got := Norm(slices.Values([]float64{3, -4})); got != 5 {
		t.Errorf("Norm(3, -4) = %v, want 5", got)
	}
	if got := Norm(slices.Values([]float64(nil))); got != 0 {
		t.Errorf("Norm() = %v, want 0", got)
	}
}
