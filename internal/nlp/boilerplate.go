package nlp

import (
	"strings"
	"unicode/utf8"

	"github.com/tradedigest/tradedigest/internal/lazy"
	"github.com/tradedigest/tradedigest/internal/lazyre"
)

// boilerRule finds a line that matches re and is at most max runes long.
// The length bound is what keeps IsBoilerplateLine conservative: appeals
// and credits are short, and a long paragraph that happens to mention
// "subscribe" or "Getty Images" is news.
//
// needs lists literal, lower-case strings ("|"-separated) of which a
// matching line must contain at least one; the cheap check spares the
// regular expression on most lines. An empty needs always runs the rule.
type boilerRule struct {
	re    *lazyre.Regexp // compiled on first use
	max   int
	needs []string
}

func rule(max int, needs, pattern string) boilerRule {
	r := boilerRule{re: lazyre.New(`(?i)` + pattern), max: max}
	if needs != "" {
		r.needs = strings.Split(needs, "|")
	}
	return r
}

// ruleNeedles is every rule's needs in one Needles, and for each rule of
// lineRules, the indexes of its needs in it, built on first use.
var ruleNeedles = lazy.Value[ruleIndex]{Build: func() ruleIndex {
	var list []string
	at := map[string]int{}
	rules := lineRules.Get()
	needs := make([][]int, len(rules))
	for ri, r := range rules {
		for _, sub := range r.needs {
			i, ok := at[sub]
			if !ok {
				i = len(list)
				at[sub] = i
				list = append(list, sub)
			}
			needs[ri] = append(needs[ri], i)
		}
	}
	return ruleIndex{NewNeedles(list), needs}
}}

// ruleIndex is what ruleNeedles builds.
type ruleIndex struct {
	needles *Needles
	needs   [][]int // by rule of lineRules, the indexes of its needs in needles
}

// lineRules lists what IsBoilerplateLine finds (what the feed's Clean
// removes). Each pattern is anchored to what such lines look like, not to
// words that may appear in a story. The list is built on first use: its
// 35 rules (each a lazyre closure and a split of its needs) were the
// largest part of this package's initialiser, run by every command.
var lineRules = lazy.Value[[]boilerRule]{Build: func() []boilerRule {
	return []boilerRule{
		// Subscription, membership and donation appeals.
		rule(200, "subscri|sign up|register|join|log|become a", `^[\W_]*(please )?(subscribe|sign up|register|join|log ?in|become a (member|subscriber|supporter|patron))\b.*\b(newsletters?|inbox|subscri\w*|free|today|now|access|updates|unlimited|digest|briefing|member\w*)\b`),
		rule(300, "sign up|subscribe|register", `\b(sign up|subscribe|register)\b.{0,60}\b(newsletters?|e-?mail alerts?|daily briefing|our briefing|mailing list)\b`),
		rule(200, "newsletter|alert", `\b(newsletters?|e-?mail alerts?)\b.{0,60}\b(sign up|subscribe|delivered|inbox|straight to you)\b`),
		rule(300, "journalism|reporting|newsroom", `\b(support|fund)\b.{0,40}\b(our|independent|quality) (journalism|reporting|newsroom)\b`),
		rule(300, "donat|contribution|chip in|give ", `(^[\W_]*|\b(please|can you|will you|help us|consider)\b.{0,30}\b)(donate|mak(e|ing) a (donation|contribution)|chip in)\b|\b(donate|give) (now|today|here)\b`),
		rule(250, "already a|subscriber|reached your|free article|continue reading|unlock|trial|subscribe", `\b(already a (subscriber|member)|subscribers? only|you have reached your|free articles? (left|remaining)|to continue reading|unlock (this|unlimited)|start your (free )?trial|subscribe (now|today)|exclusive to subscribers)\b`),
		rule(160, "newsletter|inbox|access|updates|delivered", `^[\W_]*(get|receive|enjoy) (our|the|free|unlimited)\b.{0,80}\b(newsletter|inbox|access|updates|delivered)\b`),
		// Read-more, related and share lines.
		rule(160, "read|full story|more on this|watch|listen", `^[\W_]*(read more|continue reading|keep reading|read the (full|whole|rest|original) (story|article|report|post)|full story|read full (story|article)|read on|more on this story|watch( the)? video|listen to (this|the) (article|story))\b`),
		rule(160, "related|recommended|see also|also|more from|most |trending|top stories|latest news", `^[\W_]*(related( (articles?|stories|coverage|content|reading|links?|news))?|recommended( for you| reading| stories)?|see also|also read|read also|you (may|might) also like|more from [\w .]{1,40}|most (read|popular|viewed)|trending( now)?|top stories|latest news)\s*([:|»›>–—-].*)?$`),
		rule(120, "", `^[\W_]*(share|tweet|e-?mail|print|save|copy link|comments?|facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|flipboard|telegram|messenger)(\s*(this|the)?\s*(article|story|page|post|link)?\s*(on|via|with|to)?\s*(facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|e-?mail|a friend)?)?\s*[:.!]?\s*([|/•·,]\s*(share|tweet|e-?mail|print|save|facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|flipboard|telegram|messenger)\s*)*[\W_]*$`),
		rule(120, "", `^([\W_]*(share|tweet|e-?mail|print|facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|flipboard|telegram|messenger|copy link)[\W_]*){2,}$`),
		rule(120, "share", `^[\W_]*(click to share|share this (article|story|page)|share on (facebook|twitter|x|linkedin|whatsapp|reddit|email))\b`),
		rule(200, "click", `\bclick(ing)? here\b`),
		// Photo and video credits and captions.
		rule(250, "photo|image|picture|caption|video|illustration|credit", `^[\W_]*(photo|photos|photograph|image|images|picture|pictures|file photo|pictured|caption|video|illustration|credit|photo credit|image credit|source image)\s*(by|courtesy( of)?)?\s*[:|/]`),
		rule(200, "(", `\((photo:?\s*)?(reuters|ap|afp|getty( images)?|bloomberg|epa|efe|xinhua|anadolu|shutterstock|ap photo|afp via getty images)(\s*[/,][^()]*)?\)\s*$`),
		rule(200, "getty|shutterstock|ap photo|afp|reuters/|epa-efe", `([|/:©]|\b(via|credit|photo|image|by))\s*(getty images|shutterstock|ap photo|afp)\b|\b(getty images|shutterstock)\s*[)/]?\s*$|\breuters/[a-z]|\bap photo/|\bepa-efe\b`),
		// Cookie and consent notices.
		rule(400, "cookie|by continuing", `\b(we|this (site|website)) uses? cookies\b|\bcookie (policy|settings|preferences|consent|notice)\b|\baccept (all )?cookies\b|\bby continuing to (use|browse)\b`),
		// Social handles and follow prompts.
		rule(200, "twitter|facebook|instagram|linkedin|tiktok|youtube|threads|bluesky|mastodon|social media|on x", `^[\W_]*(follow|like|find|join) (us|me|him|her|them|\w+) on (twitter|x|facebook|instagram|linkedin|tiktok|youtube|threads|bluesky|mastodon|social media)\b`),
		rule(200, "@", `^[\W_]*follow (us |me )?@\w+`),
		rule(120, "@|#", `^(\s*[@#][\w.]+[\s,;|/•·]*)+$`),
		// Republication notes and copyright lines.
		rule(300, "this |originally|first published|first appeared", `^[\W_]*((a version of )?this (article|story|post|piece|report|column) (was |is )?(first |originally )?(appeared|published|ran|posted|republished)|(originally|first) (published|appeared) (on|in|at|by))\b`),
		rule(250, "©|(c)|copyright|all rights reserved", `^[\W_]*(©|\(c\)|copyright\s*(©|\(c\)|\d{4}|by\b)|all rights reserved)`),
		rule(250, "all rights reserved", `\ball rights reserved\.?\s*$`),
		rule(250, "may not be", `\bmay not be (published|reproduced), broadcast, rewritten\b`),
		// Sign-up widgets, reprint notices and contact footers.
		rule(200, "signing up|subscribing|registering", `^[\W_]*(thanks|thank you) for (signing up|subscribing|registering)\b`),
		rule(200, "error", `\b(an error has occurred|there was an error processing your|error processing your (subscription|request))\b`),
		rule(200, "keep an eye on your inbox|check your inbox|has been sent to", `\b(keep an eye on|check) your inbox\b|^this (article|story) has been sent to\b`),
		rule(400, "non-commercial use only", `\bpersonal,? non-commercial use only\b`),
		rule(160, "@", `^write to [\w .'-]{2,60}\bat\s+\S+@\S+`),
		rule(300, "don", `^(don'?t|do not|don’t) miss\b`),
		rule(40, "newsletter", `^[\w'’ &-]{0,30}\bnewsletter$`),
		rule(60, "updated|published", `^(last )?(updated|published)( at| on)?:?\s*\d{1,2}[:.]\d{2}\s*([ap]\.?m\.?)?\s*([A-Z]{2,4})?\.?$`),
		// Reader-comment prompts, counts and notices.
		rule(60, "comment|coment|repl|kommentar|kommentier|réagir|diskussion|discussion", `^[\W_]*(\d+\s+)?(comments?|replies|kommentare?|leserkommentare?|commentaires?|comentarios?|réagir|commenter|kommentieren|comentar|diskussion|discussion)(\s*\(\d+\))?[\W_]*$`),
		rule(120, "comment|coment|repl|kommentar|kommentier|conversation|discussion|diskussion", `^[\W_]*((post|add|leave|write|submit|view|show|read|see|load)( a| your| all| the| more| \d+)? (comments?|reply|replies)|join the (conversation|discussion|debate)|be the first to (comment|reply)|comments (are|have been) (closed|disabled)|you must be logged in to (post a )?(comment|reply)|(jetzt |hier )?(kommentieren|mitdiskutieren)\b|(kommentar|leserkommentar)e? (schreiben|verfassen|hinzufügen|abgeben)|kommentare (anzeigen|lesen|laden|sind geschlossen|geschlossen)|(laisser|écrire|ajouter|poster) un commentaire|(deja|escribe|añade|publica) (un|tu) comentario)\b`),
		// Lone labels.
		rule(40, "", `^[\W_]*(advertisement|advertising|sponsored( content)?|ad|promoted|story continues below( advertisement)?|scroll to continue|skip advert(isement)?|supported by|thank you|sorry|close|loading)[\W_]*$`),
	}
}}

// maxRuleLen is the longest line any rule may drop.
const maxRuleLen = 400

// IsBoilerplateLine reports whether a line of article text belongs to the
// page rather than the story: a subscription, donation or newsletter
// appeal, a read-more, related or share line, a photo credit, a cookie
// notice, a social handle, a republication or copyright note, a comment
// prompt or a lone label. It is conservative: every rule is anchored to
// what such lines look like and bounded in length, because the feed drops
// the lines it finds, and a long paragraph that mentions "subscribe" or
// "Getty Images" is news.
func IsBoilerplateLine(line string) bool {
	n := utf8.RuneCountInString(line)
	if n > maxRuleLen {
		return false
	}
	return matchRules(line, n, ruleNeedles.Get().needles.FindLower(line))
}

// isBoilerplateLine is IsBoilerplateLine given the line lower-cased and
// its length in runes (at most maxRuleLen). The rules' needs are looked
// for in one pass over lower, then each rule whose length bound the line
// fits and one of whose needs it holds runs its pattern, in order.
func isBoilerplateLine(line, lower string, n int) bool {
	return matchRules(line, n, ruleNeedles.Get().needles.Find(lower))
}

// matchRules is isBoilerplateLine given the rules' needles found in the
// lower-cased line.
func matchRules(line string, n int, found NeedleSet) bool {
	needs := ruleNeedles.Get().needs
	for ri, r := range lineRules.Get() {
		if n <= r.max && (r.needs == nil || found.HasAny(needs[ri])) && r.re.Get().MatchString(line) {
			return true
		}
	}
	return false
}

// sentenceRules holds looser patterns of sentences that belong to the
// page, not the story, matched on the lower-cased sentence; each runs only
// when its cheap keyword is present, because regexp backtracking over every
// sentence dominated the summariser's time. They are not anchored or
// bounded: IsBoilerplateSentence serves a reader that picks some sentences
// among many, so they only hold patterns that news prose almost never uses.
var sentenceRules = []struct {
	keyword string
	re      *lazyre.Regexp
}{
	{"subscri", lazyre.New(`\bsubscri(be|bing|ption (offer|now|today))\b`)},
	{"newsletter", lazyre.New(`\bnewsletters?\b`)},
	{"sign", lazyre.New(`\bsign(ing)? (up (for|to|now|here|today)|in\b)`)},
	{"donat", lazyre.New(`\b(donate|make a donation)\b`)},
	{"support", lazyre.New(`\bsupport (our|us|independent) (journalism|reporting)\b`)},
	{"share", lazyre.New(`\bshare (this|on|via)\b`)},
	{"facebook", lazyre.New(`\b(email|facebook|twitter|whatsapp|linkedin|messenger)\W+(email|facebook|twitter|whatsapp|linkedin|messenger)\b`)},
	{"photo", lazyre.New(`\bphoto(graph)?s?( credit)?\s*:|\(photo\b|\bap photo\b`)},
	{"image", lazyre.New(`\bimages?( credit)?\s*:|\(image\b|getty images`)},
	{"picture", lazyre.New(`\bpictures?( credit)?\s*:|\(picture\b`)},
	{"reuters/", nil},
	{"cookie", lazyre.New(`\bcookies?\b.*\b(use|accept|policy|consent|browser|settings)\b`)},
	{"all rights reserved", nil},
	{"©", nil},
	{"read more", nil},
	{"click here", nil},
	{"follow us", nil},
	{"advertisement", nil},
	{"continue reading", nil},
	// Planted instructions aimed at an LLM are not news either.
	{"instructions", lazyre.New(`\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|earlier|all|your)\b.{0,20}\binstructions\b`)},
}

// IsBoilerplateSentence reports whether a sentence belongs to the page
// rather than the story: IsBoilerplateLine, or one of looser patterns
// (sentenceRules) that would cost a line of news if the feed dropped lines
// by them, but cost a summariser choosing among sentences nothing. With
// IsBoilerplateLine alone the extractive summariser's ROUGE-1 fell from
// 0.2585 to 0.2527 and the headline writer's validation ROUGE-1 from 0.2027
// to 0.2004.
func IsBoilerplateSentence(s string) bool {
	lower := strings.ToLower(s)
	if n := utf8.RuneCountInString(s); n <= maxRuleLen && isBoilerplateLine(s, lower, n) {
		return true
	}
	found := sentenceKeywords.Get().Find(lower)
	for i, b := range sentenceRules {
		if found.Has(i) && (b.re == nil || b.re.Get().MatchString(lower)) {
			return true
		}
	}
	return false
}

// sentenceKeywords is the sentenceRules' keywords in one Needles, by rule.
var sentenceKeywords = lazy.Value[*Needles]{Build: func() *Needles {
	list := make([]string, len(sentenceRules))
	for i, b := range sentenceRules {
		list[i] = b.keyword
	}
	return NewNeedles(list)
}}
