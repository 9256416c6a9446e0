package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/internal/redact"
)

// listLimit reads ?limit= for the runs and editions listings.
func listLimit(r *http.Request, def, most int) (int, error) {
	l := r.URL.Query().Get("limit")
	if l == "" {
		return def, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > most {
		return 0, errorf(http.StatusBadRequest, "limit", "limit must be 1–%d", most)
	}
	return n, nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, errorf(http.StatusNotFound, "", "no such id %q", r.PathValue("id"))
	}
	return id, nil
}

// RunSummary is a run in the listing; GET /runs/{id} adds the report.
type RunSummary struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`
	Status     string    `json:"status"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	Sources    int       `json:"sources"`
	New        int       `json:"articles_new"`
	Stories    int       `json:"stories"`
	Sent       int       `json:"sent"`
	Failed     int       `json:"failed"`
	Errors     int       `json:"errors"`
}

func runSummary(r digest.RunRecord) RunSummary {
	rep := r.Report
	return RunSummary{ID: r.ID, Kind: r.Kind, Status: r.Status, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
		Sources: len(rep.Sources), New: rep.ArticlesNew, Stories: rep.Stories, Sent: rep.Sent, Failed: rep.Failed, Errors: len(rep.Errors)}
}

func (a *API) listRuns(w http.ResponseWriter, r *http.Request) error {
	limit, err := listLimit(r, 20, 500)
	if err != nil {
		return err
	}
	runs, err := a.cfg.Store.Runs(r.Context(), limit)
	if err != nil {
		return err
	}
	out := make([]RunSummary, 0, len(runs))
	for _, run := range runs {
		out = append(out, runSummary(run))
	}
	writeJSON(w, http.StatusOK, map[string]any{"runs": out})
	return nil
}

func (a *API) getRun(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	run, err := a.cfg.Store.Run(r.Context(), id)
	if errors.Is(err, digest.ErrNotFound) {
		return errorf(http.StatusNotFound, "", "no run %d", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RunSummary
		Report digest.Report `json:"report"`
	}{runSummary(run), redact.Report(run.Report)})
	return nil
}

// EditionSummary is an archived edition in the listing.
type EditionSummary struct {
	Date      string    `json:"date"`
	Subject   string    `json:"subject"`
	Stories   int       `json:"stories"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) listEditions(w http.ResponseWriter, r *http.Request) error {
	limit, err := listLimit(r, 30, 1000)
	if err != nil {
		return err
	}
	eds, err := a.cfg.Store.Editions(r.Context(), limit)
	if err != nil {
		return err
	}
	out := make([]EditionSummary, 0, len(eds))
	for _, e := range eds {
		out = append(out, EditionSummary{Date: e.Date, Subject: e.Subject, Stories: e.Stories, CreatedAt: e.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"editions": out})
	return nil
}

// getEdition answers JSON (with both bodies), or with ?format=html or
// ?format=text the body alone. The HTML is served sandboxed: it is an
// email, not a page of this site.
func (a *API) getEdition(w http.ResponseWriter, r *http.Request) error {
	date := r.PathValue("date")
	if _, err := time.Parse("2006-01-02", date); err != nil {
		return errorf(http.StatusBadRequest, "date", "date must be YYYY-MM-DD")
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "html" && format != "text" {
		return errorf(http.StatusBadRequest, "format", "format must be json, html or text")
	}
	e, err := a.cfg.Store.Edition(r.Context(), date)
	if errors.Is(err, digest.ErrNotFound) {
		return errorf(http.StatusNotFound, "", "no edition of %s", date)
	}
	if err != nil {
		return err
	}
	switch format {
	case "html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'; img-src https: data:; style-src 'unsafe-inline'")
		_, err = w.Write([]byte(e.HTML))
		return err
	case "text":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err = w.Write([]byte(e.Text))
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		EditionSummary
		HTML string `json:"html"`
		Text string `json:"text"`
	}{EditionSummary{Date: e.Date, Subject: e.Subject, Stories: e.Stories, CreatedAt: e.CreatedAt}, e.HTML, e.Text})
	return nil
}

func sourcesOut(rows []SourceHealth) map[string]any {
	if rows == nil {
		rows = []SourceHealth{}
	}
	return map[string]any{"sources": rows}
}

func (a *API) listSources(w http.ResponseWriter, r *http.Request) error {
	rows, err := a.cfg.Sources.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sourcesOut(rows))
	return nil
}

func (a *API) addSource(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Source string `json:"source"`
	}
	if err := a.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Source) == "" {
		return errorf(http.StatusUnprocessableEntity, "source", "source is required: a feed URL, an OPML file, an article file or a directory")
	}
	got, err := a.cfg.Sources.Add(r.Context(), in.Source)
	switch {
	case errors.Is(err, digest.ErrConflict):
		return errorf(http.StatusConflict, "source", "source %s is already there", got)
	case errors.Is(err, ErrInvalid):
		return errorf(http.StatusUnprocessableEntity, "source", "%v", err)
	case err != nil:
		return err
	}
	a.log.Info("source added", "source", got)
	writeJSON(w, http.StatusCreated, map[string]string{"source": got})
	return nil
}

func (a *API) removeSource(w http.ResponseWriter, r *http.Request) error {
	src := r.URL.Query().Get("source")
	if src == "" {
		return errorf(http.StatusBadRequest, "source", "name the source: ?source=URL-or-path (as listed)")
	}
	err := a.cfg.Sources.Remove(r.Context(), src)
	if errors.Is(err, digest.ErrNotFound) {
		return errorf(http.StatusNotFound, "source", "no added source %s (sources of the config file are removed there)", src)
	}
	if err != nil {
		return err
	}
	a.log.Info("source removed", "source", src)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// checkSources fetches every source now. It may take a while (each source
// is bounded by the gather timeout), so the write deadline is moved past
// the check's own bound.
func (a *API) checkSources(w http.ResponseWriter, r *http.Request) error {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(a.cfg.CheckTimeout + 10*time.Second))
	ctx, cancel := context.WithTimeout(r.Context(), a.cfg.CheckTimeout)
	defer cancel()
	rows, err := a.cfg.Sources.Check(ctx)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sourcesOut(rows))
	return nil
}

func (a *API) enqueueJob(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Kind string `json:"kind"`
	}
	if err := a.decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Kind != "gather" && in.Kind != "run" {
		return errorf(http.StatusUnprocessableEntity, "kind", "kind must be gather (fetch every source) or run (gather, then send the digests that are due)")
	}
	job, err := a.cfg.Jobs.Enqueue(r.Context(), in.Kind)
	if err != nil {
		return err
	}
	a.log.Info("job enqueued", "kind", in.Kind, "job_id", job.ID, "duplicate", job.Duplicate)
	w.Header().Set("Location", "/api/v1/jobs/"+strconv.FormatInt(job.ID, 10))
	writeJSON(w, http.StatusAccepted, job)
	return nil
}

func (a *API) getJob(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r)
	if err != nil {
		return err
	}
	job, err := a.cfg.Jobs.Job(r.Context(), id)
	if errors.Is(err, digest.ErrNotFound) {
		return errorf(http.StatusNotFound, "", "no job %d", id)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, job)
	return nil
}
