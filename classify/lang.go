package classify

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pemistahl/lingua-go"
)

// Undetermined is the language code returned when a text has no letters,
// is too short, or no language is clearly ahead.
const Undetermined = "und"

// DefaultLanguages are the languages detected unless configured
// otherwise: the taxonomy's 26, the fourteen core languages and twelve a
// global centre also sees. Hebrew, Greek, Hindi (Devanagari), Thai,
// Korean and Japanese are decided by their script alone.
var DefaultLanguages = []string{
	"zh", "en", "ja", "ko", "es", "pt", "fr", "de", "ru", "tr", "vi", "th", "id", "ar",
	"it", "nl", "pl", "uk", "cs", "ro", "sv", "hi", "he", "el", "ms", "tl",
}

// DetectorConfig configures language detection.
type DetectorConfig struct {
	// Languages to choose from, ISO 639-1 (default DefaultLanguages).
	Languages []string
	// LowAccuracy uses lingua's trigram-only models: about 20× less memory
	// and faster start, noticeably weaker on texts under ~120 characters.
	LowAccuracy bool
	// MinMargin is the confidence gap to the runner-up below which the
	// result is Undetermined (default 0.15).
	MinMargin float64
	// MinLetters is the fewest letters a text needs (default 3).
	MinLetters int
}

// Candidate is one language with its confidence.
type Candidate struct {
	Code       string  `json:"code"`
	Confidence float64 `json:"confidence"`
}

// Language is the detection result.
type Language struct {
	Code       string     `json:"code"`
	Confidence float64    `json:"confidence"`
	RunnerUp   *Candidate `json:"runner_up,omitempty"`
	// Reason says why the code is Undetermined.
	Reason string `json:"reason,omitempty"`
}

// Detector detects the language of a text. Scripts that only one
// configured language uses (Hangul, Thai, Han without kana, …) are
// decided by script alone; the rest go to lingua, whose models are
// loaded once when the detector is built. It is safe for concurrent use.
type Detector struct {
	cfg    DetectorConfig
	lingua lingua.LanguageDetector
	// long reads texts of LongText letters or more with trigrams only
	// (lingua's low-accuracy mode, as accurate on long texts and several
	// times faster; the models are lingua's shared cache).
	long       lingua.LanguageDetector
	byScript   map[scriptID][]string // script → configured languages written in it
	configured map[string]bool
	order      map[string]int // position in the configured list
	hasLatin   bool
}

type scriptID uint8

const (
	scriptOther scriptID = iota
	scriptLatin
	scriptCyrillic
	scriptHan
	scriptKana
	scriptHangul
	scriptThai
	scriptArabic
	scriptDevanagari
	scriptGreek
	scriptHebrew
	numScripts
)

// scriptOf maps the languages we may configure to their script.
var scriptOf = map[string]scriptID{
	"zh": scriptHan, "ja": scriptKana, "ko": scriptHangul, "th": scriptThai,
	"ar": scriptArabic, "fa": scriptArabic, "ur": scriptArabic,
	"hi": scriptDevanagari, "mr": scriptDevanagari, "el": scriptGreek, "he": scriptHebrew,
	"ru": scriptCyrillic, "uk": scriptCyrillic, "be": scriptCyrillic, "bg": scriptCyrillic,
	"kk": scriptCyrillic, "mk": scriptCyrillic, "mn": scriptCyrillic, "sr": scriptCyrillic,
}

// NewDetector builds a detector, preloading lingua's models for the
// configured languages that need them.
func NewDetector(cfg DetectorConfig) (*Detector, error) {
	if len(cfg.Languages) == 0 {
		cfg.Languages = DefaultLanguages
	}
	if cfg.MinMargin == 0 {
		cfg.MinMargin = 0.15
	}
	if cfg.MinLetters == 0 {
		cfg.MinLetters = 3
	}
	d := &Detector{cfg: cfg, byScript: map[scriptID][]string{}, configured: map[string]bool{}, order: map[string]int{}}
	var codes []lingua.IsoCode639_1
	seen := map[string]bool{}
	for _, code := range cfg.Languages {
		code = strings.ToLower(strings.TrimSpace(code))
		if seen[code] {
			continue
		}
		seen[code] = true
		d.configured[code] = true
		d.order[code] = len(d.order)
		iso := lingua.GetIsoCode639_1FromValue(code)
		if iso == lingua.UnknownIsoCode639_1 {
			return nil, fmt.Errorf("language detector: unknown ISO 639-1 code %q", code)
		}
		s, ok := scriptOf[code]
		if !ok {
			s = scriptLatin
			d.hasLatin = true
		}
		d.byScript[s] = append(d.byScript[s], code)
		codes = append(codes, iso)
	}
	// lingua is needed for scripts shared by several configured languages
	// (and Han/kana is settled by the kana rule).
	var need []lingua.IsoCode639_1
	for _, iso := range codes {
		code := strings.ToLower(iso.String())
		s, ok := scriptOf[code]
		if !ok {
			s = scriptLatin
		}
		if s != scriptHan && s != scriptKana && len(d.byScript[s]) > 1 {
			need = append(need, iso)
		}
	}
	if len(need) >= 2 {
		b := lingua.NewLanguageDetectorBuilder().FromIsoCodes639_1(need...).WithPreloadedLanguageModels()
		if cfg.LowAccuracy {
			b = b.WithLowAccuracyMode()
		}
		d.lingua = b.Build()
		d.long = d.lingua
		if !cfg.LowAccuracy {
			d.long = lingua.NewLanguageDetectorBuilder().FromIsoCodes639_1(need...).WithLowAccuracyMode().Build()
		}
	}
	return d, nil
}

// Languages returns the configured language codes.
func (d *Detector) Languages() []string {
	var out []string
	for _, ls := range d.byScript {
		out = append(out, ls...)
	}
	return out
}

func classifyRune(r rune) scriptID {
	switch {
	case r < 0x80:
		if unicode.IsLetter(r) {
			return scriptLatin
		}
		return scriptOther
	case unicode.Is(unicode.Latin, r):
		return scriptLatin
	case unicode.Is(unicode.Han, r):
		return scriptHan
	case unicode.In(r, unicode.Hiragana, unicode.Katakana):
		return scriptKana
	case unicode.Is(unicode.Hangul, r):
		return scriptHangul
	case unicode.Is(unicode.Thai, r):
		return scriptThai
	case unicode.Is(unicode.Arabic, r):
		return scriptArabic
	case unicode.Is(unicode.Cyrillic, r):
		return scriptCyrillic
	case unicode.Is(unicode.Devanagari, r):
		return scriptDevanagari
	case unicode.Is(unicode.Greek, r):
		return scriptGreek
	case unicode.Is(unicode.Hebrew, r):
		return scriptHebrew
	}
	return scriptOther
}

// scriptWeight says how many Latin letters one character of a script is
// worth when deciding which script dominates: a Han character carries
// about a word.
var scriptWeight = [numScripts]float64{scriptHan: 3, scriptKana: 2, scriptHangul: 2}

// Detect returns the language of text.
func (d *Detector) Detect(text string) Language {
	var counts [numScripts]int
	letters := 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		counts[classifyRune(r)]++
	}
	if letters == 0 {
		return Language{Code: Undetermined, Reason: "no letters"}
	}
	if letters < d.cfg.MinLetters && counts[scriptHan]+counts[scriptKana]+counts[scriptHangul] == 0 {
		return Language{Code: Undetermined, Reason: "too short"}
	}
	// Dominant script by weighted letter count.
	best, bestW, total := scriptOther, 0.0, 0.0
	for s := scriptLatin; s < numScripts; s++ {
		w := float64(counts[s])
		if scriptWeight[s] > 0 {
			w *= scriptWeight[s]
		}
		total += w
		if w > bestW {
			best, bestW = s, w
		}
	}
	// Japanese is Han plus kana: any real amount of kana makes Han text Japanese.
	if (best == scriptHan || best == scriptKana) && counts[scriptKana] >= 2 && len(d.byScript[scriptKana]) > 0 {
		best = scriptKana
		bestW = float64(counts[scriptKana]*2 + counts[scriptHan]*3)
	}
	if best == scriptKana && len(d.byScript[scriptKana]) == 0 {
		best = scriptHan
	}
	if best == scriptHan && len(d.byScript[scriptHan]) == 0 && len(d.byScript[scriptKana]) > 0 {
		best = scriptKana
	}
	share := bestW / total
	langs := d.byScript[best]
	switch {
	case best == scriptOther || len(langs) == 0:
		return Language{Code: Undetermined, Reason: "no configured language uses this script"}
	case len(langs) == 1 || best == scriptHan || best == scriptKana:
		return Language{Code: langs[0], Confidence: round3(share)}
	case d.lingua == nil:
		return Language{Code: Undetermined, Reason: "ambiguous script"}
	}
	if best == scriptLatin {
		if code, ok := d.romanised(text); ok {
			return Language{Code: code, Confidence: round3(share)}
		}
	}
	return d.closePair(text, d.linguaDetect(text, langs, share))
}

// LongText is the length (in characters) from which trigrams alone
// detect the language as well as lingua's full models (lingua's own
// guidance is 120).
const LongText = 120

// linguaMaxBytes is how much of a text lingua reads: its cost grows with
// the text and its answer settles long before (on 4,700 complaints in 26
// languages the first 120 bytes give the same accuracy as 200, in both
// accuracy modes; see docs/evaluation.md).
const linguaMaxBytes = 120

// head cuts text to about n bytes at a space (or a rune boundary).
func head(text string, n int) string {
	if len(text) <= n {
		return text
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	if sp := strings.LastIndexByte(text[:cut], ' '); sp > n/2 {
		cut = sp
	}
	return text[:cut]
}

func (d *Detector) linguaDetect(text string, langs []string, share float64) Language {
	det := d.lingua
	if utf8.RuneCountInString(text) >= LongText {
		det = d.long
	}
	values := det.ComputeLanguageConfidenceValues(head(text, linguaMaxBytes))
	allowed := map[string]bool{}
	for _, l := range langs {
		allowed[l] = true
	}
	var top []Candidate
	var sum float64
	for _, v := range values {
		code := strings.ToLower(v.Language().IsoCode639_1().String())
		if allowed[code] {
			top = append(top, Candidate{code, v.Value()})
			sum += v.Value()
		}
	}
	if len(top) == 0 || sum == 0 {
		return Language{Code: Undetermined, Reason: "no language model matched"}
	}
	for i := range top {
		top[i].Confidence = round3(top[i].Confidence / sum * share)
	}
	res := Language{Code: top[0].Code, Confidence: top[0].Confidence}
	if len(top) > 1 && top[1].Confidence > 0 {
		ru := top[1]
		res.RunnerUp = &ru
	}
	margin := top[0].Confidence
	if res.RunnerUp != nil {
		margin -= res.RunnerUp.Confidence
	}
	if margin < d.cfg.MinMargin {
		res.Reason = "runner-up too close"
		res.RunnerUp = &Candidate{top[0].Code, top[0].Confidence}
		res.Code, res.Confidence = Undetermined, 0
	}
	return res
}

func round3(x float64) float64 { return float64(int(x*1000+0.5)) / 1000 }
