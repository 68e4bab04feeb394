package cli_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
)

// A hostile sender's message, title and file names, and two accounts
// over three months, as a JSONL archive to import.
const hostileText = `<script>alert(1)</script> "onerror=alert(2) <a href="javascript:alert(3)">x</a> <img src=x onerror=alert(5)>`

const exportFixture = `{"network":"irc","account":"work","conversation":"mallory","conversation_title":"../../<img src=x onerror=alert(6)>/.evil","sender":"mallory","sender_name":"Mal\"<b>","remote_id":"r2","time":"2026-11-02T10:00:00Z","direction":"in","text":HOSTILE,"attachments":[{"name":"../.bashrc","type":"text/plain","size":5},{"name":"javascript:alert(4).html","type":"text/html","size":29}]}
{"attachment_data":{"account":"work","remote_id":"r2","index":0,"seq":0,"data":"aGVsbG8=","last":true}}
{"attachment_data":{"account":"work","remote_id":"r2","index":1,"seq":0,"data":"PHNjcmlwdD5hbGVydCg3KTwvc2NyaXB0Pg==","last":true}}
{"network":"irc","account":"work","conversation":"mallory","conversation_title":"../../<img src=x onerror=alert(6)>/.evil","sender":"sbuser","remote_id":"r3","time":"2026-11-03T08:30:00+01:00","direction":"out","text":"third"}
{"network":"irc","account":"work","conversation":"mallory","conversation_title":"../../<img src=x onerror=alert(6)>/.evil","sender":"sbuser","remote_id":"r1","time":"2026-11-01T09:00:00Z","direction":"out","text":"first"}
{"network":"irc","account":"work","conversation":"carol","conversation_title":"carol","sender":"carol","remote_id":"c1","time":"2026-10-15T12:00:00Z","direction":"in","text":"october"}
{"network":"irc","account":"home","conversation":"bob","conversation_title":"bob","sender":"bob","remote_id":"b1","time":"2026-12-01T09:00:00Z","direction":"in","text":"december"}
`

// savedName is how an attachment is saved: message ID, number, a name
// of safe characters with no leading dot.
var savedName = regexp.MustCompile(`^[0-9]+-[0-9]+-[A-Za-z0-9_-][A-Za-z0-9._-]*$`)

func seedExportProfile(t *testing.T, p *profile) {
	t.Helper()
	p.env = append(p.env, "TZ=UTC") // the dates of the filters are local
	in := filepath.Join(t.TempDir(), "in.jsonl")
	hostile, err := json.Marshal(hostileText)
	if err != nil {
		t.Fatal(err)
	}
	fixture := strings.Replace(exportFixture, "HOSTILE", string(hostile), 1)
	if err := os.WriteFile(in, []byte(fixture), 0o600); err != nil {
		t.Fatal(err)
	}
	p.sb("", "import", "--format", "jsonl", in)
	// An account for the ledger (its server never answers: not needed).
	p.sb("", "account", "add", "irc", "work", "--server", "127.0.0.1:1", "--nick", "sbuser", "--tls=false")
	p.sb("", "brand", "consent", "work", "AcmeDeals", "subscribed")
	p.sb("", "brand", "consent", "work", "mallory", "blocked") // a blocked conversation is still exported
}

// TestCLIExportHTML: the HTML archive has an index, one page per
// conversation in time order, the hostile message as text (no script,
// no handler, no javascript: link), files beside it that the manifest
// hashes, the ledger, and the filters; a non-empty directory is refused.
func TestCLIExportHTML(t *testing.T) {
	p := newProfile(t)
	seedExportProfile(t, p)
	dir := filepath.Join(t.TempDir(), "out")
	p.sb("", "export", "--format", "html", "--out", dir)

	manifest := readManifest(t, dir)
	pages := map[string]*html.Node{}
	for rel := range manifest {
		if strings.HasSuffix(rel, ".html") && !strings.Contains(rel, "-files/") {
			pages[rel] = parsePage(t, dir, rel)
		}
	}
	for rel, doc := range pages {
		checkSafe(t, rel, doc)
	}
	index := pages["index.html"]
	if index == nil {
		t.Fatalf("no index.html in the manifest: %v", manifest)
	}
	rows := findAll(index, func(n *html.Node) bool { return hasClass(n, "conversation") })
	if len(rows) != 3 {
		t.Fatalf("index lists %d conversations, want 3", len(rows))
	}
	var mallory string
	for _, r := range rows {
		a := findAll(r, tag("a"))[0]
		href := attr(a, "href")
		if pages[href] == nil {
			t.Fatalf("index links %q, which is not an exported page", href)
		}
		if strings.Contains(text(a), "onerror=alert(6)") {
			mallory = href
		}
	}
	if mallory == "" {
		t.Fatal("the hostile title is not shown as text in the index")
	}
	if strings.HasPrefix(path.Base(mallory), ".") || strings.Contains(mallory, "..") || strings.Count(mallory, "/") != 1 {
		t.Fatalf("page name %q", mallory)
	}
	conv := pages[mallory]
	msgs := findAll(conv, tag("article"))
	var texts []string
	var last time.Time
	for _, m := range msgs {
		tm := findAll(m, tag("time"))[0]
		when, err := time.Parse(time.RFC3339, attr(tm, "datetime"))
		if err != nil || !strings.ContainsAny(attr(tm, "datetime")[19:], "+-") {
			t.Fatalf("time %q is not ISO 8601 with an offset: %v", attr(tm, "datetime"), err)
		}
		if when.Before(last) {
			t.Fatalf("messages out of time order: %v after %v", when, last)
		}
		last = when
		texts = append(texts, text(findAll(m, func(n *html.Node) bool { return hasClass(n, "text") })[0]))
	}
	if strings.Join(texts, "|") != "first|"+hostileText+"|third" {
		t.Fatalf("messages %q", texts)
	}
	if s := text(msgs[1]); !strings.Contains(s, `Mal"<b> <mallory>`) {
		t.Fatalf("sender not shown: %q", s)
	}
	links := findAll(msgs[1], func(n *html.Node) bool { return hasClass(n, "attachment") })
	want := map[string]string{"../.bashrc": "hello", "javascript:alert(4).html": "<script>alert(7)</script>"}
	if len(links) != len(want) {
		t.Fatalf("%d attachment links, want %d", len(links), len(want))
	}
	for _, a := range links {
		rel := path.Join(path.Dir(mallory), attr(a, "href"))
		if strings.HasPrefix(rel, "../") || strings.HasPrefix(path.Base(rel), ".") || strings.HasSuffix(rel, ".html") || !savedName.MatchString(path.Base(rel)) {
			t.Fatalf("attachment %q saved as %q", text(a), rel)
		}
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil || string(data) != want[text(a)] {
			t.Fatalf("attachment %q at %s: %q, %v", text(a), rel, data, err)
		}
		sum := sha256.Sum256(data)
		if manifest[rel] != hex.EncodeToString(sum[:]) {
			t.Fatalf("manifest has %q for %s, the file hashes to %x", manifest[rel], rel, sum)
		}
	}
	ledger := pages["ledger.html"]
	entries := findAll(ledger, func(n *html.Node) bool { return hasClass(n, "entry") })
	if len(entries) != 2 || !strings.Contains(text(entries[0]), "AcmeDeals") || !strings.Contains(text(entries[0]), "subscribed") ||
		!strings.Contains(text(entries[1]), "mallory") || !strings.Contains(text(entries[1]), "blocked") {
		t.Fatalf("ledger rows: %d", len(entries))
	}

	// A changed file no longer matches the manifest.
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("changed"), 0o600); err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256([]byte("changed")); manifest["index.html"] == hex.EncodeToString(sum[:]) {
		t.Fatal("manifest does not detect a change")
	}

	// An existing directory with files is refused, and left alone.
	_, stderr, code := p.try("", "export", "--format", "html", "--out", dir)
	if code == 0 || !strings.Contains(stderr, "not empty") {
		t.Fatalf("export into a non-empty directory: exit %d, %q", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "index.html")); string(b) != "changed" {
		t.Fatal("export touched the non-empty directory")
	}
}

// TestCLIExportHTMLFilters: --account and --since/--until choose the
// conversations and messages exported.
func TestCLIExportHTMLFilters(t *testing.T) {
	p := newProfile(t)
	seedExportProfile(t, p)
	cases := []struct {
		args []string
		want string // message texts, page by page
	}{
		{[]string{"--account", "home"}, "december"},
		{[]string{"--account", "work", "--until", "2026-11-01"}, "first|october"},
		{[]string{"--since", "2026-11-02", "--until", "2026-11-30"}, hostileText + "|third"},
		{[]string{"--since", "2026-11-15T00:00:00Z"}, "december"},
	}
	for _, c := range cases {
		dir := filepath.Join(t.TempDir(), "out")
		p.sb("", append([]string{"export", "--format", "html", "--out", dir}, c.args...)...)
		index := parsePage(t, dir, "index.html")
		var got []string
		for _, a := range findAll(index, func(n *html.Node) bool { return n.Data == "a" && strings.HasPrefix(attr(n, "href"), "conversations/") }) {
			for _, m := range findAll(parsePage(t, dir, attr(a, "href")), func(n *html.Node) bool { return hasClass(n, "text") }) {
				got = append(got, text(m))
			}
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("export %v: messages %q, want %q", c.args, got, c.want)
		}
	}
	if _, stderr, code := p.try("", "export", "--format", "html", "--out", t.TempDir(), "--since", "yesterday"); code == 0 || !strings.Contains(stderr, "not a date") {
		t.Fatalf("bad --since: exit %d, %q", code, stderr)
	}
}

// TestCLIExportHTMLOverTheSocket: while `switchboard run` holds a
// passphrase profile, the HTML export goes through its socket, needs the
// passphrase like the JSONL one, and is in the audit log.
func TestCLIExportHTMLOverTheSocket(t *testing.T) {
	p := newProfileMode(t, true)
	seedExportProfile(t, p)
	p.start()
	eventually(t, "the running Switchboard to answer", func() bool {
		_, e, c := p.try("", "inbox")
		return c == 0 && !strings.Contains(e, "Waiting")
	})
	var stripped []string
	for _, kv := range p.env {
		if !strings.HasPrefix(kv, "SWITCHBOARD_PASSPHRASE_FILE=") {
			stripped = append(stripped, kv)
		}
	}
	q := *p
	q.env = stripped
	refused := filepath.Join(t.TempDir(), "refused")
	if _, stderr, code := q.try("", "export", "--format", "html", "--out", refused); code == 0 || !strings.Contains(stderr, "passphrase") {
		t.Fatalf("html export without the passphrase: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(refused); !os.IsNotExist(err) {
		t.Fatalf("a refused export left %s: %v", refused, err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	p.sb("", "export", "--format", "html", "--out", dir)
	if n := len(readManifest(t, dir)); n != 7 { // index, ledger, 3 pages, 2 files
		t.Fatalf("manifest lists %d files, want 7", n)
	}
	if log := p.sb("", "audit"); strings.Count(log, "plaintext export (html) over the control socket") != 1 {
		t.Fatalf("audit log:\n%s", log)
	}
}

// readManifest reads MANIFEST.sha256 and checks it lists every other file
// of dir, each with its SHA-256.
func readManifest(t *testing.T, dir string) map[string]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "MANIFEST.sha256"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, rel, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("manifest line %q", sc.Text())
		}
		m[rel] = sum
	}
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "MANIFEST.sha256" {
			return err
		}
		n++
		rel, _ := filepath.Rel(dir, p)
		data, _ := os.ReadFile(p)
		sum := sha256.Sum256(data)
		if m[filepath.ToSlash(rel)] != hex.EncodeToString(sum[:]) {
			t.Fatalf("manifest: %s has %q, the file hashes to %x", rel, m[filepath.ToSlash(rel)], sum)
		}
		return nil
	})
	if n != len(m) {
		t.Fatalf("manifest lists %d files, the directory has %d", len(m), n)
	}
	return m
}

func parsePage(t *testing.T, dir, rel string) *html.Node {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	return doc
}

// checkSafe fails on anything in a page that could run or fetch: a
// script element, an on* handler, a javascript: URL, a missing CSP.
func checkSafe(t *testing.T, rel string, doc *html.Node) {
	t.Helper()
	csp := false
	for _, n := range findAll(doc, func(*html.Node) bool { return true }) {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.Data {
		case "script", "iframe", "object", "embed", "img", "base", "form":
			t.Fatalf("%s: a <%s> element", rel, n.Data)
		case "meta":
			if strings.EqualFold(attr(n, "http-equiv"), "Content-Security-Policy") && strings.Contains(attr(n, "content"), "default-src 'none'") {
				csp = true
			}
		}
		for _, a := range n.Attr {
			v := strings.ToLower(strings.TrimSpace(a.Val))
			if strings.HasPrefix(strings.ToLower(a.Key), "on") || strings.HasPrefix(v, "javascript:") || strings.Contains(v, "://") {
				t.Fatalf("%s: <%s %s=%q>", rel, n.Data, a.Key, a.Val)
			}
		}
	}
	if !csp {
		t.Fatalf("%s: no Content-Security-Policy forbidding scripts", rel)
	}
}

func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && match(c) {
			out = append(out, c)
		}
		out = append(out, findAll(c, match)...)
	}
	return out
}

func tag(name string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == name }
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

func text(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
