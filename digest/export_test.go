package digest

// TextBatch is textBatch, for the external tests.
const TextBatch = textBatch
