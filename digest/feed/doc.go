// Package feed gathers articles: RSS, Atom, RSS 1.0 and JSON feeds over HTTP
// or from files, OPML lists, local article files (.txt, .md, .html) and
// directories of them. It fetches politely and safely through a Fetcher
// (timeouts, size caps, per-host limits, conditional GET, retries, and an
// address guard against private targets), extracts the main text of article
// pages with go-trafilatura when a feed item is short (the page pruned of
// stacked articles, comment areas and teaser lists first, its lead kept,
// go-readability asked for a second opinion when the result looks wrong),
// strips boilerplate (appeals in four languages, share lines, photo
// credits) with Clean, and records each article's language.
//
// Every source implements digest.Source; Open turns a command-line SRC into
// sources.
package feed
