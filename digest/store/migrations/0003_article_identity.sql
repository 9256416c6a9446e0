-- Articles are identified by canonical URL, by GUID within their source and
-- by an identity key (digest.IdentityKey): title and text together when the
-- text is long enough to identify an article, else source, title and text
-- for items that carry neither URL nor GUID. The content hash alone no
-- longer identifies an article: two feed items with the same placeholder
-- body ("Something new here") under different titles and links are two
-- articles. Rows stored before this migration keep an empty key, so only
-- their URL and GUID identify them; they leave the window within days.
ALTER TABLE articles ADD COLUMN identity_key TEXT NOT NULL DEFAULT '';
DROP INDEX articles_content_hash_key;
CREATE UNIQUE INDEX articles_identity_key ON articles (identity_key) WHERE identity_key <> '';
