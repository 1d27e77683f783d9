package app

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify/cascade"
	"github.com/triagedesk/triage/llm"
	"github.com/triagedesk/triage/server"
	"github.com/triagedesk/triage/suggest"
)

// Config is every setting of the service and its commands. Each field is
// declared once in the registry (Vars) with its environment variable,
// flag, default and description; Load reads the environment, a command's
// flags override it, and Validate checks the whole once.
type Config struct {
	// The classifier.
	Model        string
	DataDir      string
	Languages    string
	LangAccuracy string
	Classifier   string

	// Similar cases.
	DatabaseURL  string
	Collection   string
	EmbedModel   string
	SimilarCases int
	MinCaseScore float64

	// The LLM endpoint.
	OpenAIBaseURL string
	OpenAIAPIKey  string
	ChatModel     string
	LLMTimeout    time.Duration

	// The HTTP server.
	Addr           string
	APIKeys        string
	MaxTextBytes   int
	TrustedProxies string
	RateLimit      float64
	RateBurst      int
	RequestTimeout time.Duration

	LogLevel string
}

// Group names a set of variables; a command shows the flags of the
// groups it uses (every variable is read from the environment and
// validated for every command).
type Group string

// The groups of variables.
const (
	GroupClassifier Group = "classifier"
	GroupCases      Group = "cases"
	GroupLLM        Group = "llm"
	GroupServer     Group = "server"
	GroupLog        Group = "log"
)

// Var is one configuration variable.
type Var struct {
	Env     string // environment variable
	Flag    string // command-line flag ("" for none: secrets)
	Default string
	Usage   string
	Group   Group
	// Secret values are never printed.
	Secret bool

	field func(*Config) any // pointer to the Config field
}

// Vars is the registry: every variable, in the order docs list them.
var Vars = []Var{
	{Env: "TRIAGE_MODEL", Flag: "model", Group: GroupClassifier,
		Usage: "trained model file (default: trained from the embedded datasets and cached in TRIAGE_DATA_DIR)",
		field: func(c *Config) any { return &c.Model }},
	{Env: "TRIAGE_DATA_DIR", Flag: "data-dir", Group: GroupClassifier,
		Usage: "where the default model is cached and the embedded case store and feedback file live (default: the user cache directory)",
		field: func(c *Config) any { return &c.DataDir }},
	{Env: "TRIAGE_LANGUAGES", Flag: "languages", Group: GroupClassifier,
		Usage: "comma-separated ISO 639-1 codes to detect (default: the taxonomy's 26 languages)",
		field: func(c *Config) any { return &c.Languages }},
	{Env: "TRIAGE_LANG_ACCURACY", Flag: "lang-accuracy", Default: "low", Group: GroupClassifier,
		Usage: "language models: low (trigrams, ~50 MB) or high (1- to 5-grams, ~700 MB more; abstains more often, and more rightly, on short text)",
		field: func(c *Config) any { return &c.LangAccuracy }},
	{Env: "TRIAGE_CLASSIFIER", Flag: "classifier", Default: string(cascade.Local), Group: GroupClassifier,
		Usage: "local, cascade (ask the LLM when the model abstains) or llm (ask it always)",
		field: func(c *Config) any { return &c.Classifier }},

	{Env: "DATABASE_URL", Flag: "database-url", Group: GroupCases,
		Usage: "PostgreSQL with pgvector for cases and feedback (default: the embedded store in TRIAGE_DATA_DIR)",
		field: func(c *Config) any { return &c.DatabaseURL }},
	{Env: "TRIAGE_COLLECTION", Flag: "collection", Default: "cases", Group: GroupCases,
		Usage: "collection of cases",
		field: func(c *Config) any { return &c.Collection }},
	{Env: "TRIAGE_EMBED_MODEL", Flag: "embed-model", Group: GroupCases,
		Usage: "embedding model at OPENAI_BASE_URL (default: the local embedder)",
		field: func(c *Config) any { return &c.EmbedModel }},
	{Env: "TRIAGE_SIMILAR_CASES", Flag: "similar-cases", Default: "3", Group: GroupCases,
		Usage: "cases a draft is grounded on, 1..10",
		field: func(c *Config) any { return &c.SimilarCases }},
	{Env: "TRIAGE_MIN_CASE_SCORE", Flag: "min-case-score", Default: strconv.FormatFloat(suggest.DefaultMinScore, 'g', -1, 64), Group: GroupCases,
		Usage: "similarity a case needs to count as evidence; below it the draft asks for details, 0..1",
		field: func(c *Config) any { return &c.MinCaseScore }},

	{Env: "OPENAI_BASE_URL", Flag: "openai-base-url", Group: GroupLLM,
		Usage: "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1 (default: no LLM, offline drafts)",
		field: func(c *Config) any { return &c.OpenAIBaseURL }},
	{Env: "OPENAI_API_KEY", Group: GroupLLM, Secret: true,
		Usage: "key for that endpoint (may be empty for local servers)",
		field: func(c *Config) any { return &c.OpenAIAPIKey }},
	{Env: "TRIAGE_CHAT_MODEL", Flag: "chat-model", Group: GroupLLM,
		Usage: "chat model at OPENAI_BASE_URL for drafts and LLM-assisted classification",
		field: func(c *Config) any { return &c.ChatModel }},
	{Env: "TRIAGE_LLM_TIMEOUT", Flag: "llm-timeout", Default: llm.DefaultTimeout.String(), Group: GroupLLM,
		Usage: "bound on each LLM call, retry included",
		field: func(c *Config) any { return &c.LLMTimeout }},

	{Env: "TRIAGE_ADDR", Flag: "addr", Default: ":8080", Group: GroupServer,
		Usage: "listen address",
		field: func(c *Config) any { return &c.Addr }},
	{Env: "TRIAGE_API_KEYS", Group: GroupServer, Secret: true,
		Usage: "comma-separated key:scope pairs (scopes classify, agent, admin; keys of 16+ characters); unset: no auth, with a warning",
		field: func(c *Config) any { return &c.APIKeys }},
	{Env: "TRIAGE_MAX_TEXT_BYTES", Flag: "max-text-bytes", Default: strconv.Itoa(triage.MaxTextBytes), Group: GroupServer,
		Usage: "longest complaint accepted, 1..65536",
		field: func(c *Config) any { return &c.MaxTextBytes }},
	{Env: "TRIAGE_TRUSTED_PROXIES", Flag: "trusted-proxies", Default: "", Group: GroupServer,
		Usage: "comma-separated proxy addresses or CIDRs whose X-Forwarded-For names the client (default: none; the peer address counts)",
		field: func(c *Config) any { return &c.TrustedProxies }},
	{Env: "TRIAGE_RATE_LIMIT", Flag: "rate-limit", Default: "0", Group: GroupServer,
		Usage: "requests per second per API key (per client address without keys); 0: off",
		field: func(c *Config) any { return &c.RateLimit }},
	{Env: "TRIAGE_RATE_BURST", Flag: "rate-burst", Default: "0", Group: GroupServer,
		Usage: "burst above the rate limit (0: 2x the limit)",
		field: func(c *Config) any { return &c.RateBurst }},
	{Env: "TRIAGE_REQUEST_TIMEOUT", Flag: "request-timeout", Default: "30s", Group: GroupServer,
		Usage: "bound on one request, at least 1s; streamed drafts get 4x",
		field: func(c *Config) any { return &c.RequestTimeout }},

	{Env: "TRIAGE_LOG_LEVEL", Flag: "log-level", Default: "info", Group: GroupLog,
		Usage: "debug, info, warn or error",
		field: func(c *Config) any { return &c.LogLevel }},
}

// ConfigError is a bad configuration value, naming the variable (and its
// flag) it came from.
type ConfigError struct {
	Field string // the environment variable
	Flag  string
	Value string
	Err   error
}

// Error reads `TRIAGE_X="value" (--x): problem`.
func (e *ConfigError) Error() string {
	name := e.Field
	if e.Flag != "" {
		name += " (--" + e.Flag + ")"
	}
	return fmt.Sprintf("%s=%q: %v", name, e.Value, e.Err)
}

// Unwrap returns the problem.
func (e *ConfigError) Unwrap() error { return e.Err }

// bind registers v's flag in fs, bound to its field in c, and sets the
// field to the default.
func (v Var) bind(c *Config, fs *pflag.FlagSet) {
	name := v.flagName()
	usage := v.Usage + " (env " + v.Env + ")"
	switch p := v.field(c).(type) {
	case *string:
		fs.StringVar(p, name, v.Default, usage)
	case *int:
		d, _ := strconv.Atoi(v.Default)
		fs.IntVar(p, name, d, usage)
	case *float64:
		d, _ := strconv.ParseFloat(v.Default, 64)
		fs.Float64Var(p, name, d, usage)
	case *time.Duration:
		d, _ := time.ParseDuration(v.Default)
		fs.DurationVar(p, name, d, usage)
	default:
		panic(fmt.Sprintf("app: variable %s has an unsupported type %T", v.Env, p))
	}
}

// flagName is the flag v is parsed through: its own, or a hidden one for
// variables without a flag (secrets).
func (v Var) flagName() string {
	if v.Flag == "" {
		return "env-" + strings.ToLower(v.Env)
	}
	return v.Flag
}

// Defaults returns a Config with every variable at its default.
func Defaults() Config {
	var c Config
	fs := pflag.NewFlagSet("defaults", pflag.ContinueOnError)
	for _, v := range Vars {
		v.bind(&c, fs)
	}
	return c
}

// Flags registers the flags of the given groups in fs, bound to c (and
// sets those fields to their defaults; call it before Load).
func (c *Config) Flags(fs *pflag.FlagSet, groups ...Group) {
	for _, v := range Vars {
		if v.Flag == "" || fs.Lookup(v.Flag) != nil {
			continue
		}
		for _, g := range groups {
			if v.Group == g {
				v.bind(c, fs)
			}
		}
	}
}

// Load sets every variable from the environment (getenv), except those
// whose flag was given on the command line (changed), then validates the
// whole. A value that does not parse, or that Validate rejects, is a
// *ConfigError naming the variable.
func (c *Config) Load(getenv func(string) string, changed func(flag string) bool) error {
	for _, v := range Vars {
		val := getenv(v.Env)
		if val == "" || (v.Flag != "" && changed != nil && changed(v.Flag)) {
			continue
		}
		// Parse through the variable's own flag type; binding resets the
		// field to its default, which the value then replaces.
		fs := pflag.NewFlagSet("env", pflag.ContinueOnError)
		fs.SetOutput(io.Discard)
		v.bind(c, fs)
		if err := fs.Set(v.flagName(), val); err != nil {
			return &ConfigError{Field: v.Env, Flag: v.Flag, Value: shown(v, val), Err: parseProblem(err)}
		}
	}
	return c.Validate()
}

// parseProblem turns pflag's "invalid argument … for … flag: cause" into
// the cause.
func parseProblem(err error) error {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.HasPrefix(msg, "invalid argument") {
		return errors.New("not a valid value: " + msg[i+2:])
	}
	return err
}

func shown(v Var, val string) string {
	if v.Secret {
		return "…"
	}
	return val
}

// lookup returns the variable for an environment name.
func lookup(env string) Var {
	for _, v := range Vars {
		if v.Env == env {
			return v
		}
	}
	panic("app: unknown variable " + env)
}

// invalid returns a *ConfigError for the variable env holding value.
func invalid(env, value string, format string, args ...any) *ConfigError {
	v := lookup(env)
	return &ConfigError{Field: env, Flag: v.Flag, Value: shown(v, value), Err: fmt.Errorf(format, args...)}
}

// Validate checks every value and the combinations between them; the
// first problem is returned as a *ConfigError.
func (c *Config) Validate() error {
	switch {
	case c.LangAccuracy != "high" && c.LangAccuracy != "low":
		return invalid("TRIAGE_LANG_ACCURACY", c.LangAccuracy, "must be high or low")
	case c.Collection == "":
		return invalid("TRIAGE_COLLECTION", c.Collection, "must not be empty")
	case c.SimilarCases < 1 || c.SimilarCases > 10:
		return invalid("TRIAGE_SIMILAR_CASES", strconv.Itoa(c.SimilarCases), "%d outside 1..10", c.SimilarCases)
	case c.MinCaseScore < 0 || c.MinCaseScore > 1:
		return invalid("TRIAGE_MIN_CASE_SCORE", fmt.Sprint(c.MinCaseScore), "outside 0..1")
	case c.LLMTimeout <= 0:
		return invalid("TRIAGE_LLM_TIMEOUT", c.LLMTimeout.String(), "must be positive")
	case c.ChatModel != "" && c.OpenAIBaseURL == "":
		return invalid("TRIAGE_CHAT_MODEL", c.ChatModel, "TRIAGE_CHAT_MODEL is set but OPENAI_BASE_URL is not")
	case c.EmbedModel != "" && c.OpenAIBaseURL == "":
		return invalid("TRIAGE_EMBED_MODEL", c.EmbedModel, "TRIAGE_EMBED_MODEL is set but OPENAI_BASE_URL is not")
	case c.MaxTextBytes < 1 || c.MaxTextBytes > triage.MaxTextBytes:
		return invalid("TRIAGE_MAX_TEXT_BYTES", strconv.Itoa(c.MaxTextBytes), "%d outside 1..%d", c.MaxTextBytes, triage.MaxTextBytes)
	case c.RateLimit < 0:
		return invalid("TRIAGE_RATE_LIMIT", fmt.Sprint(c.RateLimit), "cannot be negative")
	case c.RateBurst < 0:
		return invalid("TRIAGE_RATE_BURST", strconv.Itoa(c.RateBurst), "cannot be negative")
	case c.RequestTimeout < time.Second:
		return invalid("TRIAGE_REQUEST_TIMEOUT", c.RequestTimeout.String(), "%v is under 1s", c.RequestTimeout)
	}
	if _, err := server.ParseProxies(c.TrustedProxies); err != nil {
		return invalid("TRIAGE_TRUSTED_PROXIES", c.TrustedProxies, "%v", err)
	}
	if c.OpenAIBaseURL != "" {
		if u, err := url.Parse(c.OpenAIBaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return invalid("OPENAI_BASE_URL", c.OpenAIBaseURL, "not an http(s) URL")
		}
	}
	mode, err := cascade.ParseMode(c.Classifier)
	if err != nil {
		return invalid("TRIAGE_CLASSIFIER", c.Classifier, "%v", err)
	}
	if mode != cascade.Local && c.ChatModel == "" {
		return invalid("TRIAGE_CLASSIFIER", c.Classifier, "%s needs an LLM: set OPENAI_BASE_URL and TRIAGE_CHAT_MODEL", mode)
	}
	if _, err := server.ParseKeys(c.APIKeys); err != nil {
		return invalid("TRIAGE_API_KEYS", c.APIKeys, "%v", err)
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return invalid("TRIAGE_LOG_LEVEL", c.LogLevel, "must be debug, info, warn or error")
	}
	return nil
}

// Level returns the log level (info when unset).
func (c *Config) Level() slog.Level {
	var l slog.Level
	if l.UnmarshalText([]byte(c.LogLevel)) != nil {
		return slog.LevelInfo
	}
	return l
}

// WriteRegistry prints every variable: name, flag, default, description.
func WriteRegistry(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tFLAG\tDEFAULT\tDESCRIPTION")
	for _, v := range Vars {
		flag := "-"
		if v.Flag != "" {
			flag = "--" + v.Flag
		}
		def := v.Default
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Env, flag, def, v.Usage)
	}
	return tw.Flush()
}

// WriteMarkdown writes docs/configuration.md from the registry.
func WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# Configuration\n\n")
	b.WriteString("<!-- Generated from internal/app/config.go by `go generate ./internal/app`; a test fails when it is stale. -->\n\n")
	b.WriteString("Every setting is an environment variable, and most are also a flag of the commands that use them (a flag wins over the variable). ")
	b.WriteString("Every command reads and checks every variable at start, so a bad value stops any command with exit code 2 and a message naming the variable. ")
	b.WriteString("`triage config` prints this table.\n")
	group := Group("")
	titles := map[Group]string{GroupClassifier: "Classifier", GroupCases: "Similar cases", GroupLLM: "LLM endpoint", GroupServer: "HTTP server", GroupLog: "Logging"}
	for _, v := range Vars {
		if v.Group != group {
			group = v.Group
			fmt.Fprintf(&b, "\n## %s\n\n| variable | flag | default | description |\n|---|---|---|---|\n", titles[group])
		}
		flag, def := "", ""
		if v.Flag != "" {
			flag = "`--" + v.Flag + "`"
		}
		if v.Default != "" {
			def = "`" + v.Default + "`"
		}
		secret := ""
		if v.Secret {
			secret = " Secret: never printed or logged."
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s.%s |\n", v.Env, flag, def, v.Usage, secret)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
