package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"switchboard/connectors"
)

// Send mails msg.Text to the conversation's address(es): a reply (with
// In-Reply-To/References and "Re:" subject) when the conversation has a
// mail this Run has seen, else a new mail whose subject is the text's first
// line. The Message-ID is derived from msg.LocalID; if a mail with that ID
// is already in Sent (an earlier attempt got through), it is not sent
// again. The copy is APPENDed to Sent. The returned remote ID is the one
// the copy in Sent is known by (scopedID).
func (c *Connector) Send(ctx context.Context, msg connectors.Outgoing) (string, error) {
	s := c.session()
	if s == nil {
		return "", connectors.ErrNotConnected
	}
	to, err := recipients(msg.Conversation.ID)
	if err != nil {
		return "", err
	}
	if err := s.waitReady(ctx); err != nil {
		return "", err
	}
	text := msg.Text
	if msg.Action {
		text = "* " + text
	}
	m := outMail{from: s.cfg.user, to: to, text: text, date: time.Now(), files: msg.Files}
	m.messageID = newMessageID(msg.LocalID, s.cfg.user, msg.Conversation.ID, msg.Text)
	s.threadFor(&m, msg)
	if subj := strings.TrimSpace(msg.Subject); subj != "" {
		m.subject = subj // the user's words win, in a reply too (build refuses line breaks)
	}
	raw, err := m.build()
	if err != nil {
		return "", err
	}
	if msg.LocalID != "" {
		sentID, err := c.inSent(ctx, m.messageID)
		if err != nil {
			return "", err
		}
		if sentID != "" {
			return sentID, nil // an earlier attempt was delivered
		}
	}
	if err := submit(ctx, s.cfg, m.from, to, raw); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.threads[msg.Conversation.ID] = threadInfo{messageID: m.messageID, references: append(m.references, m.messageID), subject: m.subject, time: m.date}
	s.mu.Unlock()
	// The mail is out: a failed APPEND must not make the outbox send it again.
	if err := c.appendSent(ctx, raw, m.date); err != nil {
		c.queueAppend(raw, m.date)
	}
	return parseMail(bytes.NewReader(raw)).RemoteID, nil // as its copy in Sent will be known
}

var (
	_ connectors.Subjecter  = (*Connector)(nil)
	_ connectors.FileSender = (*Connector)(nil)
)

// maxMailFiles is what one mail's files may add up to: 25 MB is what the
// common providers accept (base64 makes the mail a third larger).
const maxMailFiles = 25 << 20

// MaxFileBytes is the most a mail's files may add up to.
func (c *Connector) MaxFileBytes() int64 { return maxMailFiles }

// Subjects marks e-mail as a network with subject lines: Send uses
// Outgoing.Subject when given, else the thread's "Re: …" or the first line.
func (c *Connector) Subjects() {}

// recipients splits a conversation ID (one address, or the comma-joined
// participant set of a group) into checked addresses.
func recipients(convID string) ([]string, error) {
	var out []string
	for _, a := range strings.Split(convID, ",") {
		a = strings.ToLower(strings.TrimSpace(a))
		if err := checkAddress(a); err != nil {
			return nil, fmt.Errorf("email: recipient: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// threadFor fills subject and threading headers: a reply to msg.ReplyTo
// if given, else to the newest mail of the conversation, else a new thread.
func (s *session) threadFor(m *outMail, msg connectors.Outgoing) {
	s.mu.Lock()
	t, known := s.threads[msg.Conversation.ID]
	s.mu.Unlock()
	parent := msg.ReplyTo
	if parent == "" && known {
		parent = t.messageID
	}
	if !validMsgID(parent) || strings.HasPrefix(parent, "hash:") {
		m.subject = subjectFor("", m.text, false)
		if known { // a conversation whose last mail has no Message-ID
			m.subject = subjectFor(t.subject, m.text, true)
		}
		return
	}
	m.inReplyTo = parent
	if known && parent == t.messageID {
		m.references = append(append([]string{}, t.references...), parent)
	} else {
		m.references = []string{parent}
	}
	if len(m.references) > 20 { // keep the first and the newest, as RFC 5322 suggests
		m.references = append(m.references[:1:1], m.references[len(m.references)-19:]...)
	}
	m.subject = subjectFor(t.subject, m.text, true)
}

// submit sends one mail over SMTP submission: implicit TLS (465 or
// smtps://), else STARTTLS (required when tls=true), AUTH PLAIN.
func submit(ctx context.Context, cfg config, from string, to []string, raw []byte) error {
	dialer := &net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	var err error
	var tc *tls.Config
	if cfg.useTLS {
		if tc, err = cfg.tlsConfig(cfg.smtp.host); err != nil {
			return err
		}
	}
	if cfg.useTLS && cfg.smtp.implicit {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tc}).DialContext(ctx, "tcp", cfg.smtp.addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", cfg.smtp.addr)
	}
	if err != nil {
		return fmt.Errorf("email: connect to SMTP %s: %w", cfg.smtp.addr, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *smtp.Client
	if cfg.useTLS && !cfg.smtp.implicit {
		if c, err = smtp.NewClientStartTLS(conn, tc); err != nil {
			conn.Close()
			return fmt.Errorf("email: SMTP STARTTLS with %s: %w", cfg.smtp.addr, err)
		}
	} else {
		c = smtp.NewClient(conn)
	}
	defer c.Close()
	if err := c.Hello(domainOf(cfg.user)); err != nil {
		return fmt.Errorf("email: SMTP greeting: %w", err)
	}
	if !c.SupportsAuth(sasl.Plain) {
		return fmt.Errorf("email: SMTP server %s offers no AUTH PLAIN", cfg.smtp.addr)
	}
	if err := c.Auth(sasl.NewPlainClient("", cfg.login, cfg.password)); err != nil {
		return fmt.Errorf("email: SMTP login refused: %w", err)
	}
	if err := c.SendMail(from, to, bytes.NewReader(raw)); err != nil {
		return fmt.Errorf("email: SMTP send: %w", err)
	}
	_ = c.Quit() // the mail was accepted; a failed QUIT does not undo that
	return nil
}

// inSent returns the remote ID of the mail with this Message-ID in the
// Sent folder, or "" when there is none.
func (c *Connector) inSent(ctx context.Context, messageID string) (string, error) {
	found := ""
	err := c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		s := c.session()
		if s == nil {
			return connectors.ErrNotConnected
		}
		if err := s.ensureSelected(ctx, ic, s.sentFolder); err != nil {
			return err
		}
		data, err := ic.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: "<" + messageID + ">"}}}, nil).Wait()
		if err != nil {
			return fmt.Errorf("email: search Sent: %w", err)
		}
		uids := data.AllUIDs()
		if len(uids) == 0 {
			return nil
		}
		msgs, err := ic.Fetch(imap.UIDSetNum(uids[0]), messageIDField).Collect()
		if err != nil {
			return fmt.Errorf("email: read Sent: %w", err)
		}
		for _, m := range msgs {
			for _, sec := range m.BodySection {
				found = parseMail(bytes.NewReader(sec.Bytes)).RemoteID
			}
		}
		return nil
	})
	return found, err
}

// appendSent stores the copy of a sent mail in Sent, marked \Seen.
func (c *Connector) appendSent(ctx context.Context, raw []byte, date time.Time) error {
	return c.call(ctx, func(ctx context.Context, ic *imapclient.Client) error {
		s := c.session()
		if s == nil {
			return connectors.ErrNotConnected
		}
		if err := appendTo(ic, s.sentFolder, raw, date); err != nil {
			return err
		}
		// Pick the copy up at once: it updates the thread and echoes the
		// mail as outbound (storage dedups it with the outbox entry). A
		// failure here is not a failed APPEND; the loop meets it again.
		_ = s.checkFolder(ctx, ic, s.sentFolder)
		return nil
	})
}

func appendTo(ic *imapclient.Client, folder string, raw []byte, date time.Time) error {
	cmd := ic.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: date})
	if _, err := cmd.Write(raw); err != nil {
		cmd.Close()
		return fmt.Errorf("email: APPEND to %s: %w", folder, err)
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("email: APPEND to %s: %w", folder, err)
	}
	if _, err := cmd.Wait(); err != nil {
		return fmt.Errorf("email: APPEND to %s: %w", folder, err)
	}
	return nil
}

type pendingAppend struct {
	raw  []byte
	date time.Time
}

// queueAppend keeps a sent mail whose Sent copy could not be stored; the
// next loop iteration (or the next Run) stores it. Memory only.
func (c *Connector) queueAppend(raw []byte, date time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.pending) < 100 {
		c.pending = append(c.pending, pendingAppend{raw, date})
	}
}

// flushAppends stores queued Sent copies; run from the loop.
func (s *session) flushAppends(ic *imapclient.Client) error {
	c := s.conn
	c.mu.Lock()
	queue := c.pending
	c.pending = nil
	c.mu.Unlock()
	for i, p := range queue {
		if err := appendTo(ic, s.sentFolder, p.raw, p.date); err != nil {
			c.mu.Lock()
			c.pending = append(queue[i:], c.pending...)
			c.mu.Unlock()
			return err
		}
	}
	return nil
}
