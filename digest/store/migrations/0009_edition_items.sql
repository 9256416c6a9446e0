-- The stories of each archived edition (headline, summary, key points,
-- outlets) as a JSON list, for the per-story feed. Editions archived
-- before have none.
ALTER TABLE editions ADD COLUMN items TEXT NOT NULL DEFAULT '[]';
