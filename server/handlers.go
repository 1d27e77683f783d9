package server

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/triagedesk/triage"
	"github.com/triagedesk/triage/classify"
	"github.com/triagedesk/triage/feedback"
	"github.com/triagedesk/triage/pipeline"
	"github.com/triagedesk/triage/retrieve"
	"github.com/triagedesk/triage/suggest"
)

// decode reads a JSON body into v: JSON content type, within the body
// limit, valid UTF-8 (the decoder would silently replace bad bytes), no
// unknown fields, one value.
func decode(c *gin.Context, v any) error {
	if !isJSON(c.ContentType()) {
		return errorf(triage.EMEDIATYPE, "Content-Type must be application/json, not %q", c.ContentType())
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err // a MaxBytesError becomes 413
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return errorf(triage.EINVALID, "empty body: send a JSON object")
	}
	if !utf8.Valid(body) {
		return errorf(triage.EINVALID, "body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			return errorf(triage.EINVALID, "malformed JSON at byte %d: %v", syn.Offset, err)
		case errors.As(err, &typ):
			return errorf(triage.EINVALID, "field %q: expected %s, got %s", typ.Field, typ.Type, typ.Value)
		default:
			return errorf(triage.EINVALID, "invalid JSON: %v", err)
		}
	}
	// Only white space may follow the value: not a second value, and not
	// a stray "}" (which dec.More does not see at the top level).
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(triage.EINVALID, "unexpected data after the JSON value: send one JSON object")
	}
	return nil
}

// checkText applies the text rules and the configured limit.
func (s *Server) checkText(text string) error {
	if err := triage.CheckText(text); err != nil {
		return err
	}
	if len(text) > s.MaxTextBytes {
		return &triage.Error{Code: triage.ETOOLARGE, Message: fmt.Sprintf("text is %d bytes, the limit is %d", len(text), s.MaxTextBytes)}
	}
	return nil
}

// classifyRequest is the body of /v1/classify.
type classifyRequest struct {
	Text     string `json:"text"`
	Channel  string `json:"channel,omitempty"`
	TicketID string `json:"ticket_id,omitempty"`
}

func (s *Server) check(r classifyRequest) error {
	if err := s.checkText(r.Text); err != nil {
		return err
	}
	if r.Channel != "" && !s.Taxonomy.HasChannel(r.Channel) {
		return errorf(triage.EINVALID, "unknown channel %q (want one of %s)", r.Channel, strings.Join(s.Taxonomy.Channels, ", "))
	}
	if len(r.TicketID) > 200 {
		return errorf(triage.EINVALID, "ticket_id longer than 200 bytes")
	}
	return nil
}

// counted is the server's classifier, counting every result.
type counted struct{ s *Server }

func (c counted) Classify(ctx context.Context, text string) (classify.Result, error) {
	res, err := c.s.Classifier.Classify(ctx, text)
	if err != nil {
		return res, err
	}
	c.s.metrics.classifications.WithLabelValues(res.Scenario.Label, res.Language.Code, boolLabel(res.NeedsReview)).Inc()
	return res, nil
}

// classifyText runs the classifier and counts the result.
func (s *Server) classifyText(c *gin.Context, r classifyRequest) (classify.Result, error) {
	res, err := counted{s}.Classify(c.Request.Context(), r.Text)
	res.ID = r.TicketID
	return res, err
}

func (s *Server) classify(c *gin.Context) {
	var req classifyRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := s.check(req); err != nil {
		fail(c, err)
		return
	}
	res, err := s.classifyText(c, req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, res)
}

// draftRequest is the body of /v1/triage and /v1/suggest.
type draftRequest struct {
	classifyRequest
	// Loss is the loss verified in the order or payment system.
	Loss      *triage.Money `json:"loss,omitempty"`
	DelayDays int           `json:"delay_days,omitempty"`
	Currency  string        `json:"currency,omitempty"`
	K         int           `json:"k,omitempty"`
}

func (s *Server) checkDraft(r draftRequest) error {
	if err := s.check(r.classifyRequest); err != nil {
		return err
	}
	switch {
	case r.K < 0 || r.K > 10:
		return errorf(triage.EINVALID, "k must be 1..10")
	case r.DelayDays < 0 || r.DelayDays > 3650:
		return errorf(triage.EINVALID, "delay_days must be 0..3650")
	case r.Loss != nil && (r.Loss.Amount <= 0 || r.Loss.Currency == ""):
		return errorf(triage.EINVALID, "loss needs a positive amount and a currency")
	}
	return nil
}

// draftInput reads and checks a draft request, classifies the complaint
// and finds its cases; on failure it has answered the request.
func (s *Server) draftInput(c *gin.Context) (suggest.Request, bool) {
	var req draftRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return suggest.Request{}, false
	}
	if err := s.checkDraft(req); err != nil {
		fail(c, err)
		return suggest.Request{}, false
	}
	sreq, err := s.prepare(c, req)
	if err != nil {
		fail(c, err)
		return suggest.Request{}, false
	}
	return sreq, true
}

// prepare classifies and retrieves for a draft: the one triage flow.
func (s *Server) prepare(c *gin.Context, r draftRequest) (suggest.Request, error) {
	p := pipeline.Pipeline{Classifier: counted{s}, Cases: s.Index, Drafter: s.Drafter, SimilarCases: s.SimilarCases}
	req, err := p.Prepare(c.Request.Context(), pipeline.Request{Text: r.Text, K: r.K, Loss: r.Loss, DelayDays: r.DelayDays, Currency: r.Currency})
	req.Result.ID = r.TicketID
	return req, err
}

// caseView is a case as the API shows it.
type caseView struct {
	triage.Case
	Score float64 `json:"score"`
}

func views(rs []retrieve.Result) []caseView {
	out := make([]caseView, len(rs))
	for i, r := range rs {
		out[i] = caseView{Case: r.Case, Score: float64(int(r.Score*10000+0.5)) / 10000}
	}
	return out
}

func (s *Server) triage(c *gin.Context) {
	sreq, ok := s.draftInput(c)
	if !ok {
		return
	}
	draft, err := s.Drafter.Draft(c.Request.Context(), sreq)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"classification": sreq.Result, "similar_cases": views(sreq.Cases), "suggestion": draft})
}

func (s *Server) suggest(c *gin.Context) {
	sreq, ok := s.draftInput(c)
	if !ok {
		return
	}
	if !strings.Contains(c.GetHeader("Accept"), "text/event-stream") {
		draft, err := s.Drafter.Draft(c.Request.Context(), sreq)
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, draft)
		return
	}
	// Server-sent events: "chunk" events as the draft is written, then
	// one "draft" event with the whole draft object (authoritative).
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	send := func(event string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(c.Writer, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		c.Writer.Flush()
		return c.Request.Context().Err() // stop when the client has gone
	}
	draft, err := s.Drafter.Stream(c.Request.Context(), sreq, func(ch suggest.Chunk) error { return send("chunk", ch) })
	if err != nil {
		e := asError(err)
		c.Error(e) //nolint:errcheck // for the access log
		var body errorBody
		body.Error.Code, body.Error.Message = e.Code, e.Message
		send("error", body) //nolint:errcheck // the client may be gone
		return
	}
	send("draft", draft) //nolint:errcheck // the client may be gone
}

// casesRequest is the body of POST /v1/cases.
type casesRequest struct {
	Cases []triage.Case `json:"cases"`
}

// MaxBatch is the most cases one POST /v1/cases may carry.
const MaxBatch = 1000

func (s *Server) checkCase(i int, cs triage.Case) error {
	at := fmt.Sprintf("cases[%d]", i)
	switch {
	case strings.TrimSpace(cs.ID) == "" || len(cs.ID) > 200:
		return errorf(triage.EINVALID, "%s: id is required (at most 200 bytes)", at)
	case !validID(cs.ID):
		return errorf(triage.EINVALID, "%s: id must not contain '/', NUL or control characters", at)
	case strings.ContainsRune(cs.Resolution+cs.Reply+cs.Lang+cs.Channel, 0):
		return errorf(triage.EINVALID, "%s: a field contains a NUL character", at)
	case cs.Scenario != "" && !s.knownScenario(cs.Scenario):
		return errorf(triage.EINVALID, "%s: unknown scenario %q", at, cs.Scenario)
	case cs.Severity < 0 || cs.Severity > 5:
		return errorf(triage.EINVALID, "%s: severity must be 1..5", at)
	case cs.Queue != "" && !s.knownQueue(cs.Queue):
		return errorf(triage.EINVALID, "%s: unknown queue %q", at, cs.Queue)
	case len(cs.Resolution) > triage.MaxTextBytes || len(cs.Reply) > triage.MaxTextBytes:
		return errorf(triage.ETOOLARGE, "%s: resolution or reply over %d bytes", at, triage.MaxTextBytes)
	case !utf8.ValidString(cs.Resolution) || !utf8.ValidString(cs.Reply):
		return errorf(triage.EINVALID, "%s: resolution or reply is not valid UTF-8", at)
	}
	if err := s.checkText(cs.Text); err != nil {
		e := asError(err)
		return &triage.Error{Code: e.Code, Message: at + ": text: " + e.Message}
	}
	return nil
}

// validID reports whether a case id can be stored and reached again: no
// '/' (it could not be named in a path), no NUL or other control
// character (PostgreSQL refuses NUL).
func validID(id string) bool {
	return !strings.ContainsFunc(id, func(r rune) bool { return r == '/' || unicode.IsControl(r) })
}

func (s *Server) knownScenario(id string) bool { _, ok := s.Taxonomy.Scenario(id); return ok }
func (s *Server) knownQueue(id string) bool    { _, ok := s.Taxonomy.Queue(id); return ok }

func (s *Server) upsertCases(c *gin.Context) {
	var req casesRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	switch {
	case len(req.Cases) == 0:
		fail(c, errorf(triage.EINVALID, `no cases: send {"cases":[…]}`))
		return
	case len(req.Cases) > MaxBatch:
		fail(c, errorf(triage.ETOOLARGE, "%d cases in one request; the limit is %d", len(req.Cases), MaxBatch))
		return
	}
	seen := map[string]bool{}
	for i, cs := range req.Cases {
		if err := s.checkCase(i, cs); err != nil {
			fail(c, err)
			return
		}
		if seen[cs.ID] {
			fail(c, errorf(triage.EINVALID, "cases[%d]: id %q appears twice in the batch", i, cs.ID))
			return
		}
		seen[cs.ID] = true
	}
	if err := s.Index.Add(c.Request.Context(), req.Cases, nil); err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"upserted": len(req.Cases)})
}

func (s *Server) getCase(c *gin.Context) {
	if !validID(c.Param("id")) {
		fail(c, errorf(triage.ENOTFOUND, "no case %q", c.Param("id")))
		return
	}
	cs, err := s.Index.Store.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, cs)
}

func (s *Server) deleteCase(c *gin.Context) {
	if !validID(c.Param("id")) {
		fail(c, errorf(triage.ENOTFOUND, "no case %q", c.Param("id")))
		return
	}
	if err := s.Index.Store.Delete(c.Request.Context(), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// searchRequest is the body of /v1/cases/search.
type searchRequest struct {
	Text     string `json:"text"`
	K        int    `json:"k,omitempty"`
	Scenario string `json:"scenario,omitempty"`
	Lang     string `json:"lang,omitempty"`
}

func (s *Server) searchCases(c *gin.Context) {
	var req searchRequest
	if err := decode(c, &req); err != nil {
		fail(c, err)
		return
	}
	if err := s.checkText(req.Text); err != nil {
		fail(c, err)
		return
	}
	if req.K == 0 {
		req.K = 5
	}
	if req.K < 0 || req.K > retrieve.MaxK {
		fail(c, errorf(triage.EINVALID, "k must be 1..%d", retrieve.MaxK))
		return
	}
	if req.Scenario != "" && !s.knownScenario(req.Scenario) {
		fail(c, errorf(triage.EINVALID, "unknown scenario %q", req.Scenario))
		return
	}
	res, err := s.Index.Search(c.Request.Context(), req.Text, req.K, retrieve.Filter{Scenario: req.Scenario, Lang: req.Lang})
	if errors.Is(err, retrieve.ErrNoCollection) {
		res, err = []retrieve.Result{}, nil
	}
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"results": views(res)})
}

func (s *Server) addFeedback(c *gin.Context) {
	var e feedback.Entry
	if err := decode(c, &e); err != nil {
		fail(c, err)
		return
	}
	if len(e.Text) > s.MaxTextBytes {
		fail(c, errorf(triage.ETOOLARGE, "text is %d bytes, the limit is %d", len(e.Text), s.MaxTextBytes))
		return
	}
	if err := e.Validate(s.Taxonomy); err != nil {
		fail(c, err)
		return
	}
	e.CreatedAt = s.Now().UTC()
	if err := s.Feedback.Add(c.Request.Context(), e); err != nil {
		fail(c, &triage.Error{Code: triage.EUNAVAILABLE, Message: "feedback could not be stored; retry", Err: err})
		return
	}
	c.JSON(http.StatusCreated, gin.H{"status": "stored", "ticket_id": e.TicketID})
}

func (s *Server) taxonomy(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", s.taxonomyJSON)
}

func (s *Server) healthz(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) }

func (s *Server) readyz(c *gin.Context) {
	if s.Classifier == nil {
		fail(c, errorf(triage.EUNAVAILABLE, "model not loaded"))
		return
	}
	if s.Ready != nil {
		if err := s.Ready(c.Request.Context()); err != nil {
			// /readyz is public: the answer names what is down, never the
			// driver's error (hosts, users, databases); the log has that.
			s.Logger.Warn("not ready", "err", err)
			fail(c, &triage.Error{Code: triage.EUNAVAILABLE, Message: "not ready: " + triage.ErrorMessage(err), Err: err})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", openapiJSON)
}
