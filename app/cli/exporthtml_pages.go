package cli

import (
	"html/template"
	"strings"

	"switchboard/storage"
)

// pageTemplate is one page of the HTML export. html/template escapes
// every value by its context: message text is text, never markup.
type pageTemplate = *template.Template

// exportCSP forbids every script, remote resource, form and base URL in
// the exported pages: they are documents, and a message's text that
// escaped the escaping still could not run or fetch anything.
const exportCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; base-uri 'none'; form-action 'none'"

// pageHead is what every page's <head> shows.
type pageHead struct {
	Title string
	CSP   string
}

func (x htmlExport) head(title string) pageHead { return pageHead{Title: title, CSP: exportCSP} }

type indexData struct {
	Head         pageHead
	Convs        []*exportConv
	Messages     int
	Account      string
	Since, Until string
	Made         string
}

type convData struct {
	Head pageHead
	Conv *exportConv
	Up   string
}

type ledgerData struct {
	Head    pageHead
	Entries []ledgerRow
}

// ledgerRow is one consent ledger entry as the page shows it.
type ledgerRow struct {
	storage.LedgerEntry
	When, UntilISO, ScopeText string
}

func ledgerRows(es []storage.LedgerEntry) []ledgerRow {
	rows := make([]ledgerRow, 0, len(es))
	for _, e := range es {
		rows = append(rows, ledgerRow{LedgerEntry: e, When: iso(e.Time), UntilISO: isoOrEmpty(e.Until), ScopeText: strings.Join(e.Scopes, ", ")})
	}
	return rows
}

const pageStart = `{{define "start"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title>
<style>
body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
.msg{border-top:1px solid #ddd;padding:.4em 0}.text{white-space:pre-wrap;overflow-wrap:anywhere}
.meta{color:#555;font-size:.9em}.out .sender{color:#064}.held{color:#a40}
</style>
</head>
<body>
{{end}}`

var indexTmpl = template.Must(template.New("index").Parse(pageStart + `{{template "start" .Head}}<h1>Switchboard archive</h1>
<p class="meta">Exported <time datetime="{{.Made}}">{{.Made}}</time>.
Account: {{if .Account}}{{.Account}}{{else}}all{{end}}.
Period: {{if .Since}}from <time datetime="{{.Since}}">{{.Since}}</time>{{else}}from the start{{end}}
{{if .Until}}until (not including) <time datetime="{{.Until}}">{{.Until}}</time>{{else}}to the end{{end}}.
{{.Messages}} messages in {{len .Convs}} conversations.</p>
<p><a href="ledger.html">Consent ledger</a> · <a href="MANIFEST.sha256">Manifest (SHA-256 of every file)</a></p>
<table id="conversations">
<thead><tr><th>Conversation</th><th>Account</th><th>Network</th><th>Messages</th><th>First</th><th>Last</th></tr></thead>
<tbody>
{{range .Convs}}<tr class="conversation"><td><a href="{{.File}}">{{.Conv.Title}}</a>{{if .Conv.Group}} (group){{end}}</td><td>{{.Conv.Account}}</td><td>{{.Conv.Network}}</td><td>{{len .Messages}}</td><td><time datetime="{{.First}}">{{.First}}</time></td><td><time datetime="{{.Last}}">{{.Last}}</time></td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`))

var convTmpl = template.Must(template.New("conv").Parse(pageStart + `{{template "start" .Head}}<p><a href="{{.Up}}">← All conversations</a></p>
<h1>{{.Conv.Conv.Title}}</h1>
<p class="meta">Account {{.Conv.Conv.Account}} ({{.Conv.Conv.Network}}), conversation {{.Conv.Conv.RemoteID}}{{if .Conv.Conv.Group}}, a group{{end}}. {{len .Conv.Messages}} messages, in time order.</p>
{{range .Conv.Messages}}<article class="msg {{if eq .Direction "out"}}out{{else}}in{{end}}" id="m{{.Row}}">
<div class="meta"><span class="sender">{{if .SenderName}}{{.SenderName}} &lt;{{.Sender}}&gt;{{else}}{{.Sender}}{{end}}</span>
<time datetime="{{.When}}">{{.When}}</time> {{if eq .Direction "out"}}sent{{else}}received{{end}}{{if .Action}} (action){{end}}{{if .Notice}} (notice){{end}}{{if .Hold}} <span class="held">held ({{.Hold}}): {{.HoldReason}}</span>{{end}}{{if .SendState}} — {{.SendState}}{{if .SendError}}: {{.SendError}}{{end}}{{end}}</div>
<div class="text">{{.Text}}</div>
{{if .Files}}<ul class="attachments">{{range .Files}}<li>{{if .Href}}<a class="attachment" href="{{.Href}}">{{.Name}}</a>{{else}}{{.Name}} (not in the archive: {{.State}}{{if .Error}}, {{.Error}}{{end}}){{end}} — {{.Type}}, {{.Size}}</li>{{end}}</ul>{{end}}
</article>
{{end}}</body>
</html>
`))

var ledgerTmpl = template.Must(template.New("ledger").Parse(pageStart + `{{template "start" .Head}}<p><a href="index.html">← All conversations</a></p>
<h1>Consent ledger</h1>
<p class="meta">Every change of a brand's consent, oldest first (the whole ledger of the exported accounts, not only the period).</p>
<table id="ledger">
<thead><tr><th>#</th><th>Time</th><th>Account</th><th>Network</th><th>Brand</th><th>From</th><th>To</th><th>Scopes</th><th>Until</th><th>How</th><th>Message</th><th>Result</th></tr></thead>
<tbody>
{{range .Entries}}<tr class="entry"><td>{{.Seq}}</td><td><time datetime="{{.When}}">{{.When}}</time></td><td>{{.Account}}</td><td>{{.Network}}</td><td>{{.Brand}}</td><td>{{.OldState}}</td><td>{{.NewState}}</td><td>{{.ScopeText}}</td><td>{{.UntilISO}}</td><td>{{.How}}</td><td>{{.MessageID}}</td><td>{{.Result}}</td></tr>
{{end}}</tbody>
</table>
</body>
</html>
`))
