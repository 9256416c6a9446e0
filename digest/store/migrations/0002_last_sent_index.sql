-- LastSent (MAX(sent_at) of an address's sent rows) runs once per delivery.
-- A partial index over the sent rows answers it from the index alone, and
-- claiming a row (pending → sending) does not touch it; the old index made
-- SQLite read each of the address's rows to check its status.
DROP INDEX deliveries_email_sent_idx;
CREATE INDEX deliveries_email_last_sent_idx ON deliveries (email, sent_at) WHERE status = 'sent';
