-- The subscriber event log (bounces, complaints and unsubscribes reported
-- after the relay accepted a digest, and changes made through the admin
-- API), and the receipts that keep a replayed webhook or mailbox message
-- from being applied twice.
CREATE TABLE subscriber_events (
    id            {{pk}},
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    kind          TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT '',
    created_at    {{time}} NOT NULL
);
CREATE INDEX subscriber_events_subscriber_idx ON subscriber_events (subscriber_id, kind, created_at);

-- One row per report already applied: (source, the provider's id of the
-- request or message). Old rows are pruned once no provider would send
-- them again and their timestamps are outside the accepted window.
CREATE TABLE webhook_receipts (
    source      TEXT NOT NULL,
    receipt_id  TEXT NOT NULL,
    received_at {{time}} NOT NULL,
    PRIMARY KEY (source, receipt_id)
);
CREATE INDEX webhook_receipts_received_idx ON webhook_receipts (received_at);

-- Bounce reports name the digest by its Message-ID.
CREATE INDEX deliveries_message_id_idx ON deliveries (message_id) WHERE message_id <> '';
