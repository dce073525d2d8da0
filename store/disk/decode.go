package disk

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// Decode is the one decoder of a state file read from p: JSON of the
// State schema, of a version this tool knows. Package store writes the
// file with encoding/json, whose reflection costs get, run before every
// vault command, more start-up than the rest of its read together
// (docs/performance.md); this decoder reads the schema field by field.
//
// It accepts a subset of what encoding/json accepts and decodes that
// subset to the same State (FuzzDecodeAgreesWithEncodingJSON): what it
// refuses, a file this tool never writes, is ErrCorrupt. Refused: a key
// given twice; a key that matches a field only in case (encoding/json
// matches keys case-insensitively); null; a number where a field wants
// another type, or a fraction or exponent for an integer; a string that
// is not valid UTF-8 or holds a lone surrogate escape; nesting deeper
// than maxDepth; anything after the object. Keys of no field are
// skipped, as encoding/json skips them.
func Decode(p string, data []byte) (State, error) {
	var st State
	d := decoder{data: data}
	err := d.state(&st)
	if err == nil {
		d.space()
		if d.pos < len(d.data) {
			err = d.errorf("%q after the object", d.data[d.pos])
		}
	}
	if err != nil {
		return State{}, fmt.Errorf("%w %q: %v; move it away and log in again", ErrCorrupt, p, err)
	}
	if st.Version > StateVersion {
		return State{}, fmt.Errorf("%w %q: version %d is newer than this tool (%d); upgrade vault-token-helper", ErrCorrupt, p, st.Version, StateVersion)
	}
	return st, nil
}

// maxDepth bounds how deep objects and arrays nest (the schema needs 3).
const maxDepth = 32

// errEnd is the error of input that ends inside a value.
var errEnd = errors.New("unexpected end of JSON input")

// decoder reads one JSON text from data, pos being the next byte.
type decoder struct {
	data  []byte
	pos   int
	depth int
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: "+format, append([]any{d.pos}, args...)...)
}

// space skips JSON white space.
func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// next is the next byte after white space, not consumed; 0 at the end.
func (d *decoder) next() byte {
	d.space()
	if d.pos == len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

// expect consumes c, after white space.
func (d *decoder) expect(c byte) error {
	switch d.next() {
	case c:
		d.pos++
		return nil
	case 0:
		return errEnd
	}
	return d.errorf("%q where %q belongs", d.data[d.pos], c)
}

// open consumes the first byte of an object or an array (begin) and
// enters it. empty: end follows at once, and the value is read whole.
func (d *decoder) open(begin, end byte) (empty bool, err error) {
	if err := d.expect(begin); err != nil {
		return false, err
	}
	if d.depth++; d.depth > maxDepth {
		return false, d.errorf("nested deeper than %d", maxDepth)
	}
	if d.next() == end {
		d.pos++
		d.depth--
		return true, nil
	}
	return false, nil
}

// more consumes what follows a member of an object or an array (after):
// a comma, then more is true, or the end byte, which leaves the value.
func (d *decoder) more(end byte, after string) (more bool, err error) {
	switch d.next() {
	case ',':
		d.pos++
		return true, nil
	case end:
		d.pos++
		d.depth--
		return false, nil
	case 0:
		return false, errEnd
	}
	return false, d.errorf("%q after %s", d.data[d.pos], after)
}

// object reads an object whose fields are keys: field is called for each
// of them, the decoder at its value. Any other key's value is skipped.
func (d *decoder) object(keys []string, field func(key string) error) error {
	if empty, err := d.open('{', '}'); empty || err != nil {
		return err
	}
	var seen uint64 // bit i: keys[i] was read (no schema object has 64 fields)
	for {
		at := d.pos
		key, err := d.string()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		i := indexOf(keys, key)
		switch {
		case i >= 0 && seen&(1<<i) != 0:
			return fmt.Errorf("offset %d: key %q given twice", at, key)
		case i >= 0:
			seen |= 1 << i
			err = field(key)
		default:
			if k := foldedKey(keys, key); k != "" {
				return fmt.Errorf("offset %d: key %q, not %q", at, key, k)
			}
			err = d.skip()
		}
		if err != nil {
			return err
		}
		if more, err := d.more('}', "an object's value"); !more || err != nil {
			return err
		}
	}
}

func indexOf(keys []string, key string) int {
	for i, k := range keys {
		if k == key {
			return i
		}
	}
	return -1
}

// foldedKey is the field key matches only in case, as encoding/json
// matches it (bytes.EqualFold), or "".
func foldedKey(keys []string, key string) string {
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return ""
}

// array reads an array, calling elem at each element. An empty array
// is still an array: the caller makes an empty slice, as encoding/json.
func (d *decoder) array(elem func() error) error {
	if empty, err := d.open('[', ']'); empty || err != nil {
		return err
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if more, err := d.more(']', "an array's element"); !more || err != nil {
			return err
		}
	}
}

// skip reads any JSON value and drops it.
func (d *decoder) skip() error {
	switch c := d.next(); {
	case c == '{':
		return d.object(nil, nil)
	case c == '[':
		return d.array(d.skip)
	case c == '"':
		_, err := d.string()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	default:
		_, err := d.number()
		return err
	}
}

func (d *decoder) literal(lit string) error {
	d.space()
	rest := d.data[d.pos:]
	switch {
	case len(rest) >= len(lit) && string(rest[:len(lit)]) == lit:
		d.pos += len(lit)
		return nil
	case len(rest) < len(lit) && string(rest) == lit[:len(rest)]:
		return errEnd
	}
	return d.errorf("invalid literal, want %s", lit)
}

// number reads a JSON number and returns its text.
func (d *decoder) number() (string, error) {
	d.space()
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos == len(d.data):
		return "", errEnd
	case d.data[d.pos] == '0':
		d.pos++
	case digits() == 0:
		return "", d.errorf("%q where a value belongs", d.data[d.pos])
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return "", d.errorf("no digit after a decimal point")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return "", d.errorf("no digit in an exponent")
		}
	}
	return string(d.data[start:d.pos]), nil
}

// rawString reads a JSON string and returns it as written, quotes and
// escapes included (what encoding/json gives an UnmarshalJSON method).
func (d *decoder) rawString() ([]byte, error) {
	if err := d.expect('"'); err != nil {
		return nil, err
	}
	start := d.pos - 1
	for d.pos < len(d.data) {
		switch c := d.data[d.pos]; {
		case c == '"':
			d.pos++
			return d.data[start:d.pos], nil
		case c == '\\':
			d.pos += 2
		case c < 0x20:
			return nil, d.errorf("control character %q in a string", c)
		default:
			d.pos++
		}
	}
	return nil, errEnd
}

// string reads a JSON string and returns its value.
func (d *decoder) string() (string, error) {
	at := d.pos
	raw, err := d.rawString()
	if err != nil {
		return "", err
	}
	s, err := decodeString(raw)
	if err != nil {
		return "", fmt.Errorf("offset %d: %w", at, err)
	}
	return s, nil
}

// decodeString is the value of the JSON string literal raw (quotes
// included). Invalid UTF-8 and a lone surrogate are refused (encoding/json
// would replace them with U+FFFD).
func decodeString(raw []byte) (string, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", errors.New("not a JSON string")
	}
	in := raw[1 : len(raw)-1]
	if !utf8.Valid(in) {
		return "", errors.New("a string that is not valid UTF-8")
	}
	i := 0
	for i < len(in) && in[i] != '\\' && in[i] != '"' && in[i] >= 0x20 {
		i++
	}
	if i == len(in) {
		return string(in), nil
	}
	var b strings.Builder
	b.Write(in[:i])
	for i < len(in) {
		c := in[i]
		switch {
		case c == '"' || c < 0x20:
			return "", fmt.Errorf("%q unescaped in a string", c)
		case c != '\\':
			b.WriteByte(c)
			i++
			continue
		case i+1 == len(in):
			return "", errors.New("a string ends in a backslash")
		}
		i += 2
		switch e := in[i-1]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n, err := unicodeEscape(in[i-2:])
			if err != nil {
				return "", err
			}
			b.WriteRune(r)
			i += n - 2
		default:
			return "", fmt.Errorf("invalid escape \\%c in a string", e)
		}
	}
	return b.String(), nil
}

// unicodeEscape reads \uXXXX (a surrogate pair: two of them) at the start
// of in, and returns the rune and the bytes read.
func unicodeEscape(in []byte) (rune, int, error) {
	r, ok := hex4(in)
	if !ok {
		return 0, 0, errors.New("invalid \\u escape in a string")
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, nil
	}
	if len(in) >= 12 && in[6] == '\\' && in[7] == 'u' {
		if r2, ok := hex4(in[6:]); ok {
			if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
				return pair, 12, nil
			}
		}
	}
	return 0, 0, errors.New("a lone surrogate \\u escape in a string")
}

// hex4 is the value of the \uXXXX escape at the start of in.
func hex4(in []byte) (rune, bool) {
	if len(in) < 6 || in[0] != '\\' || in[1] != 'u' {
		return 0, false
	}
	v, err := strconv.ParseUint(string(in[2:6]), 16, 32)
	return rune(v), err == nil
}

// Typed values of the schema.

func (d *decoder) str(v *string) (err error) {
	*v, err = d.string()
	return err
}

func (d *decoder) strs(v *[]string) error {
	*v = []string{}
	return d.array(func() error {
		s, err := d.string()
		*v = append(*v, s)
		return err
	})
}

func (d *decoder) int(v *int) error {
	at := d.next()
	if at == '"' || at == '{' || at == '[' || at == 't' || at == 'f' || at == 'n' {
		return d.errorf("%q where an integer belongs", at)
	}
	s, err := d.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(s, 10, strconv.IntSize)
	if err != nil {
		return d.errorf("%s is not an integer", s)
	}
	*v = int(n)
	return nil
}

func (d *decoder) bool(v *bool) error {
	switch d.next() {
	case 't':
		*v = true
		return d.literal("true")
	case 'f':
		*v = false
		return d.literal("false")
	case 0:
		return errEnd
	}
	return d.errorf("%q where true or false belongs", d.data[d.pos])
}

// unmarshaler reads a string and gives it, as written, to
// UnmarshalJSON, as encoding/json gives it to time.Time and Duration.
func (d *decoder) unmarshaler(v interface{ UnmarshalJSON([]byte) error }) error {
	at := d.next()
	if at != '"' && at != 0 {
		return d.errorf("%q where a string belongs", at)
	}
	raw, err := d.rawString()
	if err != nil {
		return err
	}
	if err := v.UnmarshalJSON(raw); err != nil {
		return d.errorf("%v", err)
	}
	return nil
}

func (d *decoder) time(v *time.Time) error { return d.unmarshaler(v) }
