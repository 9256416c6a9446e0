package summarize

// LeadHeadline returns the lead sentence Headline starts from and the
// headline compressed from it alone, for the headline evaluation to tell a
// headline made of a later sentence, or of a lead that furniture or a
// teaser stood before, from one made of the text's first sentence.
func LeadHeadline(text, lang string) (sentence, headline string) {
	cands := leadFirst(leadCandidates(headlineInput(text)))
	if len(cands) == 0 {
		return "", ""
	}
	return cands[0], compress(cands[0], lang)
}
