package email

import (
	"sort"
	"strings"
	"time"

	"switchboard/connectors"
)

// chatText is what the chat view shows for a mail: the subject when the
// mail starts a thread (unless it only repeats the text's first line, as
// with mail sent from a chat), the new text, and one line per attachment.
func chatText(pm *parsedMail, withSubject bool) string {
	var parts []string
	if withSubject && pm.Subject != "" && pm.Subject != subjectFor("", pm.Body.New, false) {
		parts = append(parts, "Subject: "+pm.Subject)
	}
	if pm.Body.New != "" {
		parts = append(parts, pm.Body.New)
	}
	if atts := attachmentLines(pm.Body.Attachments); atts != "" {
		parts = append(parts, atts)
	}
	if len(parts) == 0 {
		return "[this mail has no readable text]"
	}
	return strings.Join(parts, "\n\n")
}

// selfSet holds the user's own addresses, lowercased.
type selfSet map[string]bool

func (s selfSet) has(addr string) bool { return s[strings.ToLower(addr)] }

// conversationFor names the conversation of a mail: the counterpart's
// address for a two-party mail, the sorted participant set (without the
// user) for group mail. A mail only to and from the user is a note to self.
func conversationFor(pm *parsedMail, self selfSet, outbound bool) (connectors.ConversationRef, string) {
	seen := map[string]string{} // address → display name
	add := func(a mailAddr) {
		if a.Addr == "" || self.has(a.Addr) {
			return
		}
		if _, ok := seen[a.Addr]; !ok || seen[a.Addr] == "" {
			seen[a.Addr] = a.Name
		}
	}
	if !outbound {
		add(pm.From)
	}
	for _, a := range pm.To {
		add(a)
	}
	for _, a := range pm.Cc {
		add(a)
	}
	if len(seen) == 0 {
		if pm.From.Addr != "" {
			return connectors.ConversationRef{ID: pm.From.Addr, Kind: connectors.Direct, Title: pm.From.Name}, pm.From.Name
		}
		return connectors.ConversationRef{ID: "unknown-sender", Kind: connectors.Direct}, ""
	}
	addrs := make([]string, 0, len(seen))
	for a := range seen {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	if len(addrs) == 1 {
		return connectors.ConversationRef{ID: addrs[0], Kind: connectors.Direct, Title: seen[addrs[0]]}, seen[addrs[0]]
	}
	return connectors.ConversationRef{ID: strings.Join(addrs, ","), Kind: connectors.Group}, ""
}

// toMessage turns a parsed mail into the connector message. Only the Sent
// folder holds the user's own mail: anyone can write the user's address
// into From, so a mail elsewhere that claims it is shown as what it is,
// an inbound mail, and never opens a brand's replies window. internal is
// the server's INTERNALDATE: the receive time the opt-in judges on (the
// Date header is the sender's word, kept for display).
func toMessage(pm *parsedMail, self selfSet, inSent bool, internal time.Time) connectors.Message {
	outbound := inSent
	conv, _ := conversationFor(pm, self, outbound)
	fallback := internal
	t := pm.Date
	if t.IsZero() || (!fallback.IsZero() && t.After(fallback.Add(24*time.Hour))) {
		t = fallback // missing, unreadable or future-dated Date header
	}
	if t.IsZero() {
		t = time.Now()
	}
	dir := connectors.Inbound
	if outbound {
		dir = connectors.Outbound
	}
	replyTo := ""
	if len(pm.InReplyTo) > 0 {
		replyTo = pm.InReplyTo[0]
	} else if n := len(pm.References); n > 0 {
		replyTo = pm.References[n-1]
	}
	headers := map[string]string{}
	for k, v := range pm.Evidence {
		headers[k] = v
	}
	if pm.Subject != "" {
		headers["Subject"] = pm.Subject
	}
	if pm.MessageID != "" {
		headers["Message-ID"] = pm.MessageID
	}
	var files []connectors.Attachment
	for _, a := range pm.Body.Attachments {
		files = append(files, connectors.Attachment{Name: a.Name, Type: a.Type, Size: a.Size})
	}
	return connectors.Message{
		Attachments:  files,
		RemoteID:     pm.RemoteID,
		Conversation: conv,
		Sender:       pm.From.Addr,
		SenderName:   pm.From.Name,
		Time:         t,
		Received:     internal,
		Direction:    dir,
		Text:         chatText(pm, replyTo == ""),
		Notice:       isAutomated(pm),
		ReplyTo:      replyTo,
		Headers:      headers,
	}
}

// brandEvidence lists why a sender looks like a brand or a robot, in the
// words the consent ledger shows ("email: List-Unsubscribe header").
func brandEvidence(pm *parsedMail) []string {
	var ev []string
	for _, k := range []string{"List-Unsubscribe", "List-Unsubscribe-Post", "List-Id"} {
		if pm.Evidence[k] != "" {
			ev = append(ev, "email: "+k+" header")
		}
	}
	if p := strings.ToLower(pm.Evidence["Precedence"]); p == "bulk" || p == "list" || p == "junk" {
		ev = append(ev, "email: Precedence: "+p)
	}
	// RFC 3834: "auto-replied" is a person's vacation responder, not a brand.
	if strings.HasPrefix(strings.ToLower(pm.Evidence["Auto-Submitted"]), "auto-generated") {
		ev = append(ev, "email: Auto-Submitted: auto-generated")
	}
	return ev
}

func isAutomated(pm *parsedMail) bool {
	a := strings.ToLower(pm.Evidence["Auto-Submitted"])
	return a != "" && a != "no"
}
