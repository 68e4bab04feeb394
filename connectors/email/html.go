package email

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToText renders an HTML mail body as readable plain text: block
// elements become line breaks, lists become "- " items, links keep a short
// target, images their alt text; scripts, styles and hidden elements are
// dropped. Quoted material (blockquote, Gmail/Thunderbird quote containers)
// is rendered with "> " prefixes and Outlook's reply header as an
// "-----Original Message-----" line, so foldReply treats it like plain text.
func htmlToText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil { // html.Parse only fails on reader errors
		return ""
	}
	var r htmlRenderer
	r.node(doc, 0)
	return tidyText(r.b.String())
}

type htmlRenderer struct {
	b   strings.Builder
	pre int // depth inside <pre>
}

const maxHTMLDepth = 200

var skipAtoms = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Title: true,
	atom.Template: true, atom.Noscript: true, atom.Svg: true, atom.Iframe: true,
	atom.Object: true, atom.Select: true, atom.Button: true,
}

var blockAtoms = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.H1: true, atom.H2: true, atom.H3: true,
	atom.H4: true, atom.H5: true, atom.H6: true, atom.Ul: true, atom.Ol: true,
	atom.Table: true, atom.Tr: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Address: true, atom.Center: true,
	atom.Form: true, atom.Dl: true, atom.Dt: true, atom.Dd: true, atom.Pre: true,
	atom.Main: true, atom.Nav: true, atom.Aside: true, atom.Figure: true,
	atom.Body: true, atom.Html: true,
}

var paragraphAtoms = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Table: true, atom.Ul: true, atom.Ol: true,
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hidden(n *html.Node) bool {
	style := strings.ToLower(strings.ReplaceAll(attr(n, "style"), " ", ""))
	if strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden") {
		return true
	}
	_, h := attrPresent(n, "hidden")
	return h
}

func attrPresent(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func isQuoteContainer(n *html.Node) bool {
	if n.DataAtom == atom.Blockquote {
		return true
	}
	class := attr(n, "class")
	return strings.Contains(class, "gmail_quote") || strings.Contains(class, "moz-cite-prefix") ||
		strings.Contains(class, "yahoo_quoted")
}

func isSignatureContainer(n *html.Node) bool {
	class := attr(n, "class")
	return strings.Contains(class, "gmail_signature") || strings.Contains(class, "moz-signature")
}

func (r *htmlRenderer) node(n *html.Node, depth int) {
	if depth > maxHTMLDepth {
		return
	}
	switch n.Type {
	case html.TextNode:
		r.text(n.Data)
		return
	case html.ElementNode:
		r.element(n, depth)
		return
	}
	r.children(n, depth)
}

func (r *htmlRenderer) children(n *html.Node, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		r.node(c, depth+1)
	}
}

func (r *htmlRenderer) element(n *html.Node, depth int) {
	if skipAtoms[n.DataAtom] || hidden(n) {
		return
	}
	if id := attr(n, "id"); id == "divRplyFwdMsg" || id == "appendonsend" {
		r.b.WriteString("\n-----Original Message-----\n")
		r.children(n, depth)
		return
	}
	if isSignatureContainer(n) {
		r.b.WriteString("\n-- \n")
		r.children(n, depth)
		return
	}
	if isQuoteContainer(n) {
		r.quote(n, depth)
		return
	}
	switch n.DataAtom {
	case atom.Br:
		r.b.WriteString("\n")
		return
	case atom.Hr:
		r.b.WriteString("\n\n")
		return
	case atom.Li:
		r.b.WriteString("\n- ")
		r.children(n, depth)
		return
	case atom.Td, atom.Th:
		r.children(n, depth)
		r.b.WriteString(" ")
		return
	case atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			r.text("[" + alt + "]")
		}
		return
	case atom.A:
		r.link(n, depth)
		return
	case atom.Pre:
		r.pre++
		defer func() { r.pre-- }()
	}
	if blockAtoms[n.DataAtom] {
		r.b.WriteString("\n")
	}
	r.children(n, depth)
	if paragraphAtoms[n.DataAtom] {
		r.b.WriteString("\n\n")
	} else if blockAtoms[n.DataAtom] {
		r.b.WriteString("\n")
	}
}

// maxShownURL keeps tracking links (hundreds of characters) out of the
// chat text; the original mail still has them.
const maxShownURL = 100

func (r *htmlRenderer) link(n *html.Node, depth int) {
	start := r.b.Len()
	r.children(n, depth)
	shown := strings.TrimSpace(r.b.String()[start:])
	href := strings.TrimSpace(attr(n, "href"))
	lower := strings.ToLower(href)
	if !(strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "mailto:")) {
		return
	}
	if len(href) > maxShownURL || shown == href || "mailto:"+shown == href {
		return
	}
	if shown == "" {
		r.text(href)
		return
	}
	r.b.WriteString(" <" + href + ">")
}

func (r *htmlRenderer) quote(n *html.Node, depth int) {
	var inner htmlRenderer
	inner.pre = r.pre
	inner.children(n, depth)
	text := tidyText(inner.b.String())
	r.b.WriteString("\n")
	for _, line := range strings.Split(text, "\n") {
		r.b.WriteString("> " + line + "\n")
	}
}

func (r *htmlRenderer) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if r.pre > 0 {
		r.b.WriteString(s)
		return
	}
	fields := strings.Fields(s)
	if len(fields) == 0 {
		if s != "" {
			r.b.WriteString(" ")
		}
		return
	}
	if isSpace(s[0]) {
		r.b.WriteString(" ")
	}
	r.b.WriteString(strings.Join(fields, " "))
	if isSpace(s[len(s)-1]) {
		r.b.WriteString(" ")
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' }

// tidyText trims every line, drops zero-width characters and collapses runs
// of blank lines to one.
func tidyText(s string) string {
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u200b", "", "\u200c", "", "\ufeff", "", "\u034f", "").Replace(s)
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	blank := true // suppress leading blank lines
	for _, l := range lines {
		l = strings.TrimRight(strings.TrimLeft(l, " \t"), " \t")
		if l == "" {
			if !blank {
				out = append(out, "")
			}
			blank = true
			continue
		}
		blank = false
		out = append(out, l)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
