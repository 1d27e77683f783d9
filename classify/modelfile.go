package classify

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"

	"github.com/triagedesk/triage"
)

// A model file holds one or more models (the scenario model, then
// optionally the severity model):
//
//	magic "TRIAGEM\n" | uint32 format version | uint32 model count |
//	per model: uint32 header length | header (JSON Meta) |
//	  uint32 features | uint32 classes | features × uint64 n-gram hash |
//	  features × float32 idf | classes × float32 bias |
//	  features×classes × float32 weights
//	uint32 CRC-32 (IEEE) of everything before it
//
// all little-endian.
const modelMagic = "TRIAGEM\n"

// Errors for unusable model files.
var (
	ErrNotModel      = triage.NewError(triage.EINVALID, "not a triage model file")
	ErrModelVersion  = triage.NewError(triage.EINVALID, "unsupported model format version")
	ErrModelCorrupt  = triage.NewError(triage.EINVALID, "corrupt model file")
	maxHeaderBytes   = uint32(16 << 20)
	maxModelFeatures = uint32(50_000_000)
)

// Bundle is what a model file holds: the scenario model and, optionally,
// a severity model trained on the same texts.
type Bundle struct {
	Scenario *Model
	Severity *Model
}

func (b Bundle) models() []*Model {
	ms := []*Model{b.Scenario}
	if b.Severity != nil {
		ms = append(ms, b.Severity)
	}
	return ms
}

// WriteTo writes the bundle in the versioned binary format.
func (b Bundle) WriteTo(w io.Writer) (int64, error) {
	if b.Scenario == nil {
		return 0, errors.New("model: bundle without a scenario model")
	}
	cw := &crcWriter{w: bufio.NewWriterSize(w, 1<<20), crc: crc32.NewIEEE()}
	cw.write([]byte(modelMagic))
	cw.u32(FormatVersion)
	ms := b.models()
	cw.u32(uint32(len(ms)))
	for _, m := range ms {
		if err := m.writeSection(cw); err != nil {
			return cw.n, err
		}
	}
	var sum [4]byte
	binary.LittleEndian.PutUint32(sum[:], cw.crc.Sum32())
	cw.write(sum[:])
	if cw.err == nil {
		cw.err = cw.w.Flush()
	}
	return cw.n, cw.err
}

func (m *Model) writeSection(cw *crcWriter) error {
	header, err := json.Marshal(m.Meta)
	if err != nil {
		return fmt.Errorf("model: %w", err)
	}
	nf, nc := len(m.vec.idf), len(m.bias)
	hashes := make([]uint64, nf)
	for h, c := range m.vec.columns {
		hashes[c] = h
	}
	cw.u32(uint32(len(header)))
	cw.write(header)
	cw.u32(uint32(nf))
	cw.u32(uint32(nc))
	buf := make([]byte, 0, 8*len(hashes))
	for _, h := range hashes {
		buf = binary.LittleEndian.AppendUint64(buf, h)
	}
	cw.write(buf)
	cw.f32s(m.vec.idf)
	cw.f32s(m.bias)
	cw.f32s(m.w)
	return cw.err
}

// Save writes the bundle to path atomically (a temporary file renamed
// into place).
func (b Bundle) Save(path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".model-*")
	if err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := b.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("save model: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("save model: %w", err)
	}
	return nil
}

// Load reads a model file written by Save.
func Load(path string) (Bundle, error) {
	f, err := os.Open(path)
	if err != nil {
		return Bundle{}, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	b, err := ReadBundle(f)
	if err != nil {
		return Bundle{}, fmt.Errorf("load model %s: %w", path, err)
	}
	return b, nil
}

// ReadBundle reads a model file, checking the magic, the format version
// and the checksum.
func ReadBundle(r io.Reader) (Bundle, error) {
	cr := &crcReader{r: bufio.NewReaderSize(r, 1<<20), crc: crc32.NewIEEE()}
	magic := make([]byte, len(modelMagic))
	if cr.read(magic); cr.err != nil || string(magic) != modelMagic {
		return Bundle{}, ErrNotModel
	}
	if v := cr.u32(); cr.err == nil && v != FormatVersion {
		return Bundle{}, fmt.Errorf("%w: file has format %d, this build reads format %d; retrain the model with this build", ErrModelVersion, v, FormatVersion)
	}
	count := cr.u32()
	if cr.err != nil || count < 1 || count > 2 {
		return Bundle{}, fmt.Errorf("%w: %d models", ErrModelCorrupt, count)
	}
	var ms []*Model
	for i := uint32(0); i < count; i++ {
		var prev *vectorizer
		if i > 0 {
			prev = ms[i-1].vec
		}
		m, err := readSection(cr, prev)
		if err != nil {
			return Bundle{}, err
		}
		ms = append(ms, m)
	}
	sum := cr.crc.Sum32()
	var tail [4]byte
	if cr.err == nil {
		_, cr.err = io.ReadFull(cr.r, tail[:])
	}
	if cr.err != nil {
		return Bundle{}, fmt.Errorf("%w: truncated", ErrModelCorrupt)
	}
	if binary.LittleEndian.Uint32(tail[:]) != sum {
		return Bundle{}, fmt.Errorf("%w: checksum mismatch", ErrModelCorrupt)
	}
	b := Bundle{Scenario: ms[0]}
	if len(ms) > 1 {
		b.Severity = ms[1]
	}
	b.shareVectorizer()
	return b, nil
}

// readSection reads one model. When prev has the same lexicon (the
// scenario and severity models of one bundle do), its concept automaton is
// shared rather than built again.
func readSection(cr *crcReader, prev *vectorizer) (*Model, error) {
	hl := cr.u32()
	if cr.err != nil || hl > maxHeaderBytes {
		return nil, fmt.Errorf("%w: bad header length", ErrModelCorrupt)
	}
	header := make([]byte, hl)
	cr.read(header)
	m := &Model{}
	if cr.err != nil || json.Unmarshal(header, &m.Meta) != nil {
		return nil, fmt.Errorf("%w: unreadable header", ErrModelCorrupt)
	}
	nf, nc := cr.u32(), cr.u32()
	if cr.err != nil || nf > maxModelFeatures || nc < 2 || int(nc) != len(m.Meta.Labels) || uint64(nf)*uint64(nc) > 1<<28 {
		return nil, fmt.Errorf("%w: %d features × %d classes for %d labels", ErrModelCorrupt, nf, nc, len(m.Meta.Labels))
	}
	var vec *vectorizer
	if prev != nil && reflect.DeepEqual(prev.lexicon, m.Meta.Lexicon) {
		vec = &vectorizer{features: m.Meta.Features, lexicon: prev.lexicon, concepts: prev.concepts}
	} else {
		vec = newVectorizer(m.Meta.Features, m.Meta.Lexicon)
	}
	vec.columns, vec.idf = make(map[uint64]int32, nf), make([]float32, nf)
	buf := make([]byte, 8*nf)
	cr.read(buf)
	for i := uint32(0); i < nf; i++ {
		vec.columns[binary.LittleEndian.Uint64(buf[8*i:])] = int32(i)
	}
	cr.f32s(vec.idf)
	m.bias = make([]float32, nc)
	cr.f32s(m.bias)
	m.w = make([]float32, int(nf)*int(nc))
	cr.f32s(m.w)
	if cr.err != nil {
		return nil, fmt.Errorf("%w: truncated", ErrModelCorrupt)
	}
	vec.index()
	m.vec = vec
	return m, nil
}

type crcWriter struct {
	w   *bufio.Writer
	crc interface {
		io.Writer
		Sum32() uint32
	}
	n   int64
	err error
}

func (c *crcWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	c.crc.Write(p)
}

func (c *crcWriter) u32(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	c.write(b[:])
}

func (c *crcWriter) f32s(vs []float32) {
	buf := make([]byte, 0, 64<<10)
	for _, v := range vs {
		buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		if len(buf) == cap(buf) {
			c.write(buf)
			buf = buf[:0]
		}
	}
	c.write(buf)
}

type crcReader struct {
	r   *bufio.Reader
	crc interface {
		io.Writer
		Sum32() uint32
	}
	err error
}

func (c *crcReader) read(p []byte) {
	if c.err != nil {
		return
	}
	_, c.err = io.ReadFull(c.r, p)
	c.crc.Write(p)
}

func (c *crcReader) u32() uint32 {
	var b [4]byte
	c.read(b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (c *crcReader) f32s(dst []float32) {
	buf := make([]byte, 64<<10)
	for i := 0; i < len(dst) && c.err == nil; {
		n := min(len(buf)/4, len(dst)-i)
		c.read(buf[:n*4])
		for j := 0; j < n; j++ {
			dst[i+j] = math.Float32frombits(binary.LittleEndian.Uint32(buf[j*4:]))
		}
		i += n
	}
}

// shareVectorizer lets the severity model use the scenario model's
// vectorizer when they are equal (trained on the same texts with the same
// options), so a text is vectorized once for both.
func (b *Bundle) shareVectorizer() {
	if b.Severity != nil && b.Scenario != nil && b.Scenario.vec.equal(b.Severity.vec) {
		b.Severity.vec = b.Scenario.vec
	}
}
