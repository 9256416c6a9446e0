package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one digest command: what runs it and how its help explains
// it. A group (subscribers, sources) has subcommands and no run of its own.
type command struct {
	name     string // "now", "sources add"
	args     string // the synopsis after "[flags]": "FEED|FILE|DIR..."
	summary  string // one line, for the list of commands
	detail   string // paragraphs for 'digest NAME --help'
	examples string // one command a line, a comment after "#"
	run      func(*cli, context.Context, []string) error
}

// commands lists every command in the order 'digest help' shows them. The
// flags each command takes are not listed here: its help prints them from
// its flag set, so the two cannot drift apart.
func commands() []command {
	return []command{
		{
			name: "now", run: (*cli).cmdNow,
			summary: "gather, summarise and send today's edition once",
			detail: `Reads the sources, clusters and ranks the stories, summarises them and sends the
edition to every active subscriber (or to --to addresses only). A subscriber who
already has today's edition is skipped unless --force is given. With no SMTP relay
configured the messages are written to --outbox as .eml files. --dry-run prints the
edition instead of sending it.`,
			examples: `digest now --source examples/articles --to you@example.com
digest now --dry-run --format markdown --source examples/articles > today.md
digest now --source examples/feed.xml --since 720h --dry-run   # a wider window`,
		},
		{
			name: "serve", run: (*cli).cmdServe,
			summary: "run the scheduler, the workers and the web pages",
			detail: `Runs in one process the scheduled gathers and sends, the job workers, the
subscriber pages (sign-up, preferences, unsubscribe, archive), the admin API,
/healthz, /readyz and /metrics. It migrates the store and the job queue at start.
The first SIGINT or SIGTERM stops it gracefully; a second exits at once.`,
			examples: `digest serve --config digest.yaml   # with DIGEST_SECRET in the environment
digest serve --shutdown-timeout 1m`,
		},
		{
			name: "preview", run: (*cli).cmdPreview, args: "(--out FILE.html | --serve ADDR)",
			summary: "render today's edition to files or a local web page, sending nothing",
			detail: `Renders the edition as the subscribers would get it: the HTML part to --out (and
the text part beside it, .txt), or served on --serve for template work.`,
			examples: `digest preview --source examples/articles --out /tmp/digest.html
digest preview --serve 127.0.0.1:8081`,
		},
		{
			name:    "subscribers",
			summary: "manage the people the digest is sent to",
		},
		{
			name: "subscribers add", run: (*cli).subscribersAdd, args: "EMAIL",
			summary: "add an active subscriber",
			examples: `digest subscribers add ana@example.com --name Ana --timezone Europe/Berlin --send-time 06:30
digest subscribers add bo@example.com --topics "tariffs;export controls"
digest subscribers add cy@example.com --frequency weekdays`,
		},
		{
			name: "subscribers list", run: (*cli).subscribersList,
			summary: "list subscribers",
			examples: `digest subscribers list --status active
digest subscribers list --json | jq -r .email`,
		},
		{
			name: "subscribers show", run: (*cli).subscribersShow, args: "EMAIL|ID",
			summary: "show one subscriber and their event log",
			detail: `Prints the subscriber's settings and their events: bounces, complaints and
unsubscribe requests reported after sending, and changes made through the admin API.`,
			examples: `digest subscribers show ana@example.com`,
		},
		{
			name: "subscribers update", run: (*cli).subscribersUpdate, args: "EMAIL|ID",
			summary: "change a subscriber's settings (only the flags given)",
			detail: `--frequency is daily, weekdays (Monday to Friday) or weekly:<day> (weekly:mon …
weekly:sun): a weekly reader gets the week's most important stories on that day.`,
			examples: `digest subscribers update ana@example.com --frequency weekly:fri
digest subscribers update 42 --send-time 06:30 --timezone Asia/Tokyo`,
		},
		{
			name: "subscribers remove", run: (*cli).subscribersRemove, args: "EMAIL|ID",
			summary: "unsubscribe someone (or delete them with --purge)",
			examples: `digest subscribers remove ana@example.com
digest subscribers remove 42 --purge`,
		},
		{
			name: "subscribers import", run: (*cli).subscribersImport, args: "FILE.csv",
			summary: "add or update subscribers from a CSV file",
			detail: `The file's header names its columns: email (required), name, timezone, send_time,
frequency (daily, weekdays, weekly:<day>; empty keeps a known reader's), topics. A file with any bad row imports nothing and names every bad line, unless
--skip-invalid is given. Importing the same file again changes nothing.`,
			examples: `digest subscribers import readers.csv
digest subscribers import --skip-invalid readers.csv`,
		},
		{
			name:    "sources",
			summary: "manage the feeds, lists and files the digest is made from",
			detail: `Sources added here are kept in the store, beside those of the config file
(DIGEST_SOURCES or the sources list).`,
		},
		{
			name: "sources add", run: (*cli).sourcesAdd, args: "FEED|SITE|OPML|FILE|DIR...",
			summary: "add sources, finding out what each address is",
			detail: `A feed is kept; a site's page is searched for its feed; an OPML list at a URL is
kept as a list (read again at every gather). The settings flags apply to every
source added.`,
			examples: `digest sources add https://news.example.com/trade.xml --name "Example Trade Wire" --weight 1.5
digest sources add https://news.example.com/
digest sources add examples/articles`,
		},
		{
			name: "sources list", run: (*cli).sourcesList,
			summary:  "list the sources and where each comes from",
			examples: `digest sources list --json`,
		},
		{
			name: "sources remove", run: (*cli).sourcesRemove, args: "SOURCE...",
			summary:  "remove added sources (their articles and history stay)",
			examples: `digest sources remove https://news.example.com/trade.xml`,
		},
		{
			name: "sources check", run: (*cli).sourcesCheck,
			summary: "fetch every source now and print its health",
			detail:  `Exits 1 when a source fails. --offline prints the stored health without fetching.`,
			examples: `digest sources check
digest sources check --offline --json`,
		},
		{
			name: "sources show", run: (*cli).sourcesShow, args: "[SOURCE...]",
			summary: "print each source's settings, the defaults spelt out",
			examples: `digest sources show
digest sources show https://news.example.com/trade.xml --json`,
		},
		{
			name: "sources set", run: (*cli).sourcesSet, args: "SOURCE... SETTINGS",
			summary: "change the settings of added sources",
			detail: `The settings given replace those of the source; the others stay. Sources of the
config file are set there.`,
			examples: `digest sources set https://news.example.com/trade.xml --full-text on
digest sources set https://news.example.com/trade.xml --include "tariff;quota"`,
		},
		{
			name: "sources export", run: (*cli).sourcesExport,
			summary: "write every feed as OPML 2.0",
			detail: `Each feed with its name and topics; lists are expanded. Local files and
directories are not feeds and are named on stderr instead.`,
			examples: `digest sources export > sources.opml
digest sources export --out sources.opml`,
		},
		{
			name: "extract", run: (*cli).cmdExtract, args: "URL|FILE",
			summary: "print what the gatherer reads from one page",
			detail:  `Prints the page's title, date, canonical URL, language and clean text.`,
			examples: `digest extract examples/articles/brussels-steel-duty.html
digest extract https://news.example.com/2026/11/story --selector "article .story-body"`,
		},
		{
			name: "runs", run: (*cli).cmdRuns,
			summary: "list past runs",
			examples: `digest runs -n 5
digest runs --json`,
		},
		{
			name: "runs show", run: (*cli).runsShow, args: "ID",
			summary: "show one run's report",
			detail: `With --articles, every article the run read and what became of it: the story it
led or joined and the evidence that joined it, or why it was left out.`,
			examples: `digest runs show 12
digest runs show 12 --articles --json`,
		},
		{
			name: "doctor", run: (*cli).cmdDoctor,
			summary: "check the store and the mail relay",
			detail:  `Exits 1 naming what is wrong.`,
			examples: `digest doctor
digest doctor --json`,
		},
		{
			name: "migrate", run: (*cli).cmdMigrate,
			summary:  "migrate the store and the job queue, and print the schema version",
			examples: `digest migrate --config digest.yaml`,
		},
		{
			name: "version", run: (*cli).cmdVersion,
			summary:  "print the version, the source revision and the Go version of this binary",
			examples: `digest version`,
		},
		{
			name: "healthcheck", run: (*cli).cmdHealthcheck,
			summary: "ask a running digest serve whether it is healthy (exit 0) or not (exit 1)",
			detail:  `For the container's HEALTHCHECK.`,
			examples: `digest healthcheck
digest healthcheck --path /readyz --addr 127.0.0.1:8080`,
		},
	}
}

// lookupCommand finds the command args name: a group's subcommand when the
// first two arguments name one, else the first argument's command. rest is
// what follows the name.
func lookupCommand(args []string) (cmd command, rest []string, ok bool) {
	all := commands()
	if len(args) > 1 {
		if i := slices.IndexFunc(all, func(c command) bool { return c.name == args[0]+" "+args[1] }); i >= 0 {
			return all[i], args[2:], true
		}
	}
	if len(args) > 0 {
		if i := slices.IndexFunc(all, func(c command) bool { return c.name == args[0] }); i >= 0 {
			return all[i], args[1:], true
		}
	}
	return command{}, args, false
}

// subcommands returns the commands of group name.
func subcommands(name string) []command {
	var out []command
	for _, c := range commands() {
		if strings.HasPrefix(c.name, name+" ") {
			out = append(out, c)
		}
	}
	return out
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	return arg == "-h" || arg == "--help" || arg == "-help" || arg == "help"
}

// runGroup runs a group's subcommand; the group alone is a usage error and
// the group with -h prints the group's help.
func (c *cli) runGroup(ctx context.Context, g command, args []string) error {
	subs := subcommands(g.name)
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = strings.TrimPrefix(s.name, g.name+" ")
	}
	switch {
	case len(args) == 0:
		return &usageError{cmd: g.name, msg: fmt.Sprintf("%s: want one of %s", g.name, strings.Join(names, ", "))}
	case isHelp(args[0]):
		c.printHelp(c.stdout, g, nil)
		return nil
	}
	return &usageError{cmd: g.name, msg: fmt.Sprintf("%s: unknown action %q (want one of %s)", g.name, args[0], strings.Join(names, ", "))}
}

// helpRequest is the error a command's flag parsing returns for -h or
// --help: the help goes to stdout and the exit status is 0.
type helpRequest struct{ fs *flag.FlagSet }

func (h *helpRequest) Error() string { return "help requested" }
func (h *helpRequest) Unwrap() error { return flag.ErrHelp }

// commonFlags are the flags newFlags gives every command; help lists them
// apart.
var commonFlags = []string{"config", "log-level", "log-format", "quiet"}

// printUsage writes the list of commands.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `digest — a daily trade-news digest by email

Usage:
  digest COMMAND [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-20s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Every command takes --config FILE, --log-level, --log-format text|json and --quiet.
Configuration: YAML file, then DIGEST_* environment, then flags (see README.md).
Run 'digest help COMMAND' or 'digest COMMAND --help' for a command's flags and examples.
`)
}

// printHelp writes cmd's help: synopsis, description, flags (read from
// fs, the command's flag set; nil for a group) and examples.
func (c *cli) printHelp(w io.Writer, cmd command, fs *flag.FlagSet) {
	if cmd.run == nil {
		fmt.Fprintf(w, "Usage: digest %s COMMAND [flags] [arguments]\n\n%s.\n", cmd.name, upperFirst(cmd.summary))
		if cmd.detail != "" {
			fmt.Fprintf(w, "\n%s\n", cmd.detail)
		}
		fmt.Fprint(w, "\nCommands:\n")
		for _, s := range subcommands(cmd.name) {
			fmt.Fprintf(w, "  %-20s %s\n", s.name, s.summary)
		}
		fmt.Fprintf(w, "\nRun 'digest %s COMMAND --help' for a command's flags and examples.\n", cmd.name)
		return
	}
	synopsis := "digest " + cmd.name + " [flags]"
	if cmd.args != "" {
		synopsis += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s\n\n%s.\n", synopsis, upperFirst(cmd.summary))
	if cmd.detail != "" {
		fmt.Fprintf(w, "\n%s\n", cmd.detail)
	}
	var own, common strings.Builder
	fs.VisitAll(func(f *flag.Flag) {
		if slices.Contains(commonFlags, f.Name) {
			writeFlag(&common, f)
		} else {
			writeFlag(&own, f)
		}
	})
	if own.Len() > 0 {
		fmt.Fprintf(w, "\nFlags:\n%s", own.String())
	}
	fmt.Fprintf(w, "\nGlobal flags:\n%s", common.String())
	if cmd.examples != "" {
		fmt.Fprint(w, "\nExamples:\n")
		for _, line := range strings.Split(cmd.examples, "\n") {
			fmt.Fprintf(w, "  %s\n", line)
		}
	}
}

// writeFlag writes one flag as "  --name type" and its usage on the next
// line, with its default when that is not the zero value.
func writeFlag(w io.Writer, f *flag.Flag) {
	typ, usage := flag.UnquoteUsage(f)
	if typ != "" && !isBool(f) {
		fmt.Fprintf(w, "  --%s %s\n", f.Name, typ)
	} else {
		fmt.Fprintf(w, "  --%s\n", f.Name)
	}
	switch f.DefValue {
	case "", "0", "false", "0s":
	default:
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	fmt.Fprintf(w, "        %s\n", usage)
}

// isBool reports whether f is a boolean flag, given without a value.
func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
