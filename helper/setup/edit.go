package setup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	hclparser "github.com/hashicorp/hcl/hcl/parser"
	hcltoken "github.com/hashicorp/hcl/hcl/token"
	jsonscanner "github.com/hashicorp/hcl/json/scanner"
	jsontoken "github.com/hashicorp/hcl/json/token"
)

// The CLI config editor: ~/.vault and ~/.bao are HCL or JSON files whose
// only valid key is token_helper. SetTokenHelper and UnsetTokenHelper
// change that item and nothing else: every other byte (comments, blank
// lines, line endings, the JSON form) stays as it is. Both parse with
// hashicorp/hcl v1, the parser the CLIs use, and locate the item through
// the tokens' offsets; they never rewrite a file from its syntax tree.

// tokenHelperKey is the only key the Vault and OpenBao CLI configs take.
const tokenHelperKey = "token_helper"

// ErrNotString is returned when token_helper holds something other than
// a string (a list, an object), which no CLI accepts.
var ErrNotString = errors.New("token_helper is not a string")

// SetTokenHelper returns src with token_helper set to bin: the first
// token_helper item gets the new value (its comments stay), later ones
// are removed, and when there is none one is added (a line at the end of
// an HCL file, a member of a JSON object). changed is false when src
// already has exactly that one item.
func SetTokenHelper(src []byte, bin string) (out []byte, changed bool, err error) {
	if isJSON(src) {
		return setJSON(src, bin)
	}
	return setHCL(src, bin)
}

// UnsetTokenHelper returns src without the token_helper items whose value
// names bin (per names); other items, naming another helper, stay.
// changed is false when there was none to remove.
func UnsetTokenHelper(src []byte, names func(string) bool) (out []byte, changed bool, err error) {
	out = src
	for {
		var (
			next []byte
			done bool
		)
		if isJSON(out) {
			next, done, err = unsetOneJSON(out, names)
		} else {
			next, done, err = unsetOneHCL(out, names)
		}
		if err != nil {
			return nil, false, err
		}
		if done {
			return out, changed, nil
		}
		out, changed = next, true
	}
}

// isJSON is hcl's own choice (lexMode): JSON when the first non-space
// character is '{'.
func isJSON(src []byte) bool {
	s := bytes.TrimLeftFunc(src, func(r rune) bool { return strings.ContainsRune(" \t\r\n\v\f\u0085\u00a0", r) })
	return len(s) > 0 && s[0] == '{'
}

// ---- HCL --------------------------------------------------------------------

// hclDoc is an HCL file parsed for editing. The parser drops the "\r" of
// "\r\n" before it scans, so offsets are into norm; orig maps them back.
type hclDoc struct {
	src   []byte
	norm  []byte
	orig  []int // orig[i]: the offset in src of norm[i]; orig[len(norm)] = len(src)
	items []*ast.ObjectItem
	nl    string // the file's line ending
}

func parseHCL(src []byte) (*hclDoc, error) {
	d := &hclDoc{src: src, nl: "\n"}
	if bytes.Contains(src, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	d.orig = make([]int, 0, len(src)+1)
	for i := 0; i < len(src); i++ {
		if src[i] == '\r' && i+1 < len(src) && src[i+1] == '\n' {
			continue
		}
		d.norm = append(d.norm, src[i])
		d.orig = append(d.orig, i)
	}
	d.orig = append(d.orig, len(src))
	// Duplicates are tolerated here: a second token_helper is ours to fix.
	f, err := hclparser.ParseDontErrorOnDuplicateKeys(src)
	if err != nil {
		return nil, err
	}
	list, ok := f.Node.(*ast.ObjectList)
	if !ok {
		return nil, errors.New("not an HCL body")
	}
	for _, it := range list.Items {
		if len(it.Keys) > 0 && keyValue(it.Keys[0].Token) == tokenHelperKey {
			d.items = append(d.items, it)
		}
	}
	return d, nil
}

func keyValue(t hcltoken.Token) string {
	if t.Type == hcltoken.STRING {
		if s, ok := t.Value().(string); ok {
			return s
		}
	}
	return t.Text
}

// valueSpan is the item's value in norm: a string or heredoc literal.
// A heredoc's token ends with the newline after its marker, which
// belongs to the line, not to the value.
func (d *hclDoc) valueSpan(it *ast.ObjectItem) (start, end int, tok hcltoken.Token, err error) {
	lit, ok := it.Val.(*ast.LiteralType)
	if !ok || (lit.Token.Type != hcltoken.STRING && lit.Token.Type != hcltoken.HEREDOC) {
		return 0, 0, hcltoken.Token{}, fmt.Errorf("%w (line %d)", ErrNotString, it.Keys[0].Pos().Line)
	}
	tok = lit.Token
	start = tok.Pos.Offset
	end = start + len(strings.TrimSuffix(tok.Text, "\n"))
	if end > len(d.norm) || !bytes.HasPrefix(d.norm[start:], []byte(strings.TrimSuffix(tok.Text, "\n"))) {
		return 0, 0, hcltoken.Token{}, fmt.Errorf("cannot locate token_helper on line %d", it.Keys[0].Pos().Line)
	}
	return start, end, tok, nil
}

// stringValue is what the CLI decodes from a string or heredoc token.
func stringValue(tok hcltoken.Token) string {
	s, _ := tok.Value().(string)
	return s
}

// replace returns src with norm[start:end] replaced by text.
func (d *hclDoc) replace(start, end int, text string) []byte {
	// One past the last byte replaced: a "\r" before the next "\n" stays.
	a, b := d.orig[start], d.orig[start]
	if end > start {
		b = d.orig[end-1] + 1
		if d.norm[start] == '\n' && a > 0 && d.src[a-1] == '\r' {
			a-- // a line break removed is the whole "\r\n"
		}
	}
	out := make([]byte, 0, len(d.src)-(b-a)+len(text))
	out = append(out, d.src[:a]...)
	out = append(out, text...)
	return append(out, d.src[b:]...)
}

// itemSpan is the whole item in norm with its trailing line comment, and
// its line (from the line start to and with the newline) when nothing
// else is on it.
func (d *hclDoc) itemSpan(it *ast.ObjectItem) (int, int, error) {
	_, end, _, err := d.valueSpan(it)
	if err != nil {
		return 0, 0, err
	}
	start := it.Keys[0].Token.Pos.Offset
	if lc := lineComment(it); lc != nil {
		for _, c := range lc.List {
			if e := c.Start.Offset + len(c.Text); e > end && bytes.HasPrefix(d.norm[c.Start.Offset:], []byte(c.Text)) {
				end = e
			}
		}
	}
	ls := start
	for ls > 0 && (d.norm[ls-1] == ' ' || d.norm[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(d.norm) && (d.norm[le] == ' ' || d.norm[le] == '\t') {
		le++
	}
	lineStart := ls == 0 || d.norm[ls-1] == '\n'
	lineEnd := le == len(d.norm) || d.norm[le] == '\n'
	switch {
	case lineStart && lineEnd:
		if le < len(d.norm) {
			le++ // the newline
		} else if ls > 0 {
			ls-- // the last line, with no newline of its own: the one before it
		}
		return ls, le, nil
	case lineEnd:
		return ls, le, nil // something before it on the line: keep that and the newline
	}
	return start, end, nil
}

// lineComment is the comment after the item on its line; hcl attaches it
// to the item or to its value.
func lineComment(it *ast.ObjectItem) *ast.CommentGroup {
	if it.LineComment != nil {
		return it.LineComment
	}
	if lit, ok := it.Val.(*ast.LiteralType); ok {
		return lit.LineComment
	}
	return nil
}

// hclQuote is s as an HCL string literal. The result is checked by the
// CLI's own loader before it is written, so a path HCL cannot carry is
// caught there.
func hclQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

func setHCL(src []byte, bin string) ([]byte, bool, error) {
	d, err := parseHCL(src)
	if err != nil {
		return nil, false, err
	}
	if len(d.items) == 0 {
		// A new last line. A file that does not end in a newline still
		// does not: the item goes after a line break of its own, which
		// UnsetTokenHelper removes with it, so that an uninstall gives
		// back the very bytes.
		item := tokenHelperKey + " = " + hclQuote(bin)
		out := bytes.Clone(src)
		if len(out) > 0 && out[len(out)-1] != '\n' {
			return append(out, d.nl+item...), true, nil
		}
		return append(out, item+d.nl...), true, nil
	}
	// Later duplicates first, from the end, so offsets stay valid.
	out := src
	changed := false
	if len(d.items) > 1 {
		last := d.items[len(d.items)-1]
		start, end, err := d.itemSpan(last)
		if err != nil {
			return nil, false, err
		}
		out = d.replace(start, end, "")
		next, _, err := setHCL(out, bin)
		return next, true, err
	}
	start, end, tok, err := d.valueSpan(d.items[0])
	if err != nil {
		return nil, false, err
	}
	if tok.Type == hcltoken.STRING && stringValue(tok) == bin {
		return out, changed, nil
	}
	return d.replace(start, end, hclQuote(bin)), true, nil
}

func unsetOneHCL(src []byte, names func(string) bool) ([]byte, bool, error) {
	d, err := parseHCL(src)
	if err != nil {
		return nil, false, err
	}
	for _, it := range d.items {
		lit, ok := it.Val.(*ast.LiteralType)
		if !ok || !names(strings.TrimSpace(stringValue(lit.Token))) {
			continue
		}
		start, end, err := d.itemSpan(it)
		if err != nil {
			return nil, false, err
		}
		return d.replace(start, end, ""), false, nil
	}
	return src, true, nil
}

// ---- JSON -------------------------------------------------------------------

// jsonMember is one member of the root object, as byte offsets into src.
type jsonMember struct {
	key        string
	keyStart   int
	valueStart int
	valueEnd   int
	value      *jsontoken.Token // the value when it is a single literal token
}

// jsonDoc is the root object of a JSON config: its braces and members.
type jsonDoc struct {
	lbrace, rbrace int
	members        []jsonMember
}

// parseJSON checks src with hcl's JSON parser (what the CLI runs), then
// walks hcl's JSON scanner, which keeps byte offsets, for the members of
// the root object.
func parseJSON(src []byte) (*jsonDoc, error) {
	if _, err := hcl.ParseBytes(src); err != nil && !strings.Contains(err.Error(), "only be defined once") {
		return nil, err
	}
	var scanErr error
	sc := jsonscanner.New(src)
	sc.Error = func(pos jsontoken.Pos, msg string) { scanErr = fmt.Errorf("%s: %s", pos, msg) }
	next := func() jsontoken.Token { return sc.Scan() }
	bad := func(t jsontoken.Token) error {
		if scanErr != nil {
			return scanErr
		}
		return fmt.Errorf("unexpected %s at line %d", t.Type, t.Pos.Line)
	}
	t := next()
	if t.Type != jsontoken.LBRACE {
		return nil, bad(t)
	}
	d := &jsonDoc{lbrace: t.Pos.Offset}
	end := func(t jsontoken.Token) int { return t.Pos.Offset + len(t.Text) }
	for {
		t = next()
		if t.Type == jsontoken.RBRACE && len(d.members) == 0 {
			d.rbrace = t.Pos.Offset
			return d, nil
		}
		if t.Type != jsontoken.STRING {
			return nil, bad(t)
		}
		m := jsonMember{keyStart: t.Pos.Offset}
		if err := json.Unmarshal([]byte(t.Text), &m.key); err != nil {
			return nil, fmt.Errorf("key at line %d: %w", t.Pos.Line, err)
		}
		if t = next(); t.Type != jsontoken.COLON {
			return nil, bad(t)
		}
		t = next()
		m.valueStart = t.Pos.Offset
		switch t.Type {
		case jsontoken.LBRACE, jsontoken.LBRACK:
			depth := 1
			for depth > 0 {
				t = next()
				switch t.Type {
				case jsontoken.LBRACE, jsontoken.LBRACK:
					depth++
				case jsontoken.RBRACE, jsontoken.RBRACK:
					depth--
				case jsontoken.EOF, jsontoken.ILLEGAL:
					return nil, bad(t)
				}
			}
		case jsontoken.STRING, jsontoken.NUMBER, jsontoken.FLOAT, jsontoken.BOOL, jsontoken.NULL:
			tok := t
			m.value = &tok
		default:
			return nil, bad(t)
		}
		m.valueEnd = end(t)
		d.members = append(d.members, m)
		switch t = next(); t.Type {
		case jsontoken.COMMA:
		case jsontoken.RBRACE:
			d.rbrace = t.Pos.Offset
			return d, nil
		default:
			return nil, bad(t)
		}
	}
}

func (m jsonMember) stringValue() (string, bool) {
	if m.value == nil || m.value.Type != jsontoken.STRING {
		return "", false
	}
	var s string
	if err := json.Unmarshal([]byte(m.value.Text), &s); err != nil {
		// hcl's scanner accepts escapes encoding/json does not; fall back
		// to Go's rules, then to the raw text.
		if u, err := strconv.Unquote(m.value.Text); err == nil {
			return u, true
		}
		return m.value.Text, true
	}
	return s, true
}

func jsonQuote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

func splice(src []byte, start, end int, text string) []byte {
	out := make([]byte, 0, len(src)-(end-start)+len(text))
	out = append(out, src[:start]...)
	out = append(out, text...)
	return append(out, src[end:]...)
}

// removeMember returns src without member i and the comma that joined it.
func (d *jsonDoc) removeMember(src []byte, i int) []byte {
	switch {
	case i+1 < len(d.members):
		return splice(src, d.members[i].keyStart, d.members[i+1].keyStart, "")
	case i > 0:
		return splice(src, d.members[i-1].valueEnd, d.members[i].valueEnd, "")
	}
	return splice(src, d.lbrace+1, d.rbrace, "")
}

func setJSON(src []byte, bin string) ([]byte, bool, error) {
	d, err := parseJSON(src)
	if err != nil {
		return nil, false, err
	}
	var idx []int
	for i, m := range d.members {
		if m.key == tokenHelperKey {
			idx = append(idx, i)
		}
	}
	switch {
	case len(idx) == 0 && len(d.members) == 0:
		return splice(src, d.lbrace+1, d.rbrace, jsonQuote(tokenHelperKey)+": "+jsonQuote(bin)), true, nil
	case len(idx) == 0:
		// Before the first member, on its line: removeMember takes away
		// exactly what this adds.
		at := d.members[0].keyStart
		return splice(src, at, at, jsonQuote(tokenHelperKey)+": "+jsonQuote(bin)+", "), true, nil
	case len(idx) > 1:
		next, _, err := setJSON(d.removeMember(src, idx[len(idx)-1]), bin)
		return next, true, err
	}
	m := d.members[idx[0]]
	if m.value == nil || m.value.Type != jsontoken.STRING {
		return nil, false, ErrNotString
	}
	if s, _ := m.stringValue(); s == bin {
		return src, false, nil
	}
	return splice(src, m.valueStart, m.valueEnd, jsonQuote(bin)), true, nil
}

func unsetOneJSON(src []byte, names func(string) bool) ([]byte, bool, error) {
	d, err := parseJSON(src)
	if err != nil {
		return nil, false, err
	}
	for i, m := range d.members {
		if m.key != tokenHelperKey {
			continue
		}
		if s, ok := m.stringValue(); ok && names(strings.TrimSpace(s)) {
			return d.removeMember(src, i), false, nil
		}
	}
	return src, true, nil
}

// TokenHelperValue is the token_helper the file names, as the CLI reads
// it ("" when there is none), for messages.
func TokenHelperValue(src []byte) string {
	if isJSON(src) {
		d, err := parseJSON(src)
		if err != nil {
			return ""
		}
		for _, m := range d.members {
			if m.key == tokenHelperKey {
				s, _ := m.stringValue()
				return s
			}
		}
		return ""
	}
	d, err := parseHCL(src)
	if err != nil || len(d.items) == 0 {
		return ""
	}
	if lit, ok := d.items[0].Val.(*ast.LiteralType); ok {
		return stringValue(lit.Token)
	}
	return ""
}
