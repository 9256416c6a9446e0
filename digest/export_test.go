package digest

// TextBatch is textBatch, for the external tests.
const TextBatch = textBatch

// RefreshBatch is refreshBatch, for the external tests.
const RefreshBatch = refreshBatch

// SetSaveBeside sets saveBeside for a test, restored when it ends.
func SetSaveBeside(t interface{ Cleanup(func()) }, n int) {
	prev := saveBeside
	saveBeside = n
	t.Cleanup(func() { saveBeside = prev })
}
