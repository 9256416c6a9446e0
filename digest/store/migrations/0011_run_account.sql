-- The account of a run, a chunk of lines to a row: the lines of
-- digest.ArticleFate as JSON, one a line, compressed with DEFLATE. One row
-- an article (run_articles) cost ~330 bytes an article: ~27 MB for a run at
-- 800 feeds whose feeds all answer (40,000 fetched duplicates beside the
-- window's 42,000 articles), and serve saves a run each gather. The rows of
-- run_articles saved before this table existed are still read, and pruned
-- with the rest.
CREATE TABLE run_account (
    run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    chunk  INTEGER NOT NULL,
    lines  {{bytes}} NOT NULL,
    PRIMARY KEY (run_id, chunk)
);
