// Package metrics exposes the digest service's Prometheus metrics: what the
// gatherer fetched, what the summariser made and spent, what was delivered,
// how deep the job queue is and when each job kind last succeeded.
//
// Every Metrics value has its own registry, so tests and several services in
// one process never share counters.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/redact"
)

const namespace = "digest"

// DepthFunc reports how many jobs sit in the queue, by job state
// ("available", "running", "retryable", "scheduled", ...). It is called at
// scrape time.
type DepthFunc func(ctx context.Context) (map[string]int, error)

// Options configure New.
type Options struct {
	// Logger receives scrape-time errors (queue depth query failures).
	Logger *slog.Logger
	// DepthTimeout bounds the queue depth query at scrape time (2 s).
	DepthTimeout time.Duration
	// NoRuntime leaves out the Go runtime and process collectors.
	NoRuntime bool
}

// Metrics holds the service's collectors and their registry.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	articlesFetched  prometheus.Counter
	articlesNew      prometheus.Counter
	stories          *prometheus.GaugeVec
	storiesDropped   prometheus.Counter
	summaries        *prometheus.CounterVec
	summariesCached  prometheus.Counter
	summaryFallbacks prometheus.Counter
	unfaithful       prometheus.Counter
	tokens           *prometheus.CounterVec
	costUSD          prometheus.Counter
	deliveries       *prometheus.CounterVec
	lastSuccess      *prometheus.GaugeVec
	jobFailures      *prometheus.CounterVec
	sourceFailures   *prometheus.GaugeVec
	bounces          *prometheus.CounterVec
	complaints       prometheus.Counter
	unsubscribes     prometheus.Counter
	depth            *depthCollector

	// storyKinds are the run kinds that have reported stories; a later run
	// of such a kind that finds none sets its gauge to 0 rather than leave
	// the last count up.
	storyKinds sync.Map
}

// New returns Metrics registered on a fresh registry.
func New(opts Options) *Metrics {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.DepthTimeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		articlesFetched: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "articles_fetched_total",
			Help: "Articles read from sources, before deduplication.",
		}),
		articlesNew: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "articles_new_total",
			Help: "Articles stored for the first time.",
		}),
		stories: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "stories",
			Help: "Relevant stories found by the last run of each kind.",
		}, []string{"kind"}),
		storiesDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "stories_dropped_total",
			Help: "Stories dropped below the relevance threshold.",
		}),
		summaries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "summaries_total",
			Help: "Summaries made (not served from the cache), by backend.",
		}, []string{"backend"}),
		summariesCached: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "summaries_cached_total",
			Help: "Summaries served from the cache.",
		}),
		summaryFallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "summaries_fallback_total",
			Help: "Summaries where an LLM was asked but the extractive summary was used.",
		}),
		unfaithful: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "summaries_unfaithful_total",
			Help: "LLM summaries replaced by the extractive one because they stated figures or names the article does not support (after one retry).",
		}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "llm_tokens_total",
			Help: "LLM tokens spent, by type (prompt, completion).",
		}, []string{"type"}),
		costUSD: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "llm_cost_usd_total",
			Help: "Estimated LLM spending in US dollars.",
		}),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "deliveries_total",
			Help: "Delivery attempts by outcome (sent, already_sent, in_flight, empty, deferred, failed, error).",
		}, []string{"status"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "last_success_timestamp_seconds",
			Help: "Unix time of the last successful job, by job kind.",
		}, []string{"kind"}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "job_failures_total",
			Help: "Jobs that returned an error (and will be retried), by job kind.",
		}, []string{"kind"}),
		sourceFailures: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: namespace, Name: "source_consecutive_failures",
			Help: "Consecutive failed fetches of each source as of its last gather.",
		}, []string{"source"}),
		bounces: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "bounces_total",
			Help: "Bounces reported after the relay accepted a digest (webhooks, bounce mailbox), by kind (hard, soft).",
		}, []string{"kind"}),
		complaints: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "complaints_total",
			Help: "Spam complaints reported (feedback loops, webhooks); each unsubscribes the reader.",
		}),
		unsubscribes: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "mail_unsubscribes_total",
			Help: "Unsubscribe requests received by mail (List-Unsubscribe mailto:) or from a relay.",
		}),
		depth: &depthCollector{
			timeout: timeout,
			log:     log,
			desc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "queue", "jobs"),
				"Jobs in the durable queue, by state, counted at scrape time.", []string{"state"}, nil),
			errDesc: prometheus.NewDesc(prometheus.BuildFQName(namespace, "queue", "depth_up"),
				"1 when the queue depth could be counted at this scrape, else 0.", nil, nil),
		},
	}
	m.reg.MustRegister(m.articlesFetched, m.articlesNew, m.stories, m.storiesDropped,
		m.summaries, m.summariesCached, m.summaryFallbacks, m.unfaithful, m.tokens, m.costUSD,
		m.deliveries, m.lastSuccess, m.jobFailures, m.sourceFailures, m.bounces, m.complaints, m.unsubscribes, m.depth)
	if !opts.NoRuntime {
		m.reg.MustRegister(collectors.NewGoCollector(),
			collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Registry returns the registry, for callers that add collectors of their own.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogErrorLogger{m.log}})
}

// SetQueueDepth installs the function that counts queued jobs at scrape
// time; nil removes it.
func (m *Metrics) SetQueueDepth(f DepthFunc) {
	m.depth.set(f)
}

// ObserveReport turns the report of one run of the given kind ("gather",
// "summarise", "deliver", "now", ...) into counter increments. Source
// failure gauges are set from the sources the report lists.
func (m *Metrics) ObserveReport(kind string, rep digest.Report) {
	m.articlesFetched.Add(float64(rep.ArticlesFetched))
	m.articlesNew.Add(float64(rep.ArticlesNew))
	if rep.Stories > 0 || rep.StoriesDropped > 0 {
		m.storyKinds.Store(kind, true)
	}
	if _, ok := m.storyKinds.Load(kind); ok {
		m.stories.WithLabelValues(kind).Set(float64(rep.Stories))
	}
	m.storiesDropped.Add(float64(rep.StoriesDropped))
	for backend, n := range rep.SummariesByBackend {
		m.summaries.WithLabelValues(backend).Add(float64(n))
	}
	m.summariesCached.Add(float64(rep.SummariesCached))
	m.summaryFallbacks.Add(float64(rep.SummariesFallback))
	m.unfaithful.Add(float64(rep.SummariesUnfaithful))
	m.tokens.WithLabelValues("prompt").Add(float64(rep.PromptTokens))
	m.tokens.WithLabelValues("completion").Add(float64(rep.CompletionTokens))
	m.costUSD.Add(rep.CostUSD)
	for status, n := range map[digest.Outcome]int{
		digest.OutcomeSent:        rep.Sent,
		digest.OutcomeAlreadySent: rep.AlreadySent,
		digest.OutcomeInFlight:    rep.InFlight,
		digest.OutcomeEmpty:       rep.Empty,
		digest.OutcomeDeferred:    rep.Deferred,
		digest.OutcomeFailed:      rep.Failed,
	} {
		if n > 0 {
			m.deliveries.WithLabelValues(string(status)).Add(float64(n))
		}
	}
	for _, s := range rep.Sources {
		m.sourceFailures.WithLabelValues(redact.URL(s.ID)).Set(float64(s.Failures))
	}
}

// ObserveDelivery counts one delivery attempt by its outcome; an error
// without an outcome counts as "error".
func (m *Metrics) ObserveDelivery(outcome digest.Outcome, err error) {
	status := string(outcome)
	if status == "" {
		status = "error"
		if err == nil {
			return
		}
	}
	m.deliveries.WithLabelValues(status).Inc()
}

// ObserveSubscriberEvent counts one reported bounce, complaint or
// unsubscribe request.
func (m *Metrics) ObserveSubscriberEvent(kind digest.EventKind) {
	switch kind {
	case digest.EventHardBounce:
		m.bounces.WithLabelValues("hard").Inc()
	case digest.EventSoftBounce:
		m.bounces.WithLabelValues("soft").Inc()
	case digest.EventComplaint:
		m.complaints.Inc()
	case digest.EventUnsubscribe:
		m.unsubscribes.Inc()
	}
}

// ObserveJob records the end of one job of kind: its success time, or a
// failure.
func (m *Metrics) ObserveJob(kind string, at time.Time, err error) {
	if err != nil {
		m.jobFailures.WithLabelValues(kind).Inc()
		return
	}
	m.lastSuccess.WithLabelValues(kind).Set(float64(at.UnixNano()) / 1e9)
}

// depthCollector asks for the queue depth at scrape time, so the figure is
// fresh and nothing polls the database between scrapes.
type depthCollector struct {
	timeout time.Duration
	log     *slog.Logger
	desc    *prometheus.Desc
	errDesc *prometheus.Desc

	mu sync.RWMutex
	fn DepthFunc
}

func (c *depthCollector) set(f DepthFunc) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fn = f
}

func (c *depthCollector) get() DepthFunc {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.fn
}

func (c *depthCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.errDesc
}

func (c *depthCollector) Collect(ch chan<- prometheus.Metric) {
	f := c.get()
	if f == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	counts, err := f(ctx)
	if err != nil {
		c.log.Warn("count queued jobs", "error", err)
		ch <- prometheus.MustNewConstMetric(c.errDesc, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.errDesc, prometheus.GaugeValue, 1)
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// slogErrorLogger adapts slog to promhttp's error logger.
type slogErrorLogger struct{ log *slog.Logger }

func (l slogErrorLogger) Println(v ...any) {
	l.log.Error("serve metrics", "error", v)
}
