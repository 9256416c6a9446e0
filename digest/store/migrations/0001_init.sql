-- The first schema of the digest store.
--
-- Written once for SQLite and Postgres. Tokens in double braces are replaced
-- per dialect before the file runs (see migrate.go):
--   {{pk}}    an auto-incrementing 64-bit primary key
--   {{time}}  a UTC timestamp with sub-second precision
-- Everything else is common SQL. Statuses are plain TEXT without CHECK
-- constraints; the store validates what it writes and `digest doctor`
-- reports rows written by other means.

CREATE TABLE articles (
    id           {{pk}},
    source_id    TEXT NOT NULL DEFAULT '',
    source_name  TEXT NOT NULL DEFAULT '',
    guid         TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    published    {{time}} NOT NULL,
    fetched_at   {{time}},
    content_hash TEXT NOT NULL DEFAULT '',
    created_at   {{time}} NOT NULL
);
-- An article is kept once per canonical URL, once per GUID within its
-- source and once per content hash; empty values do not take part.
CREATE UNIQUE INDEX articles_url_key ON articles (url) WHERE url <> '';
CREATE UNIQUE INDEX articles_source_guid_key ON articles (source_id, guid) WHERE guid <> '';
CREATE UNIQUE INDEX articles_content_hash_key ON articles (content_hash) WHERE content_hash <> '';
CREATE INDEX articles_published_idx ON articles (published);

CREATE TABLE source_states (
    source_id            TEXT PRIMARY KEY,
    etag                 TEXT NOT NULL DEFAULT '',
    last_modified        TEXT NOT NULL DEFAULT '',
    last_success         {{time}},
    last_attempt         {{time}},
    last_error           TEXT NOT NULL DEFAULT '',
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    first_gathered       {{time}}
);

-- Sources added with `digest sources add`, beside those in the config file.
CREATE TABLE registered_sources (
    source   TEXT PRIMARY KEY,
    added_at {{time}} NOT NULL
);

CREATE TABLE summaries (
    content_hash      TEXT NOT NULL,
    version           TEXT NOT NULL,
    backend           TEXT NOT NULL DEFAULT '',
    headline          TEXT NOT NULL DEFAULT '',
    body              TEXT NOT NULL DEFAULT '',
    key_points        TEXT NOT NULL DEFAULT '[]',
    countries         TEXT NOT NULL DEFAULT '[]',
    topics            TEXT NOT NULL DEFAULT '[]',
    importance        INTEGER NOT NULL DEFAULT 0,
    fallback          INTEGER NOT NULL DEFAULT 0,
    fallback_reason   TEXT NOT NULL DEFAULT '',
    prompt_tokens     INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    created_at        {{time}} NOT NULL,
    PRIMARY KEY (content_hash, version)
);

CREATE TABLE subscribers (
    id         {{pk}},
    email      TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    topics     TEXT NOT NULL DEFAULT '[]',
    time_zone  TEXT NOT NULL DEFAULT '',
    send_time  TEXT NOT NULL DEFAULT '',
    status     TEXT NOT NULL DEFAULT 'active',
    created_at {{time}} NOT NULL,
    updated_at {{time}} NOT NULL
);
CREATE INDEX subscribers_status_idx ON subscribers (status, id);

-- The delivery ledger: one row per (email, edition date). The email is kept
-- when the subscriber is deleted, so a re-added address is not sent the same
-- edition twice.
CREATE TABLE deliveries (
    id            {{pk}},
    subscriber_id BIGINT REFERENCES subscribers (id) ON DELETE SET NULL,
    email         TEXT NOT NULL,
    edition_date  TEXT NOT NULL,
    message_id    TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    generation    INTEGER NOT NULL DEFAULT 0,
    lease_until   {{time}},
    next_attempt  {{time}},
    last_error    TEXT NOT NULL DEFAULT '',
    stories       INTEGER NOT NULL DEFAULT 0,
    created_at    {{time}} NOT NULL,
    updated_at    {{time}} NOT NULL,
    sent_at       {{time}},
    UNIQUE (email, edition_date)
);
CREATE INDEX deliveries_subscriber_idx ON deliveries (subscriber_id);
CREATE INDEX deliveries_status_idx ON deliveries (status, id);
CREATE INDEX deliveries_email_sent_idx ON deliveries (email, sent_at);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    created_at {{time}} NOT NULL
);

CREATE TABLE runs (
    id          {{pk}},
    kind        TEXT NOT NULL DEFAULT '',
    started_at  {{time}},
    finished_at {{time}},
    status      TEXT NOT NULL DEFAULT '',
    report      TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE editions (
    edition_date TEXT PRIMARY KEY,
    subject      TEXT NOT NULL DEFAULT '',
    html         TEXT NOT NULL DEFAULT '',
    body         TEXT NOT NULL DEFAULT '',
    stories      INTEGER NOT NULL DEFAULT 0,
    created_at   {{time}} NOT NULL
);
