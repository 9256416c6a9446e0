module github.com/mmcdole/goxpp/v2

go 1.21
