-- How often each subscriber gets an edition: daily, weekdays or
-- weekly:<day> (digest.ParseFrequency spells them). Existing readers stay
-- daily.
ALTER TABLE subscribers ADD COLUMN frequency TEXT NOT NULL DEFAULT 'daily';
