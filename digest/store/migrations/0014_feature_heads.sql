-- The head of each article's kept features (digest.KeptHead: their first
-- two bytes, which say whether they are current), written by SaveKept
-- beside them, and an index that carries it: a run's read of its window
-- (KeptArticlesSince) takes the heads from that index (~15 bytes an
-- article) instead of from the features' rows (~1.4 KB each), which made
-- it visit every page of article_features, a read syscall each beyond
-- SQLite's 2 MB page cache: ~10,000 of a first run's 73,000 at 200 feeds.
ALTER TABLE article_features ADD COLUMN head {{bytes}};
UPDATE article_features SET head = substr(features, 1, 2);
CREATE INDEX article_features_head_idx ON article_features (article_id, head);
