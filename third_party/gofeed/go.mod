module github.com/mmcdole/gofeed

go 1.25.0

require (
	github.com/mmcdole/goxpp/v2 v2.0.0
	golang.org/x/net v0.57.0
)
