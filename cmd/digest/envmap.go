package main

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// applyEnvKeys sets every scalar config key from DIGEST_<SECTION>_<KEY>
// (upper case, the YAML path joined by '_'), so that a container can be
// configured by environment alone: edition.max_stories is
// DIGEST_EDITION_MAX_STORIES, gather.allow_private is
// DIGEST_GATHER_ALLOW_PRIVATE. Lists take comma-separated values; maps
// (relevance.source_weights) take key=value pairs. relevance.topics is
// file-only. A malformed value is a configuration error naming the variable.
func applyEnvKeys(cfg *Config, env envLookup) error {
	return walkEnv(reflect.ValueOf(cfg).Elem(), "DIGEST", env)
}

var (
	durationType    = reflect.TypeOf(time.Duration(0))
	textUnmarshaler = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()
)

func walkEnv(v reflect.Value, prefix string, env envLookup) error {
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		name := prefix + "_" + strings.ToUpper(tag)
		fv := v.Field(i)
		if fv.Kind() == reflect.Struct {
			if err := walkEnv(fv, name, env); err != nil {
				return err
			}
			continue
		}
		raw, ok := env(name)
		if !ok || strings.TrimSpace(raw) == "" {
			continue
		}
		if err := setFromString(fv, strings.TrimSpace(raw)); err != nil {
			return badConfig("see examples/digest.yaml for the key's type", "%s=%q: %v", name, raw, err)
		}
	}
	return nil
}

func setFromString(fv reflect.Value, raw string) error {
	switch {
	case fv.Kind() == reflect.Pointer:
		// An optional value: set means present, whatever it is (0 too).
		v := reflect.New(fv.Type().Elem())
		if err := setFromString(v.Elem(), raw); err != nil {
			return err
		}
		fv.Set(v)
	case fv.Type() == durationType:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return fmt.Errorf("not a duration such as 90s or 36h")
		}
		fv.SetInt(int64(d))
	case fv.Kind() == reflect.String:
		fv.SetString(raw)
	case fv.Kind() == reflect.Bool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return fmt.Errorf("not a boolean (true or false)")
		}
		fv.SetBool(b)
	case fv.Kind() == reflect.Int || fv.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return fmt.Errorf("not an integer")
		}
		fv.SetInt(n)
	case fv.Kind() == reflect.Float64:
		x, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return fmt.Errorf("not a number")
		}
		fv.SetFloat(x)
	case fv.Kind() == reflect.Slice && reflect.PointerTo(fv.Type().Elem()).Implements(textUnmarshaler):
		list := reflect.MakeSlice(fv.Type(), 0, 4)
		for _, s := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '\n' }) {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			v := reflect.New(fv.Type().Elem())
			if err := v.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
				return err
			}
			list = reflect.Append(list, v.Elem())
		}
		fv.Set(list)
	case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
		var list []string
		for _, s := range strings.FieldsFunc(raw, func(r rune) bool { return r == ',' || r == '\n' }) {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		fv.Set(reflect.ValueOf(list))
	case fv.Kind() == reflect.Map && fv.Type().Key().Kind() == reflect.String && fv.Type().Elem().Kind() == reflect.Float64:
		m := map[string]float64{}
		for _, pair := range strings.Split(raw, ",") {
			k, val, ok := strings.Cut(pair, "=")
			x, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if !ok || err != nil || strings.TrimSpace(k) == "" {
				return fmt.Errorf("want key=number pairs separated by commas")
			}
			m[strings.TrimSpace(k)] = x
		}
		fv.Set(reflect.ValueOf(m))
	default:
		return fmt.Errorf("cannot be set from the environment; use the config file")
	}
	return nil
}
