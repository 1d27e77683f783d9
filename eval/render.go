package eval

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html"
	htmltemplate "html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	texttemplate "text/template"
)

//go:embed templates
var templates embed.FS

var funcs = map[string]any{
	"f3": func(x float64) string { return fmt.Sprintf("%.3f", x) },
	"f3p": func(x *float64) string {
		if x == nil {
			return "–"
		}
		return fmt.Sprintf("%.3f", *x)
	},
	"pct": func(x float64) string { return fmt.Sprintf("%.1f%%", 100*x) },
	"us": func(x float64) string {
		if x >= 1000 {
			return fmt.Sprintf("%.1f ms", x/1000)
		}
		return fmt.Sprintf("%.0f µs", x)
	},
}

var (
	mdTemplate   = texttemplate.Must(texttemplate.New("report.md.tmpl").Funcs(funcs).ParseFS(templates, "templates/report.md.tmpl"))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("report.html.tmpl").Funcs(funcs).ParseFS(templates, "templates/report.html.tmpl"))
)

type labelRow struct {
	Name string
	LabelMetrics
}

type sliceRow struct {
	Name string
	Slice
}

type view struct {
	R            *Report
	LabelRows    []labelRow
	LangRows     []sliceRow
	ChannelRows  []sliceRow
	CoverageRows []CoveragePoint

	ConfusionSVG, ReliabilitySVG, CoverageSVG htmltemplate.HTML
}

func newView(r *Report) view {
	v := view{R: r}
	for _, l := range r.Confusion.Labels {
		if m, ok := r.Labels[l]; ok {
			v.LabelRows = append(v.LabelRows, labelRow{l, m})
		}
	}
	v.LangRows = sliceRows(r.Slices.Language)
	v.ChannelRows = sliceRows(r.Slices.Channel)
	for i, c := range r.Coverage {
		if i%2 == 0 { // every 0.1 in the tables; the chart has them all
			v.CoverageRows = append(v.CoverageRows, c)
		}
	}
	v.ConfusionSVG = htmltemplate.HTML(confusionSVG(r.Confusion))
	v.ReliabilitySVG = htmltemplate.HTML(reliabilitySVG(r.Calibration, r.Items))
	v.CoverageSVG = htmltemplate.HTML(coverageSVG(r.Coverage))
	return v
}

func sliceRows(m map[string]Slice) []sliceRow {
	var out []sliceRow
	for k, s := range m {
		out = append(out, sliceRow{k, s})
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Items != out[b].Items {
			return out[a].Items > out[b].Items
		}
		return out[a].Name < out[b].Name
	})
	return out
}

// Markdown writes report.md.
func Markdown(w io.Writer, r *Report) error { return mdTemplate.Execute(w, newView(r)) }

// HTML writes report.html: self-contained, charts as inline SVG.
func HTML(w io.Writer, r *Report) error { return htmlTemplate.Execute(w, newView(r)) }

// WriteDir writes report.json, report.md, report.html,
// predictions.jsonl and errors.jsonl (misclassified items, most
// confident first) into dir, creating it.
func WriteDir(dir string, r *Report, preds []Prediction) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var js bytes.Buffer
	enc := json.NewEncoder(&js)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("eval: %w", err)
	}
	var md, page bytes.Buffer
	if err := Markdown(&md, r); err != nil {
		return fmt.Errorf("eval: report.md: %w", err)
	}
	if err := HTML(&page, r); err != nil {
		return fmt.Errorf("eval: report.html: %w", err)
	}
	errs := make([]Prediction, 0)
	for _, p := range preds {
		if !p.Correct {
			errs = append(errs, p)
		}
	}
	sort.SliceStable(errs, func(a, b int) bool { return errs[a].Confidence > errs[b].Confidence })
	files := map[string][]byte{
		"report.json":       js.Bytes(),
		"report.md":         md.Bytes(),
		"report.html":       page.Bytes(),
		"predictions.jsonl": jsonLines(preds),
		"errors.jsonl":      jsonLines(errs),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("eval: %w", err)
		}
	}
	return nil
}

func jsonLines(ps []Prediction) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for _, p := range ps {
		enc.Encode(p) // a Prediction always encodes
	}
	return b.Bytes()
}

// Charts are generated SVG: no script, no network, readable in any browser.

const chartFont = `font-family="system-ui,sans-serif"`

// confusionSVG draws the row-normalised confusion matrix as a heatmap.
func confusionSVG(c Confusion) string {
	n := len(c.Labels)
	if n == 0 {
		return `<svg class="chart" width="10" height="10"></svg>`
	}
	cell := 26.0
	if n > 20 {
		cell = math.Max(8, 520/float64(n))
	}
	left, top := 150.0, 150.0
	w, h := left+cell*float64(n)+10, top+cell*float64(n)+10
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="confusion matrix" %s>`, w, h, w, h, chartFont)
	for i, l := range c.Labels {
		y := top + cell*float64(i) + cell*0.65
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`, left-6, y, html.EscapeString(short(l)))
		x := left + cell*float64(i) + cell*0.6
		fmt.Fprintf(&b, `<text transform="translate(%.1f,%.0f) rotate(-60)" text-anchor="start">%s</text>`, x, top-6, html.EscapeString(short(l)))
	}
	for i, row := range c.Matrix {
		total := 0
		for _, v := range row {
			total += v
		}
		for j, v := range row {
			frac := ratio(v, total)
			fill := heat(frac, i == j)
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#fff"><title>%s → %s: %d</title></rect>`,
				left+cell*float64(j), top+cell*float64(i), cell, cell, fill, html.EscapeString(c.Labels[i]), html.EscapeString(c.Labels[j]), v)
			if v > 0 && cell >= 18 {
				color := "#1d2330"
				if frac > 0.55 {
					color = "#fff"
				}
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" style="fill:%s">%d</text>`, left+cell*(float64(j)+0.5), top+cell*(float64(i)+0.65), color, v)
			}
		}
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func short(s string) string {
	if r := []rune(s); len(r) > 22 {
		return string(r[:21]) + "…"
	}
	return s
}

// heat maps 0..1 to a white→blue ramp (red for errors off the diagonal).
func heat(f float64, diagonal bool) string {
	if f == 0 {
		return "#f4f6f9"
	}
	base := [3]float64{33, 102, 172} // blue
	if !diagonal {
		base = [3]float64{203, 24, 29} // red
	}
	mix := func(c float64) int { return int(255 - (255-c)*(0.15+0.85*f)) }
	return fmt.Sprintf("rgb(%d,%d,%d)", mix(base[0]), mix(base[1]), mix(base[2]))
}

type plot struct {
	b                       strings.Builder
	w, h, left, top, pw, ph float64
}

func newPlot(label string) *plot {
	p := &plot{w: 460, h: 340, left: 50, top: 20}
	p.pw, p.ph = p.w-p.left-20, p.h-p.top-50
	fmt.Fprintf(&p.b, `<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" role="img" aria-label="%s" %s>`, p.w, p.h, p.w, p.h, label, chartFont)
	return p
}

func (p *plot) x(v float64) float64 { return p.left + v*p.pw }
func (p *plot) y(v float64) float64 { return p.top + (1-v)*p.ph }

// axes draws a unit square with ticks every 0.2 and axis titles.
func (p *plot) axes(xTitle, yTitle string) {
	for i := 0; i <= 5; i++ {
		v := float64(i) / 5
		fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e7ee"/>`, p.x(0), p.y(v), p.x(1), p.y(v))
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" text-anchor="end">%.1f</text>`, p.x(0)-5, p.y(v)+4, v)
		fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" text-anchor="middle">%.1f</text>`, p.x(v), p.y(0)+16, v)
	}
	fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#9aa3b2"/>`, p.x(0), p.y(1), p.pw, p.ph)
	fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, p.x(0.5), p.h-12, xTitle)
	fmt.Fprintf(&p.b, `<text transform="translate(14,%.1f) rotate(-90)" text-anchor="middle">%s</text>`, p.y(0.5), yTitle)
}

func (p *plot) end() string { p.b.WriteString(`</svg>`); return p.b.String() }

// reliabilitySVG: one bar per bin at its accuracy, the diagonal for
// reference, a dot at each bin's mean confidence.
func reliabilitySVG(c Calibration, items int) string {
	p := newPlot("reliability diagram")
	p.axes("confidence", "accuracy")
	fmt.Fprintf(&p.b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#9aa3b2" stroke-dasharray="4 3"/>`, p.x(0), p.y(0), p.x(1), p.y(1))
	for _, bin := range c.Bins {
		if bin.Count == 0 {
			continue
		}
		width := (bin.Upper - bin.Lower) * p.pw * (0.25 + 0.75*math.Sqrt(ratio(bin.Count, max(items, 1))))
		x := p.x((bin.Lower+bin.Upper)/2) - width/2
		fmt.Fprintf(&p.b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#2166ac" fill-opacity="0.75"><title>%.1f–%.1f: %d items, accuracy %.3f, confidence %.3f</title></rect>`,
			x, p.y(bin.Accuracy), width, p.y(0)-p.y(bin.Accuracy), bin.Lower, bin.Upper, bin.Count, bin.Accuracy, bin.Confidence)
		fmt.Fprintf(&p.b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#cb181d"/>`, p.x(bin.Confidence), p.y(bin.Accuracy))
	}
	fmt.Fprintf(&p.b, `<text x="%.1f" y="%.1f">ECE %.3f</text>`, p.x(0.03), p.y(0.93), c.ECE)
	return p.end()
}

// coverageSVG: accuracy on the auto-routed share against that share.
func coverageSVG(points []CoveragePoint) string {
	p := newPlot("coverage and accuracy")
	p.axes("share auto-routed (coverage)", "accuracy on the auto-routed share")
	var pts []string
	for _, c := range points {
		if c.Items == 0 {
			continue
		}
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", p.x(c.Coverage), p.y(c.Accuracy)))
	}
	fmt.Fprintf(&p.b, `<polyline points="%s" fill="none" stroke="#2166ac" stroke-width="2"/>`, strings.Join(pts, " "))
	for _, c := range points {
		if c.Items == 0 {
			continue
		}
		fmt.Fprintf(&p.b, `<circle cx="%.1f" cy="%.1f" r="3" fill="#2166ac"><title>threshold %.2f: %.1f%% auto-routed, accuracy %.3f</title></circle>`,
			p.x(c.Coverage), p.y(c.Accuracy), c.Threshold, 100*c.Coverage, c.Accuracy)
	}
	return p.end()
}
