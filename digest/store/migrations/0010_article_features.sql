-- What the clusterer keeps of each article (its features, encoded by
-- digest/cluster) and the story the last run put it in (the smallest
-- article id of the story; 0 when none yet), so that a run clusters its new
-- articles against the window's stories without reading every text.
CREATE TABLE article_features (
    article_id BIGINT PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
    features   {{bytes}} NOT NULL,
    story      BIGINT NOT NULL DEFAULT 0
);
