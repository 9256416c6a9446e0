package main

// The container image is FROM scratch and has no /usr/share/zoneinfo; the
// embedded database (about 450 KB) keeps DIGEST_TIMEZONE and CRON_TZ= schedules
// working there and on any other host without zoneinfo.
import _ "time/tzdata"
