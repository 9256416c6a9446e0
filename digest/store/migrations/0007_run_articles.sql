-- The account of every article a run read: one row per article, in the
-- order the run listed them, with what became of it (fate) and the rest of
-- the line as JSON (digest.ArticleFate). Kept apart from runs.report so
-- that listing runs stays cheap; rows of runs older than 30 days are
-- pruned when a run is saved (the run's counts stay in its report).
CREATE TABLE run_articles (
    run_id     BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    article_id BIGINT NOT NULL DEFAULT 0,
    fate       TEXT NOT NULL,
    line       TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
CREATE INDEX run_articles_article_idx ON run_articles (article_id) WHERE article_id <> 0;
CREATE INDEX runs_started_idx ON runs (started_at);
