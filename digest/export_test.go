package digest

// TextBatch is textBatch, for the external tests.
const TextBatch = textBatch

// RefreshBatch is refreshBatch, for the external tests.
const RefreshBatch = refreshBatch
