package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/tradedigest/tradedigest/digest"
	"github.com/tradedigest/tradedigest/digest/rank"
	"github.com/tradedigest/tradedigest/digest/roster"
)

// openWithFlags parses a command's flags, then opens the store as
// openStoreOnly does.
func (c *cli) openWithFlags(ctx context.Context, fs *flag.FlagSet, co *common, args []string) (*app, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return c.openStoreOnly(ctx, co)
}

// openWithArgs parses flags (allowing them after positional arguments),
// requires at least one positional argument, described by want, and opens
// the store.
func (c *cli) openWithArgs(ctx context.Context, fs *flag.FlagSet, co *common, args []string, want string) (*app, error) {
	if err := parse(fs, interleave(fs, args)); err != nil {
		return nil, err
	}
	if fs.NArg() == 0 {
		name := strings.TrimPrefix(fs.Name(), "digest ")
		return nil, &usageError{cmd: name, msg: fmt.Sprintf("%s: want %s", name, want)}
	}
	return c.openStoreOnly(ctx, co)
}

// openStoreOnly loads config and opens the migrated store and a logger,
// for commands that neither gather nor send.
func (c *cli) openStoreOnly(ctx context.Context, co *common) (*app, error) {
	cfg, err := c.loadConfig(co)
	if err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return c.openApp(ctx, cfg, appOptions{})
}

func (a *app) rosterOptions() roster.Options {
	topics := a.topics()
	return roster.Options{
		Topics:          rank.TopicNames(topics),
		Canonical:       func(t string) (string, bool) { return rank.CanonicalTopic(topics, t) },
		DefaultTimeZone: digest.DefaultTimeZone, DefaultSendTime: digest.DefaultSendTime,
	}
}

// subscriberFlags defines the subscriber fields' flags shared by
// subscribers add and update; the suffixes say what an absent flag means.
func subscriberFlags(fs *flag.FlagSet, tzNote, atNote, topicsNote, dailyNote string) (name, tz, at, topics, freq *string) {
	name = fs.String("name", "", "display name")
	tz = fs.String("timezone", "", "IANA time zone"+tzNote)
	at = fs.String("send-time", "", "local send time HH:MM"+atNote)
	topics = fs.String("topics", "", "topics separated by ';'"+topicsNote)
	freq = fs.String("frequency", "", "daily"+dailyNote+", weekdays, or weekly:<day> (weekly:mon … weekly:sun)")
	return
}

func (c *cli) subscribersAdd(ctx context.Context, args []string) error {
	fs, co := c.newFlags("subscribers add")
	name, tz, at, topics, freq := subscriberFlags(fs, " (default "+digest.DefaultTimeZone+")", " (default "+digest.DefaultSendTime+")", " (default: all)", " (default)")
	if err := parse(fs, interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("subscribers add: want one EMAIL")
	}
	a, err := c.openStoreOnly(ctx, co)
	if err != nil {
		return err
	}
	defer a.Close()
	s := digest.Subscriber{Email: fs.Arg(0), Name: *name, TimeZone: *tz, SendTime: *at, Frequency: digest.Frequency(*freq)}
	if *topics != "" {
		s.Topics = strings.Split(*topics, ";")
	}
	if err := roster.Normalise(&s, a.rosterOptions()); err != nil {
		return usagef("subscribers add: %v", err)
	}
	got, err := a.db.AddSubscriber(ctx, s)
	if errors.Is(err, digest.ErrConflict) {
		return fmt.Errorf("subscriber %s already exists", s.Email)
	}
	if err != nil {
		return fmt.Errorf("add subscriber: %w", err)
	}
	fmt.Fprintf(c.stdout, "added subscriber %d: %s (%s at %s, %s)\n", got.ID, got.Email, got.TimeZone, got.SendTime, got.Frequency)
	return nil
}

// subscribersUpdate changes the fields given as flags of one subscriber
// and leaves the others as they are.
func (c *cli) subscribersUpdate(ctx context.Context, args []string) error {
	fs, co := c.newFlags("subscribers update")
	name, tz, at, topics, freq := subscriberFlags(fs, "", "", " (empty: all)", "")
	if err := parse(fs, interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("subscribers update: want one EMAIL or ID")
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["name"] && !set["timezone"] && !set["send-time"] && !set["topics"] && !set["frequency"] {
		return usagef("subscribers update: nothing to change (give --name, --timezone, --send-time, --topics or --frequency)")
	}
	if set["frequency"] {
		// Checked before the store is opened; an empty value would
		// otherwise mean "keep".
		if _, err := digest.ParseFrequency(*freq); err != nil || strings.TrimSpace(*freq) == "" {
			return usagef("subscribers update: --frequency %q: want daily, weekdays or weekly:<day> (weekly:mon … weekly:sun)", *freq)
		}
	}
	a, err := c.openStoreOnly(ctx, co)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.findSubscriber(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if set["name"] {
		s.Name = *name
	}
	if set["timezone"] {
		s.TimeZone = *tz
	}
	if set["send-time"] {
		s.SendTime = *at
	}
	if set["topics"] {
		s.Topics = nil
		if strings.TrimSpace(*topics) != "" {
			s.Topics = strings.Split(*topics, ";")
		}
	}
	if set["frequency"] {
		s.Frequency = digest.Frequency(*freq)
	}
	if err := roster.Normalise(&s, a.rosterOptions()); err != nil {
		return usagef("subscribers update: %v", err)
	}
	if err := a.db.UpdateSubscriber(ctx, s); err != nil {
		return fmt.Errorf("update subscriber: %w", err)
	}
	fmt.Fprintf(c.stdout, "updated subscriber %d: %s (%s at %s, %s)\n", s.ID, s.Email, s.TimeZone, s.SendTime, s.Frequency)
	return nil
}

func (c *cli) subscribersList(ctx context.Context, args []string) error {
	fs, co := c.newFlags("subscribers list")
	asJSON := fs.Bool("json", false, "print JSON lines for scripts")
	var status digest.SubscriberStatus
	fs.Func("status", "only this status ("+statusList()+")", func(v string) error {
		// Checked while parsing, before the store is opened.
		if !digest.SubscriberStatus(v).Valid() {
			return fmt.Errorf("%q is not a status; use one of %s", v, statusList())
		}
		status = digest.SubscriberStatus(v)
		return nil
	})
	a, err := c.openWithFlags(ctx, fs, co, args)
	if err != nil {
		return err
	}
	defer a.Close()
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	if !*asJSON {
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tSTATUS\tTIMEZONE\tSEND\tFREQUENCY\tTOPICS")
	}
	enc := json.NewEncoder(c.stdout)
	for s, err := range digest.AllSubscribers(ctx, a.db, status) {
		if err != nil {
			return err
		}
		if *asJSON {
			if err := enc.Encode(subscriberJSON(s)); err != nil {
				return err
			}
			continue
		}
		topics := strings.Join(s.Topics, "; ")
		if topics == "" {
			topics = "(all)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Email, s.Name, s.Status, s.TimeZone, s.SendTime, s.Frequency, topics)
	}
	return tw.Flush()
}

func subscriberJSON(s digest.Subscriber) map[string]any {
	topics := s.Topics
	if topics == nil {
		topics = []string{}
	}
	return map[string]any{
		"id": s.ID, "email": s.Email, "name": s.Name, "status": s.Status, "timezone": s.TimeZone,
		"send_time": s.SendTime, "frequency": s.Frequency, "topics": topics, "created_at": s.CreatedAt, "updated_at": s.UpdatedAt,
	}
}

// findSubscriber reads the subscriber named by an ID or an email address.
func (a *app) findSubscriber(ctx context.Context, ref string) (digest.Subscriber, error) {
	var s digest.Subscriber
	var err error
	if id, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		s, err = a.db.Subscriber(ctx, id)
	} else {
		s, err = a.db.SubscriberByEmail(ctx, normaliseEmail(ref))
	}
	if errors.Is(err, digest.ErrNotFound) {
		return s, fmt.Errorf("no subscriber %s", ref)
	}
	if err != nil {
		return s, fmt.Errorf("find subscriber: %w", err)
	}
	return s, nil
}

// subscribersShow prints one subscriber and their event log: bounces,
// complaints and unsubscribe requests reported after sending, and changes
// made through the admin API.
func (c *cli) subscribersShow(ctx context.Context, args []string) error {
	fs, co := c.newFlags("subscribers show")
	asJSON := fs.Bool("json", false, "print JSON")
	a, err := c.openWithArgs(ctx, fs, co, args, "one EMAIL or ID")
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.findSubscriber(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	evs, err := a.db.SubscriberEvents(ctx, s.ID, 0)
	if err != nil {
		return err
	}
	if *asJSON {
		out := subscriberJSON(s)
		list := make([]map[string]any, 0, len(evs))
		for _, e := range evs {
			list = append(list, map[string]any{"id": e.ID, "kind": e.Kind, "source": e.Source, "detail": e.Detail,
				"message_id": e.MessageID, "status": e.Status, "at": e.At})
		}
		out["events"] = list
		return json.NewEncoder(c.stdout).Encode(out)
	}
	topics := strings.Join(s.Topics, "; ")
	if topics == "" {
		topics = "(all)"
	}
	fmt.Fprintf(c.stdout, "%s (id %d)\nname:      %s\nstatus:    %s\ntime zone: %s, send at %s\nfrequency: %s\ntopics:    %s\nsince:     %s\n",
		s.Email, s.ID, s.Name, s.Status, s.TimeZone, s.SendTime, s.Frequency, topics, s.CreatedAt.Local().Format("2006-01-02 15:04"))
	if len(evs) == 0 {
		fmt.Fprintln(c.stdout, "\nno events")
		return nil
	}
	fmt.Fprintln(c.stdout, "\nevents, newest first:")
	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tKIND\tSOURCE\tSTATUS AFTER\tDETAIL")
	for _, e := range evs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.At.Local().Format("2006-01-02 15:04"), e.Kind, e.Source, e.Status, oneLine(e.Detail, 80))
	}
	return tw.Flush()
}

func (c *cli) subscribersRemove(ctx context.Context, args []string) error {
	fs, co := c.newFlags("subscribers remove")
	purge := fs.Bool("purge", false, "delete the subscriber instead of marking them unsubscribed")
	if err := parse(fs, interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("subscribers remove: want one EMAIL or ID")
	}
	a, err := c.openStoreOnly(ctx, co)
	if err != nil {
		return err
	}
	defer a.Close()
	s, err := a.findSubscriber(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if *purge {
		if err := a.db.DeleteSubscriber(ctx, s.ID); err != nil {
			return fmt.Errorf("delete subscriber: %w", err)
		}
		fmt.Fprintf(c.stdout, "deleted subscriber %d (%s)\n", s.ID, s.Email)
		return nil
	}
	if err := a.db.SetSubscriberStatus(ctx, s.ID, digest.StatusUnsubscribed); err != nil {
		return fmt.Errorf("unsubscribe: %w", err)
	}
	fmt.Fprintf(c.stdout, "unsubscribed %d (%s); --purge deletes the row\n", s.ID, s.Email)
	return nil
}

func (c *cli) subscribersImport(ctx context.Context, args []string) error {
	fs, co := c.newFlags("subscribers import")
	skip := fs.Bool("skip-invalid", false, "import the valid rows even if some are bad")
	if err := parse(fs, interleave(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usagef("subscribers import: want one FILE.csv")
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	a, err := c.openStoreOnly(ctx, co)
	if err != nil {
		return err
	}
	defer a.Close()
	subs, bad, err := roster.ParseCSV(f, a.rosterOptions())
	if err != nil {
		return fmt.Errorf("%s: %w; nothing imported", path, err)
	}
	for _, b := range bad {
		fmt.Fprintf(c.stderr, "%s:%v\n", path, b)
	}
	if len(bad) > 0 && !*skip {
		return fmt.Errorf("%s: %s; nothing imported (fix them, or pass --skip-invalid to import the %s)",
			path, count(len(bad), "bad row", "bad rows"), count(len(subs), "good row", "good rows"))
	}
	ins, upd, err := a.db.UpsertSubscribers(ctx, subs)
	if err != nil {
		return fmt.Errorf("import %s: %w; nothing imported", path, err)
	}
	fmt.Fprintf(c.stdout, "imported %s: %d added, %d updated, %d skipped as invalid\n", path, ins, upd, len(bad))
	return nil
}

// count returns "1 row" or "n rows".
func count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// interleave moves flags after positional arguments to the front, so that
// `digest subscribers add a@example.com --name Ana` works as people type it.
// Whether a flag takes the next argument as its value is looked up in fs.
func interleave(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && takesValue(fs, a) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

// takesValue reports whether the flag arg ("--name", "-json") reads the
// next argument as its value: every defined flag but a boolean one. An
// undefined flag takes none, so parsing names it as the mistake.
func takesValue(fs *flag.FlagSet, arg string) bool {
	f := fs.Lookup(strings.TrimLeft(arg, "-"))
	return f != nil && !isBool(f)
}

// statusList names the subscriber statuses for messages.
func statusList() string {
	names := make([]string, len(digest.SubscriberStatuses))
	for i, s := range digest.SubscriberStatuses {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}
