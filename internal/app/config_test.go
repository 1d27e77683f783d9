package app

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

var update = flag.Bool("update", false, "rewrite docs/configuration.md")

const configDoc = "../../docs/configuration.md"

// docs/configuration.md is generated from the registry; it must not drift.
func TestConfigurationDocIsUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(configDoc, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s is stale: run go generate ./internal/app", configDoc)
	}
	for _, v := range Vars {
		if !strings.Contains(string(got), "`"+v.Env+"`") {
			t.Errorf("%s missing from %s", v.Env, configDoc)
		}
	}
}

// Every variable is declared once, with a usage, and its default parses
// and validates.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, v := range Vars {
		if seen[v.Env] || (v.Flag != "" && seen["--"+v.Flag]) {
			t.Errorf("%s declared twice", v.Env)
		}
		seen[v.Env], seen["--"+v.Flag] = true, v.Flag != ""
		if v.Usage == "" || v.Group == "" {
			t.Errorf("%s: no usage or group", v.Env)
		}
	}
	c := Defaults()
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Addr != ":8080" || c.SimilarCases != 3 || c.Collection != "cases" {
		t.Errorf("defaults %+v", c)
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string // the variable a *ConfigError names; "" for none
	}{
		{nil, ""},
		{map[string]string{"TRIAGE_LLM_TIMEOUT": "fast"}, "TRIAGE_LLM_TIMEOUT"},
		{map[string]string{"TRIAGE_LLM_TIMEOUT": "5s"}, ""},
		{map[string]string{"TRIAGE_MAX_TEXT_BYTES": "999999"}, "TRIAGE_MAX_TEXT_BYTES"},
		{map[string]string{"TRIAGE_RATE_LIMIT": "-1"}, "TRIAGE_RATE_LIMIT"},
		{map[string]string{"TRIAGE_REQUEST_TIMEOUT": "10ms"}, "TRIAGE_REQUEST_TIMEOUT"},
		{map[string]string{"TRIAGE_CLASSIFIER": "cascade"}, "TRIAGE_CLASSIFIER"},
		{map[string]string{"TRIAGE_CLASSIFIER": "magic"}, "TRIAGE_CLASSIFIER"},
		{map[string]string{"TRIAGE_CLASSIFIER": "cascade", "TRIAGE_CHAT_MODEL": "m", "OPENAI_BASE_URL": "http://x/v1"}, ""},
		{map[string]string{"TRIAGE_CHAT_MODEL": "m"}, "TRIAGE_CHAT_MODEL"},
		{map[string]string{"OPENAI_BASE_URL": "localhost:11434"}, "OPENAI_BASE_URL"},
		{map[string]string{"TRIAGE_API_KEYS": "short:agent"}, "TRIAGE_API_KEYS"},
		{map[string]string{"TRIAGE_LANG_ACCURACY": "low"}, ""},
		{map[string]string{"TRIAGE_LANG_ACCURACY": "medium"}, "TRIAGE_LANG_ACCURACY"},
		{map[string]string{"TRIAGE_LOG_LEVEL": "loud"}, "TRIAGE_LOG_LEVEL"},
		{map[string]string{"TRIAGE_SIMILAR_CASES": "11"}, "TRIAGE_SIMILAR_CASES"},
		{map[string]string{"TRIAGE_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.5"}, ""},
		{map[string]string{"TRIAGE_TRUSTED_PROXIES": "10.0.0.0/8,the-lb"}, "TRIAGE_TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		c := Defaults()
		err := c.Load(func(k string) string { return tt.env[k] }, nil)
		var ce *ConfigError
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.env, err)
		case tt.want != "" && (!errors.As(err, &ce) || ce.Field != tt.want || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want one naming %s", tt.env, err, tt.want)
		}
	}
	// A secret is never shown in an error.
	c := Defaults()
	err := c.Load(func(k string) string {
		if k == "TRIAGE_API_KEYS" {
			return "tooshort-secret:agent"
		}
		return ""
	}, nil)
	if err == nil || strings.Contains(err.Error(), "tooshort-secret") {
		t.Errorf("secret shown or accepted: %v", err)
	}
}

// A flag given on the command line wins over its variable, and both
// reach the same field.
func TestFlagsOverrideEnvironment(t *testing.T) {
	c := Defaults()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	c.Flags(fs, GroupServer, GroupCases)
	if err := fs.Parse([]string{"--addr", ":9000"}); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"TRIAGE_ADDR": ":7000", "TRIAGE_SIMILAR_CASES": "5"}
	if err := c.Load(func(k string) string { return env[k] }, fs.Changed); err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9000" || c.SimilarCases != 5 {
		t.Errorf("addr %q similar %d", c.Addr, c.SimilarCases)
	}
	if fs.Lookup("model") != nil {
		t.Error("a group not asked for has flags")
	}
}
