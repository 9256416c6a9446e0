package main

import (
	"io"
	"sync"

	"github.com/schollz/progressbar/v3"
)

// progress draws one bar per stage on a terminal; elsewhere, or with
// --quiet, it draws nothing. It implements digest.Progress.
type progress struct {
	mu  sync.Mutex
	w   io.Writer
	on  bool
	bar *progressbar.ProgressBar
	cur string
}

// progress returns the progress display for this process.
func (c *cli) progress(quiet bool) *progress {
	return &progress{w: c.stderr, on: c.tty && !quiet}
}

var stageLabels = map[string]string{
	"gather":    "sources fetched   ",
	"summarise": "stories summarised",
	"send":      "messages sent     ",
}

// Stage starts a new bar, closing the previous one.
func (p *progress) Stage(name string, total int) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
	label, ok := stageLabels[name]
	if !ok {
		label = name
	}
	if total <= 0 {
		total = -1 // a spinner with a count
	}
	p.cur = name
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(label),
		progressbar.OptionShowCount(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionThrottle(0),
	)
}

// Step advances the bar of the named stage.
func (p *progress) Step(name string) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil && p.cur == name {
		_ = p.bar.Add(1)
	}
}

// Done closes the last bar.
func (p *progress) Done() {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finishLocked()
}

func (p *progress) finishLocked() {
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
		p.bar = nil
	}
}
