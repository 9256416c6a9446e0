// Package digest holds the domain of the trade-news digest mailer: the types
// that flow through it (articles, stories, summaries, subscribers, editions,
// deliveries), the small interfaces the engine needs from the outside world,
// and the engine that runs gather → cluster → summarise → compose → deliver.
//
// Implementations live in subpackages (feed, store, mail, ...) and in
// summarize; they import this package, never the other way round.
package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Article is one piece of news as read from one source.
type Article struct {
	ID         int64     // store id; 0 until saved
	SourceID   string    // the source it came from (feed URL or file path)
	SourceName string    // human name of the outlet ("Example Trade Wire")
	GUID       string    // feed GUID when stable, else empty
	URL        string    // canonical URL (tracking parameters removed); may be empty for local files
	Title      string    // plain text
	Text       string    // clean main text, paragraphs separated by "\n\n"
	Published  time.Time // publication time; first-seen time when the source gives none
	FetchedAt  time.Time
	// ContentHash is the hex SHA-256 of the normalised text (see ContentHash).
	ContentHash string
	// Language is the ISO 639-1 code of the text's language ("de"), empty
	// when unknown.
	Language string
}

// MaxTitleRunes bounds an article title. Sources are untrusted: a feed can
// carry a 100 KB title, which would otherwise reach the LLM prompt, the
// store and every email. Sources cut titles with ClipTitle.
const MaxTitleRunes = 300

// ClipTitle returns s cut to at most MaxTitleRunes runes, at the last space
// in the final fifth when there is one, ending in "…".
func ClipTitle(s string) string {
	if len(s) <= MaxTitleRunes { // bytes ≥ runes: short titles cost nothing
		return s
	}
	r := []rune(s)
	if len(r) <= MaxTitleRunes {
		return s
	}
	cut := r[:MaxTitleRunes-1]
	for i := len(cut) - 1; i >= len(cut)*4/5; i-- {
		if unicode.IsSpace(cut[i]) {
			cut = cut[:i]
			break
		}
	}
	return strings.TrimRightFunc(string(cut), unicode.IsSpace) + "…"
}

// Story is one news event, possibly reported by several outlets.
type Story struct {
	// Key is a stable identifier derived from the lead article's content hash.
	Key string
	// Articles are every report of the event; Articles[0] is the lead, whose
	// text is summarised.
	Articles []Article
	// Joins says, for each article (same index), how it came to be in the
	// story: JoinLead for the lead, else its strongest link to another
	// member and the evidence for it. Nil when the clusterer gives none.
	Joins     []Join
	Topics    []string
	Relevance float64 // topic relevance, 0 when not scored
	Score     float64 // ranking score; higher first
	Summary   Summary
}

// Join is how one article is tied to its story.
type Join struct {
	// Via is the kind of link: JoinLead, JoinIdentical, JoinNearDuplicate,
	// JoinSameEvent or JoinEmbedding.
	Via string `json:"via"`
	// With is the index in Story.Articles of the member the link is to.
	With int `json:"with"`
	// Score is the same-event score (or the embedding cosine).
	Score float64 `json:"score,omitempty"`
	// Detail spells out the evidence for a person: the similarities and
	// the names and figures shared.
	Detail string `json:"detail,omitempty"`
}

// Kinds of Join.
const (
	JoinLead          = "lead"
	JoinIdentical     = "identical"      // the same URL or identity key
	JoinNearDuplicate = "near_duplicate" // nearly the same text
	JoinSameEvent     = "same_event"     // similar title, lead, text and names
	JoinEmbedding     = "embedding"      // close embeddings
)

// Lead returns the story's lead article.
func (s Story) Lead() Article {
	if len(s.Articles) == 0 {
		return Article{}
	}
	return s.Articles[0]
}

// Published returns the earliest publication time among the story's articles.
func (s Story) Published() time.Time {
	var t time.Time
	for _, a := range s.Articles {
		if t.IsZero() || (!a.Published.IsZero() && a.Published.Before(t)) {
			t = a.Published
		}
	}
	return t
}

// Summary is what a Summarizer made of one story.
type Summary struct {
	ContentHash string // of the text that was summarised
	Version     string // summariser version (backend, model, prompt version)
	Backend     string // "extractive", "openai", "stub"
	Headline    string // may be empty: the article title is used then
	Text        string
	KeyPoints   []string
	Countries   []string
	Topics      []string
	Importance  int  // 1–5, 0 when unknown
	Fallback    bool // an LLM was asked but the extractive summary was used
	// FallbackReason says why Fallback is set.
	FallbackReason string
	// RetryLater marks a fallback made because the LLM could not be asked
	// (budget spent, outage, rejected key): the engine caches it only under
	// its own version, so a later run asks the LLM again. A fallback without
	// it (the model answered, twice, with unusable replies) is cached under
	// the LLM's version like any summary, so it is not paid for again.
	RetryLater       bool
	PromptTokens     int
	CompletionTokens int
	CreatedAt        time.Time
}

// FallbackUnfaithful opens the FallbackReason of an extractive summary that
// stands in for an LLM reply stating figures or names the article does not
// support (asked twice). It is kept in the reason rather than a column of
// its own, so cached summaries keep the mark.
const FallbackUnfaithful = "unsupported by the article: "

// Unfaithful reports whether s is the extractive summary standing in for
// an LLM reply the article did not support.
func (s Summary) Unfaithful() bool {
	return s.Fallback && strings.HasPrefix(s.FallbackReason, FallbackUnfaithful)
}

// SummaryRequest is the input of one summary: a story's best clean text.
type SummaryRequest struct {
	Title   string
	Text    string
	URL     string
	Sources []string // outlet names, for context only
	// Language is the article's ISO 639-1 code ("de"), empty when
	// unknown. An LLM writes in the edition's language whatever this is;
	// it tells the faithfulness guard how the article writes numbers and
	// that names may be translated.
	Language string
	// ContentHash identifies Text; summaries are cached by it and Version.
	ContentHash string
}

// SubscriberStatus is the lifecycle state of a subscriber.
type SubscriberStatus string

// Subscriber states.
const (
	StatusActive       SubscriberStatus = "active"
	StatusPending      SubscriberStatus = "pending" // signed up, not yet confirmed
	StatusPaused       SubscriberStatus = "paused"
	StatusUnsubscribed SubscriberStatus = "unsubscribed"
	StatusBounced      SubscriberStatus = "bounced"
)

// SubscriberStatuses lists every subscriber state, in lifecycle order.
var SubscriberStatuses = []SubscriberStatus{StatusPending, StatusActive, StatusPaused, StatusUnsubscribed, StatusBounced}

// Valid reports whether s is one of SubscriberStatuses.
func (s SubscriberStatus) Valid() bool {
	return slices.Contains(SubscriberStatuses, s)
}

// Subscriber is one reader of the digest.
type Subscriber struct {
	ID       int64
	Email    string // normalised: trimmed, domain lower-cased
	Name     string
	Topics   []string // empty means all topics
	TimeZone string   // IANA name, e.g. "Europe/Berlin"
	SendTime string   // local "HH:MM"
	// Frequency is "daily" (also when empty), "weekdays" or
	// "weekly:<day>"; see ParseFrequency.
	Frequency Frequency
	Status    SubscriberStatus
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Location returns the subscriber's time zone, UTC when unset or unknown.
func (s Subscriber) Location() *time.Location {
	if s.TimeZone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(s.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// ZoneDate asks a planning query about one local date in one time zone:
// the subscribers in TimeZone whose send time is not after Until ("HH:MM",
// or "24:00" for a date that has ended), whose frequency sends on Date,
// and who have no finished ledger row for its edition (Date, or Week for
// a weekly reader). NewZoneDate fills the frequency fields.
type ZoneDate struct {
	TimeZone string // as stored in Subscriber.TimeZone
	Date     string // YYYY-MM-DD
	Until    string // the latest local wall clock the date has reached
	// Week is the ISO week of Date (the ledger key of weekly editions),
	// Weekly the weekly frequency that sends on Date ("weekly:fri"), and
	// Weekday whether Date is Monday to Friday.
	Week    string
	Weekly  Frequency
	Weekday bool
}

// NewZoneDate returns the ZoneDate of day's local date (day in the zone's
// location) up to the wall clock until.
func NewZoneDate(zone string, day time.Time, until string) ZoneDate {
	wd := day.Weekday()
	return ZoneDate{
		TimeZone: zone, Date: day.Format(time.DateOnly), Until: until,
		Week: WeekKey(day), Weekly: Weekly(wd), Weekday: wd != time.Saturday && wd != time.Sunday,
	}
}

// DueQuery is one page of a planning query: the pairs of ZoneDates' dates
// and active subscribers after (AfterID, AfterDate), in (ID, date) order.
type DueQuery struct {
	Dates     []ZoneDate
	AfterID   int64
	AfterDate string
	Limit     int
}

// DueCandidate is an active subscriber and a local date with no finished
// ledger row for the subscriber's edition of it. The store's test of send time is only a first sieve:
// whether the digest is due at an instant (DST, frequency) is the
// planner's decision.
type DueCandidate struct {
	// Subscriber has at least the fields planning reads: ID, TimeZone,
	// SendTime, Frequency, Status and CreatedAt. A store may leave the
	// others empty (store.DB does: a million candidates' names, topics
	// and addresses were most of what the planner's client allocated).
	Subscriber Subscriber
	Date       string
}

// Edition is one digest for one recipient and one local date.
type Edition struct {
	Date string // local date, YYYY-MM-DD
	// Key is the ledger key: Date for a daily edition, the ISO week
	// (YYYY-Www) of a weekly one.
	Key string
	// Weekly marks the weekly edition: the week's stories, ranked over
	// seven days; More then counts the week's stories left out.
	Weekly      bool
	Recipient   Subscriber
	Stories     []Story
	More        int    // stories left out to respect limits
	Lead        string // optional opening paragraph
	GeneratedAt time.Time
	Since       time.Time // stories newer than this were considered
	// Links the renderer puts in the message.
	UnsubscribeURL    string // https one-click URL, empty when no base URL
	UnsubscribeMailto string // mailto: fallback
	PreferencesURL    string
	ArchiveURL        string
}

// Message is a rendered email, ready for a Mailer.
type Message struct {
	From      string
	To        string
	ToName    string
	Subject   string
	MessageID string // without angle brackets
	Date      time.Time
	// Edition is the ledger key of the edition the message carries: the
	// recipient's local date (YYYY-MM-DD), or the week of a weekly edition
	// (YYYY-Www). Empty for messages that are not editions.
	Edition string
	Text    string
	HTML    string
	// ListID is the List-Id header value, e.g. "Trade digest <digest.example.com>".
	ListID            string
	UnsubscribeURL    string // https one-click URL (RFC 8058)
	UnsubscribeMailto string
}

// DeliveryStatus is the state of a ledger row.
type DeliveryStatus string

// Delivery states. A row moves pending → sending (leased) → sent | failed,
// and back to pending on a temporary failure or an expired lease.
const (
	DeliveryPending DeliveryStatus = "pending"
	DeliverySending DeliveryStatus = "sending"
	DeliverySent    DeliveryStatus = "sent"
	DeliveryFailed  DeliveryStatus = "failed"
	DeliverySkipped DeliveryStatus = "skipped" // nothing to send (empty edition)
)

// Delivery is the ledger row for one recipient and one edition date; it is
// the source of truth for "was this digest sent".
type Delivery struct {
	ID           int64
	SubscriberID int64 // 0 for ad-hoc recipients (digest now --to)
	Email        string
	EditionDate  string // YYYY-MM-DD in the recipient's time zone
	MessageID    string
	Status       DeliveryStatus
	Attempts     int
	Generation   int // bumped by --force so a resend gets a new Message-ID
	LeaseUntil   time.Time
	NextAttempt  time.Time
	LastError    string
	Stories      int // number of stories sent
	CreatedAt    time.Time
	UpdatedAt    time.Time
	SentAt       time.Time
}

// DeliveryKey names one ledger row: an address and an edition's key.
type DeliveryKey struct {
	Email       string
	EditionDate string
}

// DeliveryState is what the engine reads of the ledger before composing a
// delivery: the row of its key (ID 0 and no status when there is none)
// and when the last digest to the address was sent (zero when never).
type DeliveryState struct {
	ID       int64
	Status   DeliveryStatus
	LastSent time.Time
}

// SourceState is what the store remembers about a source between runs.
type SourceState struct {
	SourceID            string
	ETag                string
	LastModified        string
	LastSuccess         time.Time
	LastAttempt         time.Time
	LastError           string
	ConsecutiveFailures int
	FirstGathered       time.Time // zero until the first successful gather
}

// FetchResult is what one source yielded.
type FetchResult struct {
	Articles    []Article
	State       SourceState // updated validators (ETag, Last-Modified)
	NotModified bool        // conditional GET answered 304
	Bytes       int64       // bytes transferred
	// Warnings are per-item problems that did not fail the source.
	Warnings []string
	// HostsFailed are the hosts (a name, or name:port) that cost the
	// source a request by failing to resolve, to connect or to agree on
	// TLS; Skipped counts its requests not sent because their host had
	// already failed in the run. Set on error too.
	HostsFailed []string
	Skipped     int
	// Known marks, in index order, the articles that the store held
	// already when the source asked the lookup given to it (see
	// StoredKeys): the source left out their costly reading (the text's
	// cleaning and language), so their Text, ContentHash and Language
	// are empty, and they are not to be stored again.
	Known []KnownArticle
}

// KnownArticle marks an article of a FetchResult as a stored one's
// duplicate, as SaveArticles would have found it.
type KnownArticle struct {
	Index int    // in FetchResult.Articles
	Of    int64  // the stored article's ID
	Key   string // DuplicateURL or DuplicateGUID
}

// StoredKeys are the stored articles found under some of a source's
// item keys: by canonical URL, whatever their source, and by GUID within
// the source. Keys are compared as the store keeps them (StorableText).
type StoredKeys struct {
	ByURL  map[string]int64
	ByGUID map[string]int64
}

// KeyLookup returns the stored articles under the given canonical URLs
// and the given GUIDs of one source; the engine gives one to a source
// that can use it (see FetchResult.Known).
type KeyLookup func(ctx context.Context, urls, guids []string) (StoredKeys, error)

// Sentinel errors shared by implementations.
var (
	// ErrNotFound is returned by stores when a row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a unique row already exists.
	ErrConflict = errors.New("already exists")
	// ErrPermanent marks a delivery failure that must not be retried
	// (SMTP 5xx, invalid address).
	ErrPermanent = errors.New("permanent delivery failure")
	// ErrLeased is returned by ClaimDelivery when another worker holds the row.
	ErrLeased = errors.New("delivery is leased by another worker")
	// ErrAlreadySent is returned by ClaimDelivery when the row is sent or
	// permanently failed.
	ErrAlreadySent = errors.New("delivery already done")
	// ErrLedger marks a failure to write the delivery ledger. A run that
	// meets it stops sending: a message whose outcome cannot be recorded
	// may be sent again later.
	ErrLedger = errors.New("delivery ledger unavailable")
	// ErrNotSending is returned by the ledger's MarkSent, MarkFailed and
	// MarkSkipped when the row is not in status sending: it was never
	// claimed, or another worker finished it after this worker's lease ran
	// out.
	ErrNotSending = errors.New("delivery is not being sent")
)

// IsPermanent reports whether a delivery error must not be retried.
func IsPermanent(err error) bool { return errors.Is(err, ErrPermanent) }

// ContentHash returns the hex SHA-256 of text after normalisation: case
// folded, punctuation dropped, whitespace collapsed. Two copies of one article
// that differ only in markup or spacing hash alike.
func ContentHash(text string) string {
	var buf [1024]byte
	sum := sha256.Sum256(appendNormalised(buf[:0], text)) // no string of it
	return hex.EncodeToString(sum[:])
}
