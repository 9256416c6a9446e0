-- What the ranker read in each story's lead article (digest.Assessment:
-- relevance and topics, as JSON), under the version of the ranker's rules
-- and settings it was made with. A run ranks every story of its window;
-- with these it reads only the texts of leads it has not assessed under
-- the current version (a run at 800 feeds with ~2,400 new articles ranked
-- ~41,000 stories, each lead's text read from the store and assessed).
-- A cache: rows of another version are replaced when next made.
CREATE TABLE article_assessments (
    article_id {{key}} REFERENCES articles (id) ON DELETE CASCADE,
    version    TEXT NOT NULL,
    relevance  DOUBLE PRECISION NOT NULL,
    topics     TEXT NOT NULL
);
