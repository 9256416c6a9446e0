// Package api is the authenticated admin HTTP API of `digest serve`, under
// /api/v1/: subscribers (list, get, create, update, delete, CSV import, event
// log), sources (health, add, remove, check now), runs, editions, and jobs
// (a gather or a whole run enqueued now).
//
// Every request carries `Authorization: Bearer <token>`; the token is
// compared in constant time and never logged. Bodies are bounded, JSON is
// decoded strictly (unknown fields are errors), and every error is JSON:
// {"error": "...", "field": "...", "line": N}. The OpenAPI 3.1 description
// is embedded (openapi.json) and served at /api/v1/openapi.json; a test
// checks it against the routes registered here.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/roster"
	"github.com/tradedigest/tradedigest/internal/defaults"
)

// MinTokenLength is the shortest admin token accepted.
const MinTokenLength = 32

// Prefix is where the API is mounted.
const Prefix = "/api/v1/"

//go:embed openapi.json
var openAPI []byte

// Store is what the API needs from the store; store.DB satisfies it.
// Errors: digest.ErrNotFound for an absent row, digest.ErrConflict from
// AddSubscriber when the email exists.
type Store interface {
	AddSubscriber(ctx context.Context, s digest.Subscriber) (digest.Subscriber, error)
	UpsertSubscribers(ctx context.Context, subs []digest.Subscriber) (inserted, updated int, err error)
	UpdateSubscriber(ctx context.Context, s digest.Subscriber) error
	Subscriber(ctx context.Context, id int64) (digest.Subscriber, error)
	SubscriberByEmail(ctx context.Context, email string) (digest.Subscriber, error)
	ListSubscribers(ctx context.Context, f digest.SubscriberFilter) ([]digest.Subscriber, error)
	DeleteSubscriber(ctx context.Context, id int64) error
	SubscriberEvents(ctx context.Context, subscriberID int64, limit int) ([]digest.SubscriberEvent, error)
	RecordEvents(ctx context.Context, r digest.Receipt, evs []digest.SubscriberEvent, p digest.EventPolicy) ([]digest.SubscriberEvent, error)
	Runs(ctx context.Context, limit int) ([]digest.RunRecord, error)
	Run(ctx context.Context, id int64) (digest.RunRecord, error)
	Editions(ctx context.Context, limit int) ([]digest.ArchivedEdition, error)
	Edition(ctx context.Context, date string) (digest.ArchivedEdition, error)
}

// SourceHealth is one source and how its fetches went.
type SourceHealth struct {
	Source              string    `json:"source"`
	LastSuccess         time.Time `json:"last_success,omitzero"`
	LastAttempt         time.Time `json:"last_attempt,omitzero"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	LastError           string    `json:"last_error,omitempty"`
	Articles            int       `json:"articles_this_check"`
	NotModified         bool      `json:"not_modified,omitempty"`
}

// ErrInvalid marks a value the caller sent that cannot be used (a source
// that is neither an http(s) URL nor a path).
var ErrInvalid = errors.New("invalid")

// Sources manages what is gathered. Add returns the source as stored
// (normalised), digest.ErrConflict when it is already there, and an error
// wrapping ErrInvalid for a bad one; Remove returns digest.ErrNotFound for a
// source that was not added (sources of the config file are removed there).
type Sources interface {
	List(ctx context.Context) ([]SourceHealth, error)
	Add(ctx context.Context, source string) (string, error)
	Remove(ctx context.Context, source string) error
	// Check fetches every source now and returns their health.
	Check(ctx context.Context) ([]SourceHealth, error)
}

// Job is a queued job as the API shows it.
type Job struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	State       string    `json:"state"`
	Attempt     int       `json:"attempt"`
	Duplicate   bool      `json:"duplicate,omitempty"`
	CreatedAt   time.Time `json:"created_at,omitzero"`
	FinalizedAt time.Time `json:"finalized_at,omitzero"`
	Errors      []string  `json:"errors,omitempty"`
}

// Jobs enqueues work now. Enqueue takes "gather" (fetch every source) or
// "run" (gather, then plan and send the digests that are due); when the
// same job is already waiting its id comes back with Duplicate set. Job
// returns digest.ErrNotFound for an unknown id.
type Jobs interface {
	Enqueue(ctx context.Context, kind string) (Job, error)
	Job(ctx context.Context, id int64) (Job, error)
}

// Config configures the API. Token, Store and Roster are required.
type Config struct {
	// Token is the bearer token (DIGEST_ADMIN_TOKEN), at least
	// MinTokenLength characters.
	Token string
	Store Store
	// Roster validates subscribers as the CLI does (topics, defaults).
	Roster roster.Options
	// Sources, Jobs: nil answers 404 on their routes.
	Sources Sources
	Jobs    Jobs
	// MaxBodyBytes bounds JSON bodies (64 KiB); MaxImportBytes bounds a
	// CSV import (16 MiB, about 250,000 rows).
	MaxBodyBytes   int64
	MaxImportBytes int64
	// CheckTimeout bounds "check now" (2 min): every source is fetched.
	CheckTimeout time.Duration
	Logger       *slog.Logger
}

// API serves /api/v1/. Create it with New.
type API struct {
	cfg      Config
	tokenSum [sha256.Size]byte
	log      *slog.Logger
	handler  http.Handler
}

// New checks cfg and returns the API.
func New(cfg Config) (*API, error) {
	if len(cfg.Token) < MinTokenLength {
		return nil, fmt.Errorf("admin api: the token must be at least %d characters", MinTokenLength)
	}
	if cfg.Store == nil {
		return nil, errors.New("admin api: Store is required")
	}
	cfg.MaxBodyBytes = defaults.PositiveOr(cfg.MaxBodyBytes, 64<<10)
	cfg.MaxImportBytes = defaults.PositiveOr(cfg.MaxImportBytes, 16<<20)
	cfg.CheckTimeout = defaults.PositiveOr(cfg.CheckTimeout, 2*time.Minute)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{cfg: cfg, tokenSum: sha256.Sum256([]byte(cfg.Token)), log: cfg.Logger.With("component", "admin_api")}
	a.cfg.Token = "" // only its hash is kept
	mux := http.NewServeMux()
	for _, r := range a.routes() {
		mux.Handle(r.Method+" "+r.Path, r.handler)
	}
	// Anything else under the prefix is a JSON 404, not the mux's text.
	mux.HandleFunc(Prefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, &Error{Status: http.StatusNotFound, Message: "no such endpoint: " + r.Method + " " + r.URL.Path})
	})
	a.handler = a.authenticate(mux)
	return a, nil
}

// Handler returns the API's handler; mount it at Prefix.
func (a *API) Handler() http.Handler { return a.handler }

// Route is one registered endpoint.
type Route struct {
	Method, Path string // as in the OpenAPI document: "GET", "/api/v1/subscribers/{id}"
	handler      http.Handler
}

// Routes lists the registered endpoints, for the OpenAPI drift test.
func (a *API) Routes() []Route { return a.routes() }

func (a *API) routes() []Route {
	h := func(method, path string, f func(http.ResponseWriter, *http.Request) error) Route {
		return Route{Method: method, Path: path, handler: a.handle(f)}
	}
	rs := []Route{
		h("GET", "/api/v1/openapi.json", a.openAPIDoc),
		h("GET", "/api/v1/subscribers", a.listSubscribers),
		h("POST", "/api/v1/subscribers", a.createSubscriber),
		h("POST", "/api/v1/subscribers/import", a.importSubscribers),
		h("GET", "/api/v1/subscribers/{id}", a.getSubscriber),
		h("PATCH", "/api/v1/subscribers/{id}", a.updateSubscriber),
		h("DELETE", "/api/v1/subscribers/{id}", a.deleteSubscriber),
		h("GET", "/api/v1/subscribers/{id}/events", a.subscriberEvents),
		h("GET", "/api/v1/runs", a.listRuns),
		h("GET", "/api/v1/runs/{id}", a.getRun),
		h("GET", "/api/v1/editions", a.listEditions),
		h("GET", "/api/v1/editions/{date}", a.getEdition),
	}
	if a.cfg.Sources != nil {
		rs = append(rs,
			h("GET", "/api/v1/sources", a.listSources),
			h("POST", "/api/v1/sources", a.addSource),
			h("DELETE", "/api/v1/sources", a.removeSource),
			h("POST", "/api/v1/sources/check", a.checkSources),
		)
	}
	if a.cfg.Jobs != nil {
		rs = append(rs,
			h("POST", "/api/v1/jobs", a.enqueueJob),
			h("GET", "/api/v1/jobs/{id}", a.getJob),
		)
	}
	return rs
}

// authenticate refuses a request without the right bearer token. Both
// sides are hashed first, so the comparison takes the same time whatever
// the length of what was sent.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		sum := sha256.Sum256([]byte(strings.TrimSpace(tok)))
		if !ok || !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(sum[:], a.tokenSum[:]) != 1 {
			h.Set("WWW-Authenticate", `Bearer realm="digest admin api"`)
			writeError(w, &Error{Status: http.StatusUnauthorized, Message: "missing or wrong bearer token (Authorization: Bearer $DIGEST_ADMIN_TOKEN)"})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// Error is an API error: its status and the JSON body
// {"error", "field", "line", "errors"}.
type Error struct {
	Status  int         `json:"-"`
	Message string      `json:"error"`
	Field   string      `json:"field,omitempty"`
	Line    int         `json:"line,omitempty"`
	Errors  []LineError `json:"errors,omitempty"`
}

// LineError is one bad row of an import.
type LineError struct {
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

func errorf(status int, field, format string, args ...any) *Error {
	return &Error{Status: status, Field: field, Message: fmt.Sprintf(format, args...)}
}

// handle adapts a handler that returns an error: an *Error is written as
// it is, a not-found as 404, anything else as a logged 500 whose detail
// stays in the log.
func (a *API) handle(f func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := f(w, r)
		if err == nil {
			return
		}
		var ae *Error
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &ae):
		case errors.As(err, &mbe):
			ae = errorf(http.StatusRequestEntityTooLarge, "", "request body larger than %d bytes", mbe.Limit)
		case errors.Is(err, digest.ErrNotFound):
			ae = errorf(http.StatusNotFound, "", "not found")
		case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
			ae = errorf(http.StatusServiceUnavailable, "", "the request timed out or was cancelled")
		default:
			a.log.Error("admin api request failed", "method", r.Method, "path", r.URL.Path, "error", err)
			ae = errorf(http.StatusInternalServerError, "", "internal error (see the server log)")
		}
		writeError(w, ae)
	})
}

func writeError(w http.ResponseWriter, e *Error) {
	writeJSON(w, e.Status, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client may be gone; nothing else to tell it
}

// decodeJSON reads one JSON object of at most MaxBodyBytes into v,
// refusing unknown fields and trailing data.
func (a *API) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, a.cfg.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return errorf(http.StatusBadRequest, ute.Field, "field %s: want %s", ute.Field, ute.Type)
		}
		if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return errorf(http.StatusBadRequest, strings.Trim(f, `"`), "unknown field %s", f)
		}
		return errorf(http.StatusBadRequest, "", "the body is not a JSON object: %v", err)
	}
	if dec.More() {
		return errorf(http.StatusBadRequest, "", "the body has data after the JSON object")
	}
	return nil
}

func (a *API) openAPIDoc(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(openAPI)
	return err
}
