package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/api"
)

func TestAPI_Auth(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		for _, c := range []struct {
			name, header string
		}{
			{"none", ""},
			{"wrong", "Bearer " + strings.Repeat("x", len(testToken))},
			{"prefix", "Bearer " + testToken[:len(testToken)-1]},
			{"longer", "Bearer " + testToken + "x"},
			{"basic", "Basic " + testToken},
			{"no scheme", testToken},
		} {
			req, _ := http.NewRequest(http.MethodGet, h.ts.URL+"/api/v1/subscribers", nil)
			if c.header != "" {
				req.Header.Set("Authorization", c.header)
			}
			resp, err := h.ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("%s: status %d, WWW-Authenticate %q; want 401 Bearer", c.name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
			}
		}
		// A refused request changes nothing.
		r := h.doToken("wrong-token-wrong-token-wrong-token!", http.MethodPost, "/api/v1/subscribers", "application/json",
			strings.NewReader(`{"email":"x@example.com"}`))
		want(t, r, http.StatusUnauthorized)
		if _, err := h.db.SubscriberByEmail(t.Context(), "x@example.com"); err == nil {
			t.Fatal("an unauthenticated create wrote a subscriber")
		}
		want(t, h.do(http.MethodGet, "/api/v1/subscribers", nil), http.StatusOK)
		r = h.do(http.MethodGet, "/api/v1/nothing", nil)
		want(t, r, http.StatusNotFound)
		r.apiError(t)
		// The token never reaches the log.
		if strings.Contains(h.logs.String(), testToken[:16]) {
			t.Fatal("the admin token appears in the log")
		}
	})
}

func TestAPI_New_RefusesShortToken(t *testing.T) {
	db := backends[0].open(t)
	if _, err := api.New(api.Config{Token: strings.Repeat("a", 31), Store: db}); err == nil {
		t.Fatal("a 31-character token was accepted")
	}
}

func TestAPI_Subscribers(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		r := h.do(http.MethodPost, "/api/v1/subscribers", map[string]any{
			"email": " Ana@Example.COM ", "name": "Ana", "timezone": "Europe/Berlin", "send_time": "6:30", "topics": []string{"Tariffs"},
		})
		want(t, r, http.StatusCreated)
		var ana api.Subscriber
		r.json(t, &ana)
		if ana.Email != "ana@example.com" || ana.SendTime != "06:30" || !slices.Equal(ana.Topics, []string{"tariffs"}) || ana.Status != "active" {
			t.Fatalf("created %+v", ana)
		}
		if loc := r.header.Get("Location"); loc != fmt.Sprintf("/api/v1/subscribers/%d", ana.ID) {
			t.Errorf("Location %q", loc)
		}
		// Errors name the field.
		for _, c := range []struct {
			body   string
			status int
			field  string
		}{
			{`{"email":"ana@example.com"}`, http.StatusConflict, "email"},
			{`{"email":"not an address"}`, http.StatusUnprocessableEntity, "email"},
			{`{"name":"no email"}`, http.StatusUnprocessableEntity, "email"},
			{`{"email":"b@example.com","topics":["football"]}`, http.StatusUnprocessableEntity, "topics"},
			{`{"email":"b@example.com","timezone":"Mars/Olympus"}`, http.StatusUnprocessableEntity, "timezone"},
			{`{"email":"b@example.com","send_time":"25:00"}`, http.StatusUnprocessableEntity, "send_time"},
			{`{"email":"b@example.com","status":"bounced"}`, http.StatusUnprocessableEntity, "status"},
			{`{"email":"b@example.com","colour":"red"}`, http.StatusBadRequest, "colour"},
			{`{"email":42}`, http.StatusBadRequest, "email"},
			{`{"email":"b@example.com"} {}`, http.StatusBadRequest, ""},
			{`not json`, http.StatusBadRequest, ""},
			{`{"email":"b@example.com","name":"` + strings.Repeat("n", 5000) + `"}`, http.StatusRequestEntityTooLarge, ""},
		} {
			r := h.do(http.MethodPost, "/api/v1/subscribers", c.body)
			if r.status != c.status {
				t.Errorf("%.60s: status %d, want %d: %s", c.body, r.status, c.status, r.body)
				continue
			}
			if e := r.apiError(t); e.Field != c.field {
				t.Errorf("%.60s: field %q, want %q (%s)", c.body, e.Field, c.field, e.Message)
			}
		}
		if _, err := h.db.SubscriberByEmail(t.Context(), "b@example.com"); err == nil {
			t.Fatal("a refused create wrote a subscriber")
		}

		// Get by id and by email, with the event log.
		for _, ref := range []string{fmt.Sprint(ana.ID), "ANA@example.com"} {
			r := h.do(http.MethodGet, "/api/v1/subscribers/"+ref, nil)
			want(t, r, http.StatusOK)
			var got api.Subscriber
			r.json(t, &got)
			if got.ID != ana.ID || len(got.Events) != 1 || got.Events[0].Kind != "change" || got.Events[0].Detail != "created" {
				t.Fatalf("get %s: %+v", ref, got)
			}
		}
		want(t, h.do(http.MethodGet, "/api/v1/subscribers/999999", nil), http.StatusNotFound)
		want(t, h.do(http.MethodGet, "/api/v1/subscribers/nobody@example.com", nil), http.StatusNotFound)

		// Update only what is given.
		r = h.do(http.MethodPatch, fmt.Sprintf("/api/v1/subscribers/%d", ana.ID), map[string]any{"topics": []string{"autos", "tariffs"}, "paused": true})
		want(t, r, http.StatusOK)
		var upd api.Subscriber
		r.json(t, &upd)
		if upd.Status != "paused" || !slices.Equal(upd.Topics, []string{"autos", "tariffs"}) || upd.TimeZone != "Europe/Berlin" || upd.Name != "Ana" {
			t.Fatalf("updated %+v", upd)
		}
		r = h.do(http.MethodPatch, "/api/v1/subscribers/ana@example.com", map[string]any{"paused": false, "send_time": "08:15", "timezone": "Asia/Tokyo"})
		want(t, r, http.StatusOK)
		r.json(t, &upd)
		if upd.Status != "active" || upd.SendTime != "08:15" || upd.TimeZone != "Asia/Tokyo" {
			t.Fatalf("resumed %+v", upd)
		}
		e := h.do(http.MethodPatch, "/api/v1/subscribers/ana@example.com", map[string]any{"email": "other@example.com"})
		want(t, e, http.StatusUnprocessableEntity)
		e = h.do(http.MethodPatch, "/api/v1/subscribers/ana@example.com", map[string]any{"send_time": "noon"})
		want(t, e, http.StatusUnprocessableEntity)
		if e.apiError(t).Field != "send_time" {
			t.Error("bad send_time: field not named")
		}

		// Unsubscribed is final for an operator; deleting without purge unsubscribes.
		r = h.do(http.MethodDelete, "/api/v1/subscribers/ana@example.com", nil)
		want(t, r, http.StatusOK)
		r.json(t, &upd)
		if upd.Status != "unsubscribed" {
			t.Fatalf("delete without purge: %+v", upd)
		}
		for _, body := range []string{`{"status":"active"}`, `{"paused":false}`, `{"paused":true}`} {
			r := h.do(http.MethodPatch, "/api/v1/subscribers/ana@example.com", body)
			want(t, r, http.StatusConflict)
		}
		s, err := h.db.SubscriberByEmail(t.Context(), "ana@example.com")
		if err != nil || s.Status != digest.StatusUnsubscribed {
			t.Fatalf("after refused resubscribe: %+v %v", s, err)
		}
		want(t, h.do(http.MethodPost, "/api/v1/subscribers", `{"email":"ana@example.com"}`), http.StatusConflict)

		// The log tells the story, newest first.
		r = h.do(http.MethodGet, "/api/v1/subscribers/ana@example.com/events", nil)
		want(t, r, http.StatusOK)
		var log struct{ Events []api.Event }
		r.json(t, &log)
		if len(log.Events) != 4 || log.Events[0].Status != "unsubscribed" || log.Events[3].Detail != "created" ||
			!strings.Contains(log.Events[1].Detail, `status "paused" → "active"`) {
			t.Fatalf("event log: %+v", log.Events)
		}

		// Purge deletes the row and its log.
		want(t, h.do(http.MethodDelete, "/api/v1/subscribers/ana@example.com?purge=maybe", nil), http.StatusBadRequest)
		want(t, h.do(http.MethodDelete, "/api/v1/subscribers/ana@example.com?purge=true", nil), http.StatusNoContent)
		want(t, h.do(http.MethodGet, "/api/v1/subscribers/ana@example.com", nil), http.StatusNotFound)
		if evs, _ := h.db.SubscriberEvents(t.Context(), ana.ID, 0); len(evs) != 0 {
			t.Fatalf("purge left %d events", len(evs))
		}
	})
}

func TestAPI_ListSubscribers(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		var rows strings.Builder
		rows.WriteString("email,topics\n")
		for i := range 25 {
			topic := "autos"
			if i%5 == 0 {
				topic = "tariffs;autos"
			}
			fmt.Fprintf(&rows, "r%02d@example.com,%s\n", i, topic)
		}
		want(t, h.csv("/api/v1/subscribers/import", rows.String()), http.StatusOK)
		r := h.do(http.MethodDelete, "/api/v1/subscribers/r03@example.com", nil)
		want(t, r, http.StatusOK)

		var all []string
		cursor := ""
		pages := 0
		for {
			r := h.do(http.MethodGet, "/api/v1/subscribers?limit=10&cursor="+cursor, nil)
			want(t, r, http.StatusOK)
			var page struct {
				Subscribers []api.Subscriber
				NextCursor  string `json:"next_cursor"`
			}
			r.json(t, &page)
			pages++
			for _, s := range page.Subscribers {
				all = append(all, s.Email)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		if pages != 3 || len(all) != 25 || !sort.StringsAreSorted(all) {
			t.Fatalf("%d pages, %d subscribers: %v", pages, len(all), all)
		}
		count := func(query string) int {
			t.Helper()
			r := h.do(http.MethodGet, "/api/v1/subscribers?"+query, nil)
			want(t, r, http.StatusOK)
			var page struct{ Subscribers []api.Subscriber }
			r.json(t, &page)
			return len(page.Subscribers)
		}
		if n := count("status=unsubscribed"); n != 1 {
			t.Errorf("unsubscribed: %d", n)
		}
		if n := count("topic=Tariffs"); n != 5 {
			t.Errorf("topic tariffs (by label case): %d, want 5", n)
		}
		if n := count("topic=tariffs&status=active"); n != 5 {
			t.Errorf("tariffs and active: %d", n)
		}
		for q, field := range map[string]string{"status=gone": "status", "topic=football": "topic", "limit=0": "limit", "limit=5000": "limit", "cursor=!!!": "cursor", "cursor=eDE": "cursor"} {
			r := h.do(http.MethodGet, "/api/v1/subscribers?"+q, nil)
			if r.status != http.StatusBadRequest || r.apiError(t).Field != field {
				t.Errorf("%s: status %d %s, want 400 naming %s", q, r.status, r.body, field)
			}
		}
	})
}

func TestAPI_Import(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		r := h.csv("/api/v1/subscribers/import", "email,name,timezone,send_time,topics\na@example.com,A,Europe/Paris,06:00,tariffs\nb@example.com,B,,,\n")
		want(t, r, http.StatusOK)
		var res struct{ Added, Updated, Skipped int }
		r.json(t, &res)
		if res.Added != 2 || res.Updated != 0 {
			t.Fatalf("first import: %+v", res)
		}
		b, _ := h.db.SubscriberByEmail(ctx, "b@example.com")
		if err := h.db.SetSubscriberStatus(ctx, b.ID, digest.StatusUnsubscribed); err != nil {
			t.Fatal(err)
		}
		// Bad rows: nothing imported, every bad line named.
		bad := "email,name\nc@example.com,C\nnot-an-address,X\nb@example.com,B2\nd@example.com,\"Line\nbreak\"\nc@example.com,again\n"
		r = h.csv("/api/v1/subscribers/import", bad)
		want(t, r, http.StatusUnprocessableEntity)
		e := r.apiError(t)
		var lines []int
		for _, le := range e.Errors {
			lines = append(lines, le.Line)
		}
		if e.Line != 3 || e.Field != "email" || !slices.Equal(lines, []int{3, 5, 7}) {
			t.Fatalf("bad import: line %d field %q lines %v: %s", e.Line, e.Field, lines, r.body)
		}
		if _, err := h.db.SubscriberByEmail(ctx, "c@example.com"); err == nil {
			t.Fatal("a refused import wrote a row")
		}
		// skip_invalid imports the rest; the unsubscribed stays unsubscribed.
		r = h.csv("/api/v1/subscribers/import?skip_invalid=true", bad)
		want(t, r, http.StatusOK)
		r.json(t, &res)
		if res.Added != 1 || res.Updated != 1 || res.Skipped != 3 {
			t.Fatalf("skip_invalid: %+v", res)
		}
		b, _ = h.db.SubscriberByEmail(ctx, "b@example.com")
		if b.Status != digest.StatusUnsubscribed || b.Name != "B2" {
			t.Fatalf("re-import resubscribed or did not update: %+v", b)
		}
		// A file that is not a subscriber list at all.
		r = h.csv("/api/v1/subscribers/import", "name,phone\nA,1\n")
		want(t, r, http.StatusBadRequest)
		if r.apiError(t).Line != 1 {
			t.Errorf("header error without line 1: %s", r.body)
		}
		want(t, h.csv("/api/v1/subscribers/import", ""), http.StatusBadRequest)
		want(t, h.csv("/api/v1/subscribers/import?skip_invalid=perhaps", "email\n"), http.StatusBadRequest)
	})
}

// TestAPI_ConcurrentImports runs overlapping imports at once: every one
// succeeds, each address is stored once, and nobody is resubscribed.
func TestAPI_ConcurrentImports(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		const workers, rows = 6, 150
		var wg sync.WaitGroup
		statuses := make([]int, workers)
		for w := range workers {
			wg.Go(func() {
				var b strings.Builder
				b.WriteString("email,name\n")
				// Each list overlaps its neighbour by half, in another order.
				for i := range rows {
					n := w*rows/2 + i
					if w%2 == 1 {
						n = w*rows/2 + rows - 1 - i
					}
					fmt.Fprintf(&b, "c%04d@example.com,worker %d\n", n, w)
				}
				statuses[w] = h.csv("/api/v1/subscribers/import", b.String()).status
			})
		}
		wg.Wait()
		for w, st := range statuses {
			if st != http.StatusOK {
				t.Errorf("import %d: status %d", w, st)
			}
		}
		subs, err := h.db.ListSubscribers(t.Context(), digest.SubscriberFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if wantN := (workers-1)*rows/2 + rows; len(subs) != wantN {
			t.Fatalf("%d subscribers after concurrent imports, want %d", len(subs), wantN)
		}
	})
}

func TestAPI_RunsAndEditions(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		id, err := h.db.SaveRun(ctx, digest.RunRecord{Kind: "gather", Status: "ok", Report: digest.Report{ArticlesNew: 7, Stories: 3,
			Sources: []digest.SourceReport{{ID: "https://example.com/feed.xml", Articles: 7}}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := h.db.SaveEdition(ctx, digest.ArchivedEdition{Date: "2026-03-29", Subject: "Trade digest", HTML: "<p>Steel</p>", Text: "Steel", Stories: 3}); err != nil {
			t.Fatal(err)
		}
		r := h.do(http.MethodGet, "/api/v1/runs", nil)
		want(t, r, http.StatusOK)
		var runs struct{ Runs []api.RunSummary }
		r.json(t, &runs)
		if len(runs.Runs) != 1 || runs.Runs[0].ID != id || runs.Runs[0].New != 7 || runs.Runs[0].Sources != 1 {
			t.Fatalf("runs: %s", r.body)
		}
		r = h.do(http.MethodGet, fmt.Sprintf("/api/v1/runs/%d", id), nil)
		want(t, r, http.StatusOK)
		var run struct {
			ID     int64
			Report digest.Report
		}
		r.json(t, &run)
		if run.ID != id || run.Report.Stories != 3 || run.Report.Sources[0].ID != "https://example.com/feed.xml" {
			t.Fatalf("run: %s", r.body)
		}
		want(t, h.do(http.MethodGet, "/api/v1/runs/999", nil), http.StatusNotFound)
		want(t, h.do(http.MethodGet, "/api/v1/runs/x", nil), http.StatusNotFound)
		want(t, h.do(http.MethodGet, "/api/v1/runs?limit=-1", nil), http.StatusBadRequest)

		r = h.do(http.MethodGet, "/api/v1/editions", nil)
		want(t, r, http.StatusOK)
		var eds struct{ Editions []api.EditionSummary }
		r.json(t, &eds)
		if len(eds.Editions) != 1 || eds.Editions[0].Date != "2026-03-29" || eds.Editions[0].Stories != 3 {
			t.Fatalf("editions: %s", r.body)
		}
		r = h.do(http.MethodGet, "/api/v1/editions/2026-03-29", nil)
		want(t, r, http.StatusOK)
		var ed struct{ Subject, HTML, Text string }
		r.json(t, &ed)
		if ed.HTML != "<p>Steel</p>" || ed.Text != "Steel" {
			t.Fatalf("edition: %s", r.body)
		}
		r = h.do(http.MethodGet, "/api/v1/editions/2026-03-29?format=html", nil)
		if r.status != 200 || string(r.body) != "<p>Steel</p>" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
			t.Fatalf("html: %d %q %v", r.status, r.body, r.header)
		}
		r = h.do(http.MethodGet, "/api/v1/editions/2026-03-29?format=text", nil)
		if r.status != 200 || string(r.body) != "Steel" {
			t.Fatalf("text: %d %q", r.status, r.body)
		}
		want(t, h.do(http.MethodGet, "/api/v1/editions/2026-03-30", nil), http.StatusNotFound)
		want(t, h.do(http.MethodGet, "/api/v1/editions/yesterday", nil), http.StatusBadRequest)
		want(t, h.do(http.MethodGet, "/api/v1/editions/2026-03-29?format=pdf", nil), http.StatusBadRequest)
	})
}

func TestAPI_Sources(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		const src = "https://news.example.com/trade.xml"
		r := h.do(http.MethodPost, "/api/v1/sources", map[string]string{"source": src})
		want(t, r, http.StatusCreated)
		want(t, h.do(http.MethodPost, "/api/v1/sources", map[string]string{"source": src}), http.StatusConflict)
		r = h.do(http.MethodPost, "/api/v1/sources", map[string]string{"source": "ftp://x"})
		want(t, r, http.StatusUnprocessableEntity)
		if r.apiError(t).Field != "source" {
			t.Error("invalid source: field not named")
		}
		want(t, h.do(http.MethodPost, "/api/v1/sources", `{}`), http.StatusUnprocessableEntity)
		var list struct{ Sources []api.SourceHealth }
		r = h.do(http.MethodGet, "/api/v1/sources", nil)
		want(t, r, http.StatusOK)
		r.json(t, &list)
		if len(list.Sources) != 1 || list.Sources[0].Source != src || !list.Sources[0].LastSuccess.IsZero() {
			t.Fatalf("sources: %s", r.body)
		}
		r = h.do(http.MethodPost, "/api/v1/sources/check", nil)
		want(t, r, http.StatusOK)
		r.json(t, &list)
		if len(list.Sources) != 1 || list.Sources[0].LastSuccess.IsZero() {
			t.Fatalf("after check: %s", r.body)
		}
		want(t, h.do(http.MethodDelete, "/api/v1/sources", nil), http.StatusBadRequest)
		want(t, h.do(http.MethodDelete, "/api/v1/sources?source=https://other.example.com/", nil), http.StatusNotFound)
		want(t, h.do(http.MethodDelete, "/api/v1/sources?source="+src, nil), http.StatusNoContent)
		r = h.do(http.MethodGet, "/api/v1/sources", nil)
		r.json(t, &list)
		if len(list.Sources) != 0 {
			t.Fatalf("after remove: %s", r.body)
		}
	})
}

func TestAPI_Jobs(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		r := h.do(http.MethodPost, "/api/v1/jobs", map[string]string{"kind": "gather"})
		want(t, r, http.StatusAccepted)
		var job api.Job
		r.json(t, &job)
		if job.ID == 0 || job.Kind != "gather" || job.Duplicate || r.header.Get("Location") != fmt.Sprintf("/api/v1/jobs/%d", job.ID) {
			t.Fatalf("job: %s %v", r.body, r.header)
		}
		// The same gather while it waits is not queued twice.
		r = h.do(http.MethodPost, "/api/v1/jobs", map[string]string{"kind": "gather"})
		want(t, r, http.StatusAccepted)
		var again api.Job
		r.json(t, &again)
		if again.ID != job.ID || !again.Duplicate {
			t.Fatalf("second gather: %+v, first %d", again, job.ID)
		}
		r = h.do(http.MethodPost, "/api/v1/jobs", map[string]string{"kind": "run"})
		want(t, r, http.StatusAccepted)
		var run api.Job
		r.json(t, &run)
		if run.ID == job.ID {
			t.Fatal("a run got the gather's id")
		}
		r = h.do(http.MethodGet, fmt.Sprintf("/api/v1/jobs/%d", run.ID), nil)
		want(t, r, http.StatusOK)
		var got api.Job
		r.json(t, &got)
		if got.ID != run.ID || got.State != "available" || got.Kind != "gather" {
			t.Fatalf("job state: %s", r.body)
		}
		want(t, h.do(http.MethodGet, "/api/v1/jobs/987654", nil), http.StatusNotFound)
		want(t, h.do(http.MethodPost, "/api/v1/jobs", map[string]string{"kind": "deliver"}), http.StatusUnprocessableEntity)
	})
}

// TestAPI_OpenAPI checks the published document against the routes that
// are really registered: the same (method, path) pairs, and each one
// answered by its handler over HTTP rather than by the fallback.
func TestAPI_OpenAPI(t *testing.T) {
	db := backends[0].open(t)
	h := newHarness(t, db)
	r := h.do(http.MethodGet, "/api/v1/openapi.json", nil)
	want(t, r, http.StatusOK)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.json(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi version %q", doc.OpenAPI)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	a, err := api.New(api.Config{Token: testToken, Store: db, Sources: &storeSources{db: db}, Jobs: queueJobs{newQueue(t, db)}})
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, rt := range a.Routes() {
		registered = append(registered, rt.Method+" "+rt.Path)
	}
	sort.Strings(documented)
	sort.Strings(registered)
	if !slices.Equal(documented, registered) {
		t.Fatalf("OpenAPI document and routes differ:\ndocumented %v\nregistered %v", documented, registered)
	}
	for _, op := range documented {
		method, path, _ := strings.Cut(op, " ")
		path = strings.NewReplacer("{id}", "1", "{date}", "2026-03-29").Replace(path)
		r := h.doToken(testToken, method, path, "application/json", strings.NewReader("{}"))
		if r.status == http.StatusMethodNotAllowed || strings.Contains(string(r.body), "no such endpoint") {
			t.Errorf("%s: answered by no handler (%d %s)", op, r.status, r.body)
		}
	}
}
