package digest

import (
	"context"
	"time"
)

// Source yields articles. Implementations: feed.Feed (RSS, Atom, JSON Feed
// over HTTP or from a file), feed.File (a local article), feed.Dir.
type Source interface {
	// ID is the stable key of the source (absolute URL or absolute path).
	ID() string
	// Name is the outlet's display name.
	Name() string
	// Fetch reads the source. prev carries the validators of the last
	// successful fetch (for conditional GET). It returns an error naming the
	// source when the source as a whole cannot be read; per-item problems go
	// to FetchResult.Warnings.
	Fetch(ctx context.Context, prev SourceState) (FetchResult, error)
}

// Summarizer turns one story's text into a Summary.
//
// Implementations: summarize.Extractive (offline default) and
// summarize.OpenAI (LLM with fallback).
type Summarizer interface {
	// Version names the backend, model and prompt version. Summaries are
	// cached by (content hash, Version); a new version means new summaries.
	Version() string
	// Summarize returns a summary of req. An LLM-backed implementation falls
	// back to its extractive summariser rather than fail, and says so in
	// Summary.Fallback; an error means no summary at all could be made.
	Summarize(ctx context.Context, req SummaryRequest) (Summary, error)
}

// Clusterer groups articles about the same event into stories.
type Clusterer interface {
	// Cluster returns stories, each with its lead article first. It must be
	// deterministic for the same input.
	Cluster(ctx context.Context, articles []Article) ([]Story, error)
}

// Ranker decides which stories are on topic and in what order they run.
// It reads each story's text once per run: the engine ranks the clustered
// stories with RankSplit, summarises the kept ones and orders them again
// with Rerank, instead of ranking every story twice and assessing the
// dropped ones a third time for their account.
type Ranker interface {
	// RankSplit sets Topics, Relevance and Score on each story and returns
	// those at or above the relevance threshold, best first, and the ones
	// it drops, with their Relevance set (for the account of their
	// articles).
	RankSplit(stories []Story, now time.Time) (kept, dropped []Story)
	// Rerank orders stories that RankSplit kept once their summaries are
	// set (summaries may carry topics and importance that refine the
	// rank), without assessing their texts again.
	Rerank(stories []Story, now time.Time) []Story
	// Threshold is the relevance below which a story is dropped.
	Threshold() float64
	// RankWeek orders a week's stories for the weekly edition, so that a
	// story's age weighs as much across seven days as it does across one:
	// the weekly edition leads with the week's most important stories, not
	// its last day's.
	RankWeek(stories []Story, now time.Time) []Story
}

// Assessment is what a Ranker reads in a story's lead article (its title
// and text): the relevance and topics before any summary refines them.
type Assessment struct {
	Relevance float64
	Topics    []string
}

// AssessingRanker is a Ranker whose reading of a lead article can be kept
// between runs (AssessmentStore): a run ranks its window's stories with
// the kept assessments of their leads and reads only the other leads'
// texts. A window's stories are mostly those of the last run (a run at
// 800 feeds ranks ~41,000 stories to place ~2,400 new articles).
type AssessingRanker interface {
	Ranker
	// AssessmentVersion names the rules and settings assessments are
	// made under: one kept under another version is made again. Empty:
	// keep none.
	AssessmentVersion() string
	// AssessLeads assesses each story's lead article (by index); the
	// leads carry their texts.
	AssessLeads(stories []Story) []Assessment
	// RankAssessed is RankSplit for stories whose leads' assessments are
	// given (by story index) instead of read from their texts.
	RankAssessed(stories []Story, assessed []Assessment, now time.Time) (kept, dropped []Story)
}

// AssessmentStore keeps the assessments of lead articles
// (AssessingRanker). They are a cache: a run that cannot read or keep them
// assesses the texts.
type AssessmentStore interface {
	// Assessments returns the assessments kept under version for the
	// articles with these ids, by id; the others are left out.
	Assessments(ctx context.Context, version string, ids []int64) (map[int64]Assessment, error)
	// SaveAssessments keeps the assessments (by article id) under
	// version, in place of any kept for those articles before.
	SaveAssessments(ctx context.Context, version string, assessed map[int64]Assessment) error
}

// Renderer turns an edition into an email message.
type Renderer interface {
	// Render returns the message for ed. It returns an error only when the
	// templates fail; size limits are enforced by trimming stories and
	// setting Edition.More.
	Render(ed Edition) (Message, error)
}

// Mailer delivers messages. Send may be called from many goroutines.
//
// Errors wrap ErrPermanent when the message must not be retried (SMTP 5xx,
// rejected address); any other error is temporary.
type Mailer interface {
	Send(ctx context.Context, msg Message) error
}

// ArticleStore keeps articles, deduplicated.
type ArticleStore interface {
	// SaveArticles stores articles not already known by canonical URL, GUID
	// (within a source) or IdentityKey, all in one transaction, and returns
	// what it did with each, in input order: stored with its new ID, or a
	// duplicate of which stored article by which key.
	SaveArticles(ctx context.Context, articles []Article) ([]Saved, error)
	// ArticlesSince returns articles published (or first seen) after since,
	// oldest first.
	ArticlesSince(ctx context.Context, since time.Time) ([]Article, error)
}

// KeptArticle is an article as a run clusters it from what was kept of it
// (FeatureStore): without its text, with the clusterer's encoded features
// (nil when none were kept) and the story the last run put it in (the
// smallest article ID of that story; 0 when none).
type KeptArticle struct {
	Article  Article
	Features []byte
	// Head is what FeatureStore.KeptArticlesSince gives of the features
	// instead of Features: their first KeptHead bytes (nil when none
	// were kept), which say whether they are current
	// (KeepingClusterer.KeptCurrent). A window's encoded features were
	// most of a run's peak of memory when it read them at once: the
	// clusterer reads them a batch at a time (KeptReader).
	Head  []byte
	Story int64
	// Assessed, when set, is the article's assessment for ranking
	// (AssessingRanker), kept with its features.
	Assessed *KeptAssessment
}

// KeptAssessment is an assessment kept with an article's features
// (KeptArticle.Assessed), under the version of the rules that made it
// (AssessingRanker.AssessmentVersion).
type KeptAssessment struct {
	Version string
	Assessment
}

// KeptHead is how many of the kept features' first bytes the window's
// articles come with (KeptArticle.Head): KeepingClusterer.KeptCurrent
// reads no more.
const KeptHead = 2

// ArticleDetail is what FeatureStore.KeptArticlesSince leaves out of an
// article besides its text: clustering reads none of it, and a run reads
// it back only for the articles that need it (the leads of the stories,
// whose content hash keys them and their summaries).
type ArticleDetail struct {
	GUID        string
	ContentHash string
	FetchedAt   time.Time
}

// set sets the detail on a.
func (d ArticleDetail) set(a *Article) {
	a.GUID, a.ContentHash, a.FetchedAt = d.GUID, d.ContentHash, d.FetchedAt
}

// FeatureStore is an ArticleStore that keeps what clustering needs of each
// article, so that a run clusters its new articles against the window's
// stories and reads texts only where it needs them.
type FeatureStore interface {
	// KeptArticlesSince returns the articles published after since,
	// oldest first, as ArticlesSince does but without their texts and
	// details (ArticleDetail), each with the story kept for it and the
	// head of its kept features (KeptArticle.Head), not the features.
	KeptArticlesSince(ctx context.Context, since time.Time) ([]KeptArticle, error)
	// ArticleDetails returns the details of the articles with these IDs,
	// by ID.
	ArticleDetails(ctx context.Context, ids []int64) (map[int64]ArticleDetail, error)
	// SaveKept keeps the features and story of each article by its ID; an
	// entry without Features only sets the story.
	SaveKept(ctx context.Context, kept []KeptArticle) error
	// ArticleTexts returns the texts of the articles with these IDs, by
	// ID.
	ArticleTexts(ctx context.Context, ids []int64) (map[int64]string, error)
	// KeptFeatures returns the features kept for the articles with these
	// IDs, by ID (a KeptReader); articles with none are left out.
	KeptFeatures(ctx context.Context, ids []int64) (map[int64][]byte, error)
}

// KeptReader reads the kept features of articles again, by ID
// (FeatureStore.KeptFeatures), for a KeepingClusterer that need not hold
// a window's features while it reads them twice.
type KeptReader func(ctx context.Context, ids []int64) (map[int64][]byte, error)

// WindowLoader is implemented by a KeepingClusterer that prepares for the
// window a run loads for it (cmd/digest holds the collector to a lower
// target while a window is clustered, and the window's articles and kept
// features, loaded just before, are the first part of that peak).
// LoadingWindow is called before they are loaded; the function it returns,
// once they are clustered or the run gives up. It is called again around
// the account of the window's articles (a line for each, beside the
// stories), the run's other window-sized step. Ranking, which allocates
// much and holds little, is bracketed by Ranking instead, and so is the
// saving of the run's report with that account (Engine.SaveRun).
type WindowLoader interface {
	LoadingWindow() (done func())
	Ranking() (done func())
}

// KeepingClusterer is a Clusterer that reads an article's text once and
// keeps what it read (features, encoded for a FeatureStore), and that
// clusters new articles against the stories of an earlier run.
type KeepingClusterer interface {
	Clusterer
	// KeptCurrent reports whether kept features can be used as they are;
	// otherwise (none, or kept by another version) the text is read again.
	// It reads the first KeptHead bytes only (KeptArticle.Head).
	KeptCurrent(features []byte) bool
	// EncodeFeatures returns the features of a stored article, read from
	// its title and text, encoded for a FeatureStore: the gather keeps
	// them while the text is in hand, so that no run reads the text again
	// to cluster it.
	EncodeFeatures(a Article) []byte
	// ClusterKept is Cluster for articles with their kept features, by
	// index (an article without current features must have its text, and
	// its features, read from it, come back encoded, by index; nil for
	// the others), and the stories of an earlier run (prior, see
	// KeptArticle.Story; 0 for a new article): earlier stories stay
	// together and only new articles are linked. It may set the entries of
	// features to nil once it has read them, so that a window's features
	// are not held both encoded and decoded, and read them again with
	// again (may be nil) when it needs them a second time; features that
	// changed in between make it fail (the window must be read again).
	// With again, the entries of features need only be their heads
	// (KeptArticle.Head): the features are read with again, a batch at a
	// time, and must still be current (ErrKeptChanged).
	ClusterKept(ctx context.Context, articles []Article, features [][]byte, prior []int64, again KeptReader) ([]Story, [][]byte, error)
}

// Saved is what SaveArticles did with one article.
type Saved struct {
	// Article is the article as given, cleaned; when New, with its ID and
	// ContentHash set and its times as stored.
	Article Article
	New     bool
	// DuplicateOf is the ID of the stored article this one repeats (0 when
	// New), and Key the identity they share: DuplicateURL, DuplicateGUID or
	// DuplicateContent.
	DuplicateOf int64
	Key         string
}

// The keys under which SaveArticles finds an article already stored.
const (
	DuplicateURL     = "url"     // the same canonical URL
	DuplicateGUID    = "guid"    // the same GUID within one source
	DuplicateContent = "content" // the same IdentityKey: title and text
)

// SourceStore keeps per-source state between runs.
type SourceStore interface {
	// SourceState returns the state of a source; a zero state with
	// SourceID set and a nil error when the source is unknown.
	SourceState(ctx context.Context, sourceID string) (SourceState, error)
	SaveSourceState(ctx context.Context, st SourceState) error
}

// SummaryStore caches summaries by content hash and summariser version.
type SummaryStore interface {
	// Summary returns ErrNotFound when no summary is cached.
	Summary(ctx context.Context, contentHash, version string) (Summary, error)
	// SaveSummary stores s; saving the same (hash, version) twice keeps the
	// first.
	SaveSummary(ctx context.Context, s Summary) error
}

// SubscriberKinds is implemented by subscriber stores that can tell in one
// statement which kinds of edition their active subscribers get: a run
// then chooses the stories to summarise without reading every subscriber
// before it reads them all again to deliver.
type SubscriberKinds interface {
	// ActiveSubscriberKinds returns the distinct (topics, time zone,
	// frequency) of the active subscribers, each as a Subscriber with
	// only those set.
	ActiveSubscriberKinds(ctx context.Context) ([]Subscriber, error)
}

// SubscriberStore keeps the subscriber list (with SubscriberPages and
// EngineStore.SetSubscriberStatus).
type SubscriberStore interface {
	// AddSubscriber inserts s and returns it with its ID; ErrConflict when
	// the email exists.
	AddSubscriber(ctx context.Context, s Subscriber) (Subscriber, error)
	// UpsertSubscribers inserts or updates (by email) all of subs in one
	// transaction and returns how many were inserted and updated.
	UpsertSubscribers(ctx context.Context, subs []Subscriber) (inserted, updated int, err error)
	// UpdateSubscriber changes name, topics, time zone, send time and status
	// of the subscriber with s.ID; ErrNotFound when absent.
	UpdateSubscriber(ctx context.Context, s Subscriber) error
	// Subscriber returns ErrNotFound when absent.
	Subscriber(ctx context.Context, id int64) (Subscriber, error)
	// SubscriberByEmail returns ErrNotFound when absent.
	SubscriberByEmail(ctx context.Context, email string) (Subscriber, error)
	// DeleteSubscriber removes the subscriber; ledger rows keep the email.
	DeleteSubscriber(ctx context.Context, id int64) error
}

// Ledger is the delivery ledger as the engine writes it: one row per
// (email, edition date). LedgerReader has the rest.
type Ledger interface {
	// EnsureDelivery creates the row for (d.Email, d.EditionDate) when absent
	// and returns the stored row either way.
	EnsureDelivery(ctx context.Context, d Delivery) (Delivery, error)
	// ClaimDelivery leases the row for sending until now+lease. It succeeds
	// when the row is pending and due, or sending with an expired lease. It
	// returns ErrAlreadySent when the row is sent, failed or skipped, and
	// ErrLeased when another worker holds a live lease or it is not due.
	ClaimDelivery(ctx context.Context, id int64, now time.Time, lease time.Duration) (Delivery, error)
	// MarkSent records success (call right after the server's 250).
	MarkSent(ctx context.Context, id int64, now time.Time, stories int) error
	// MarkSkipped records that nothing was sent (empty edition).
	MarkSkipped(ctx context.Context, id int64, now time.Time, reason string) error
	// MarkFailed records a failure. permanent: status failed, never retried;
	// otherwise status pending and due again at retryAt.
	MarkFailed(ctx context.Context, id int64, now time.Time, reason string, permanent bool, retryAt time.Time) error
	// ResetDelivery makes a sent row pending again with Generation+1
	// (digest now --force).
	ResetDelivery(ctx context.Context, id int64, now time.Time) (Delivery, error)
	// DeliveryFor returns the row for (email, date); ErrNotFound when absent.
	DeliveryFor(ctx context.Context, email, date string) (Delivery, error)
	// LastSent returns when the last digest to email was sent; zero when never.
	LastSent(ctx context.Context, email string) (time.Time, error)
	// DeliveryStates reads, for each key, its row's ID and status and the
	// address's last send (DeliveryFor and LastSent for many at once).
	DeliveryStates(ctx context.Context, keys []DeliveryKey) ([]DeliveryState, error)
	// ClaimDeliveries leases many rows for sending until now+lease: a
	// request with an ID claims that row as ClaimDelivery does; one without
	// creates the row of (Email, EditionDate) already claimed. Per request it
	// returns the claimed row or ErrAlreadySent, ErrLeased (another worker
	// holds or made the row) or a store error.
	ClaimDeliveries(ctx context.Context, reqs []Delivery, now time.Time, lease time.Duration) ([]Delivery, []error)
	// ReleaseDeliveries gives back claims that will not be sent: each row
	// of ids still sending under the lease that ends at leaseUntil is
	// pending again, its claim's attempt not counted. A row recorded or
	// taken over meanwhile is left alone.
	ReleaseDeliveries(ctx context.Context, ids []int64, leaseUntil time.Time) error
	// PermanentFailures counts failed rows for email (to mark bounces).
	PermanentFailures(ctx context.Context, email string) (int, error)
}

// LedgerReader reads the delivery ledger for the planner, the CLI and the
// API.
type LedgerReader interface {
	// Delivery returns ErrNotFound when absent.
	Delivery(ctx context.Context, id int64) (Delivery, error)
	// Deliveries lists rows, newest first, with the given status (all when empty).
	Deliveries(ctx context.Context, status DeliveryStatus, limit int) ([]Delivery, error)
	// ExpiredLeases lists up to limit rows still sending after their lease
	// ended before now, oldest lease first: their worker stopped between
	// claiming and recording the outcome.
	ExpiredLeases(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
}

// SettingStore keeps small named values, such as the generated local secret.
type SettingStore interface {
	// Setting returns ErrNotFound when absent.
	Setting(ctx context.Context, key string) (string, error)
	// SetSettingIfAbsent stores value unless key exists, and returns the
	// value that is stored after the call.
	SetSettingIfAbsent(ctx context.Context, key, value string) (string, error)
}

// RunStore reads the reports of past runs (EngineStore.SaveRun keeps
// them).
type RunStore interface {
	// Runs lists the newest runs first.
	Runs(ctx context.Context, limit int) ([]RunRecord, error)
	// Run returns ErrNotFound when absent.
	Run(ctx context.Context, id int64) (RunRecord, error)
	// RunArticles returns the account of the articles a run read
	// (Report.Articles as saved); empty when none was kept.
	RunArticles(ctx context.Context, id int64) ([]ArticleFate, error)
}

// EditionStore reads the public version of each day's edition for the web
// archive (EngineStore.SaveEdition keeps them).
type EditionStore interface {
	// Edition returns ErrNotFound when absent.
	Edition(ctx context.Context, date string) (ArchivedEdition, error)
	// Editions lists the newest first.
	Editions(ctx context.Context, limit int) ([]ArchivedEdition, error)
}

// EngineStore is what the engine reads and writes (Engine.Store): the
// articles, source states, summary cache, subscribers (paged, the
// planner's due query, their status on bounces), the ledger, run reports
// and the archive.
type EngineStore interface {
	ArticleStore
	SourceStore
	SummaryStore
	SubscriberPages
	Ledger
	// ActiveTimeZones lists the distinct time zones of active subscribers,
	// as stored.
	ActiveTimeZones(ctx context.Context) ([]string, error)
	// DueCandidates returns one page of the planning query q: active
	// subscribers paired with a date of q.Dates for their time zone, whose
	// send time has come by the date's Until and who have no sent, failed
	// or skipped ledger row for it, in (ID, date) order. One query per
	// page, however many subscribers and ledger rows there are. Only the
	// planning fields of each subscriber need be filled (DueCandidate).
	DueCandidates(ctx context.Context, q DueQuery) ([]DueCandidate, error)
	// SetSubscriberStatus returns ErrNotFound when absent.
	SetSubscriberStatus(ctx context.Context, id int64, status SubscriberStatus) error
	// SaveRun stores r and returns its ID.
	SaveRun(ctx context.Context, r RunRecord) (int64, error)
	// SaveEdition stores or replaces the public edition for its date.
	SaveEdition(ctx context.Context, e ArchivedEdition) error
}

// Store is everything the digest persists: what the engine needs and
// what the CLI, web pages, API and planner read and manage.
// Implementations: store.DB (SQLite and Postgres).
type Store interface {
	EngineStore
	SubscriberStore
	LedgerReader
	SettingStore
	RunStore
	EditionStore
	// SourceStates lists the state of every source.
	SourceStates(ctx context.Context) ([]SourceState, error)
	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	Close() error
}

// RunRecord is a stored run report.
type RunRecord struct {
	ID         int64
	Kind       string // "now", "gather", "deliver", ...
	StartedAt  time.Time
	FinishedAt time.Time
	Status     string // "ok", "partial", "failed"
	Report     Report
}

// ArchivedEdition is the public (non-personal) edition of one date.
type ArchivedEdition struct {
	Date      string
	Subject   string
	HTML      string
	Text      string
	Stories   int
	CreatedAt time.Time
	// Items are the stories the archive page shows, in its order: Items[i]
	// is the page's story i+1 (its "#story-N" anchor). Editions archived
	// before stories were kept have none.
	Items []ArchivedStory
}

// ArchivedStory is the public data of one story of an archived edition,
// kept for the per-story feed. The text is as the sources and the
// summariser gave it: readers of it escape it.
type ArchivedStory struct {
	Headline  string           `json:"headline"`
	Summary   string           `json:"summary,omitempty"`
	KeyPoints []string         `json:"key_points,omitempty"`
	URL       string           `json:"url,omitempty"` // the lead article's
	Outlets   []ArchivedOutlet `json:"outlets,omitempty"`
	Topics    []string         `json:"topics,omitempty"`
}

// ArchivedOutlet is one outlet that reported a story, with the URL of its
// report (empty for a local file).
type ArchivedOutlet struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}
