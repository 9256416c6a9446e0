package mail

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/tradedigest/tradedigest/digest"
)

// OutboxOptions tune an Outbox.
type OutboxOptions struct {
	Build BuildOptions
	// OnWrite is called after each message is in place, with its path; the
	// CLI uses it to say where messages went. It may be called from several
	// goroutines at once.
	OnWrite func(path string, msg digest.Message)
	Logger  *slog.Logger
}

// Outbox is a digest.Mailer that writes each message as an .eml file
// instead of sending it. Files are named
// <date>-<recipient-slug>-<short-hash>.eml, where the hash is of the
// Message-ID: writing the same message twice replaces the file.
type Outbox struct {
	dir  string
	opts OutboxOptions

	mu      sync.Mutex
	last    string
	written int
}

var _ digest.Mailer = (*Outbox)(nil)

// NewOutbox creates dir (0700) when needed and returns an outbox writing
// into it.
func NewOutbox(dir string, opts OutboxOptions) (*Outbox, error) {
	if dir == "" {
		return nil, fmt.Errorf("open outbox: empty directory name")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open outbox %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return nil, fmt.Errorf("open outbox %q: %w", dir, err)
	}
	if opts.Build.DKIM != nil {
		if err := opts.Build.DKIM.Validate(); err != nil {
			return nil, fmt.Errorf("open outbox %q: %w", dir, err)
		}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Outbox{dir: abs, opts: opts}, nil
}

// Dir returns the absolute outbox directory.
func (o *Outbox) Dir() string { return o.dir }

// LastPath returns the path of the last message written, "" before the first.
func (o *Outbox) LastPath() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.last
}

// Check reports whether a message could be written now: it creates and
// removes a probe file in the outbox directory. It is the outbox's
// readiness check, as (*Sender).Check is the relay's.
func (o *Outbox) Check(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return CheckDir(o.dir)
}

// CheckDir reports whether dir exists and a file can be created in it.
func CheckDir(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return fmt.Errorf("outbox %s is not writable: %w", dir, err)
	}
	name := f.Name()
	err = f.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	if err != nil {
		return fmt.Errorf("outbox %s: probe file: %w", dir, err)
	}
	return nil
}

// Written returns how many messages were written.
func (o *Outbox) Written() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.written
}

// Path returns the file name msg is written to.
func (o *Outbox) Path(msg digest.Message) string {
	return filepath.Join(o.dir, FileName(msg))
}

// FileName returns <date>-<recipient-slug>-<short-hash>.eml for msg. The
// date is the edition's (the recipient's local date, as in the Message-ID),
// else the UTC date of msg.Date: the sending machine's zone must not decide
// which day a file is named after.
func FileName(msg digest.Message) string {
	date := "undated"
	switch {
	case validEditionKey(msg.Edition):
		date = msg.Edition
	case !msg.Date.IsZero():
		date = msg.Date.UTC().Format("2006-01-02")
	}
	sum := sha256.Sum256([]byte(msg.MessageID))
	return fmt.Sprintf("%s-%s-%s.eml", date, slug(msg.To), hex.EncodeToString(sum[:4]))
}

// validEditionKey reports whether k is safe in a file name: the edition keys
// are YYYY-MM-DD and YYYY-Www.
func validEditionKey(k string) bool {
	if k == "" || len(k) > 10 {
		return false
	}
	for _, r := range k {
		if !(r >= '0' && r <= '9' || r == '-' || r == 'W') {
			return false
		}
	}
	return true
}

// Send writes msg into the outbox atomically: a temporary file in the same
// directory, synced, then renamed over the final name, so a reader never
// sees half a message. Build errors wrap digest.ErrPermanent; file system
// errors are temporary.
func (o *Outbox) Send(ctx context.Context, msg digest.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := renderMessage(msg, o.opts.Build)
	if err != nil {
		return err
	}
	path := o.Path(msg)
	err = writeAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(m.data)
		return err
	})
	m.release()
	if err != nil {
		return fmt.Errorf("write outbox message %s: %w", filepath.Base(path), err)
	}
	o.mu.Lock()
	o.last = path
	o.written++
	o.mu.Unlock()
	o.opts.Logger.Debug("message written to outbox", "path", path, "message_id", msg.MessageID)
	if o.opts.OnWrite != nil {
		o.opts.OnWrite(path, msg)
	}
	return nil
}

func writeAtomic(path string, write func(*bufio.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*.eml")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	// CreateTemp already uses 0600; say so explicitly in case that changes.
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 64<<10)
	if err = write(w); err != nil {
		return err
	}
	if err = w.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// slug reduces an address to [a-z0-9-], at most 40 bytes, for a file name.
func slug(addr string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(addr) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return "recipient"
	}
	return s
}
