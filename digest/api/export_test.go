package api

import (
	"reflect"
	"strings"
)

// SubscriberInFields lists the JSON fields create and update read.
func SubscriberInFields() []string {
	var out []string
	rt := reflect.TypeOf(subscriberIn{})
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		out = append(out, name)
	}
	return out
}
