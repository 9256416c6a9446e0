package feed

import (
	"strings"
	"testing"
)

func TestClean_DropsBoilerplate(t *testing.T) {
	drop := []string{
		"Subscribe to our newsletter for the latest trade news.",
		"Sign up for our free daily briefing, delivered to your inbox.",
		"Get our Trade Week newsletter delivered straight to your inbox every Monday.",
		"Support independent journalism: become a member today.",
		"Please consider making a donation to keep our reporting free.",
		"Already a subscriber? Log in.",
		"You have reached your limit of free articles.",
		"Read more: Tariffs on steel rise again",
		"Continue reading on the main site",
		"READ MORE",
		"Related: EU and Japan agree on rules of origin",
		"Share this article",
		"Share on Facebook",
		"Facebook Twitter LinkedIn Email",
		"Share | Tweet | Email",
		"Photo: Jane Smith/Reuters",
		"Image: Getty Images",
		"(Reuters/Aly Song)",
		"A container ship at the port of Hamburg. (AP Photo/Michael Probst)",
		"Dock workers in Rotterdam. Getty Images",
		"Trucks queue at the border crossing. REUTERS/Jose Luis Gonzalez",
		"We use cookies to improve your experience. By continuing to browse you agree.",
		"Click here to download the full report.",
		"Follow us on Twitter @tradewire",
		"@tradewire #tariffs #WTO",
		"This article first appeared on Example Trade Wire.",
		"This story was originally published by Example Times.",
		"© 2026 Example Media Ltd. All rights reserved.",
		"Copyright 2026 The Associated Press. All rights reserved.",
		"This material may not be published, broadcast, rewritten or redistributed.",
		"Advertisement",
		"Story continues below advertisement",
		"Thanks for signing up!",
		"There was an error processing your subscription.",
		"Keep an eye on your inbox for the latest news.",
		"This copy is for your personal, non-commercial use only. To order presentation-ready copies visit the site.",
		"Write to Al Root at allen.root@example.com",
		"GET FOX BUSINESS ON THE GO BY CLICKING HERE",
		"DON'T MISS: Ten charts on the trade war",
		"Pick Six Newsletter",
		"Updated at 1:23 p.m. ET",
		"Post a comment…",
		"12 comments",
		"Comments (4)",
		"Leave a Reply",
		"Join the conversation",
		"Comments are closed.",
		"Kommentieren",
		"Kommentar verfassen",
		"3 Kommentare",
		"Laisser un commentaire",
		"Deja un comentario",
	}
	for _, line := range drop {
		text := "The WTO ruled on Monday that the duties breached trade rules.\n\n" + line + "\n\nShares of exporters rose."
		got := Clean(text)
		if strings.Contains(got, line) {
			t.Errorf("Clean kept boilerplate %q", line)
		}
		if !strings.Contains(got, "The WTO ruled") || !strings.Contains(got, "Shares of exporters rose.") {
			t.Errorf("Clean dropped news around %q: %q", line, got)
		}
	}
}

func TestClean_KeepsNews(t *testing.T) {
	keep := []string{
		"The firm said it would donate $1 million to flood relief.",
		"Investors can subscribe for shares in the listing from Monday.",
		"Getty Images shares fell 5% after the company cut its forecast.",
		"Recommended retail prices rose 3% in October, the statistics office said.",
		"The report, first published in 2019, has been updated with new tariff data.",
		"WASHINGTON (AP) — The Commerce Department widened export controls on chips.",
		"GENEVA, March 3 (Reuters) - WTO members failed to agree on fishing subsidies.",
		"Related party transactions rose sharply, the filing showed.",
		"Join talks between the two blocs resumed on Tuesday in Brussels.",
		"More than 40 ships waited outside the port, officials said.",
		"Printing of new customs forms has been delayed.",
		"Share prices of carmakers jumped after the tariff pause.",
		"Copyright disputes dominated the first day of the negotiations, delegates said.",
		"You can contribute up to $19,000 pretax to a 401(k).",
		"Follow-on measures are expected next month.",
		"Photographs of the damaged cargo were shown in court on Tuesday as evidence.",
		"\"Don't miss the deadline,\" the minister told exporters.",
		"Updated figures published on Tuesday showed exports rose.",
		"Write to the ministry by Friday, officials said.",
		"Thank you notes from the delegation were read out at the close.",
		"Comments by the minister were welcomed by exporters.",
		"Commenting on the figures, the minister said exports rose.",
		"Join the talks, the minister urged the delegations.",
	}
	for _, line := range keep {
		if got := Clean(line); got != line {
			t.Errorf("Clean(%q) = %q; a news line must stay", line, got)
		}
	}
}

func TestClean_Normalises(t *testing.T) {
	in := "  First   line of news.\r\nSecond line.\r\n\r\n\r\n\tNext paragraph.  \n\n\n"
	want := "First line of news.\nSecond line.\n\nNext paragraph."
	if got := Clean(in); got != want {
		t.Errorf("Clean = %q, want %q", got, want)
	}
	if got := Clean(""); got != "" {
		t.Errorf("Clean(\"\") = %q", got)
	}
	if got := Clean("Subscribe now for unlimited access"); got != "" {
		t.Errorf("an all-boilerplate text should clean to empty, got %q", got)
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>One &amp; two.</p><p>Three&nbsp;four.</p>", "One & two.\n\nThree four."},
		{"Line one<br>Line two", "Line one\n\nLine two"},
		{"<div><h2>Head</h2>Body <b>bold</b> text.</div>", "Head\n\nBody bold text."},
		{"<p>Text</p><script>alert(1)</script><style>p{}</style>", "Text"},
		{"<figure><img src=x><figcaption>Photo: AP</figcaption></figure><p>Story.</p>", "Story."},
		{"Plain text\n\nwith paragraphs", "Plain text\n\nwith paragraphs"},
		{"Prices rose 3 < 4 percent", "Prices rose 3 < 4 percent"},
		{"Tom &amp; Jerry", "Tom & Jerry"},
		{"<ul><li>one</li><li>two</li></ul>", "one\n\ntwo"},
	}
	for _, tt := range tests {
		if got := HTMLToText(tt.in); got != tt.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
