-- The language of an article's text, an ISO 639-1 code ("de"); empty when
-- it is unknown, as for every row stored before this migration.
ALTER TABLE articles ADD COLUMN language TEXT NOT NULL DEFAULT '';
