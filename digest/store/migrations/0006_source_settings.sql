-- Per-source settings of the sources added with `digest sources add`, and
-- the kind of a source whose address does not say it (an OPML list served
-- at a URL). Weight 0 and empty values mean the defaults.
ALTER TABLE registered_sources ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE registered_sources ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE registered_sources ADD COLUMN weight DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE registered_sources ADD COLUMN full_text TEXT NOT NULL DEFAULT '';
ALTER TABLE registered_sources ADD COLUMN include_keywords TEXT NOT NULL DEFAULT '[]';
ALTER TABLE registered_sources ADD COLUMN exclude_keywords TEXT NOT NULL DEFAULT '[]';
ALTER TABLE registered_sources ADD COLUMN selector TEXT NOT NULL DEFAULT '';

-- The list (OPML) through which each feed was last reached, so that the
-- list's settings (its weight) apply to its feeds on every replica, not
-- only on the one that read the list.
CREATE TABLE source_parents (
    source  TEXT PRIMARY KEY,
    parent  TEXT NOT NULL,
    seen_at {{time}} NOT NULL
);
