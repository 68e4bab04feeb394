package xmpp

import (
	"fmt"
	"strings"

	"switchboard/connectors"
)

// StreamError is a <stream:error> from the server (RFC 6120 §4.9), which
// ends the stream. Error() says in plain words what happened.
type StreamError struct {
	Condition string // "conflict", "see-other-host", …
	Text      string // the server's own words, if any
	OtherHost string // for see-other-host: where the server sends us
	// Secure: the error came over TLS. Before TLS anyone on the path can
	// write one, so a see-other-host there is reported, never followed.
	Secure bool
}

var streamErrorWords = map[string]string{
	"bad-format":               "the server could not understand what we sent",
	"conflict":                 "another client logged in with the same resource and replaced this connection",
	"connection-timeout":       "the server closed an idle connection",
	"host-gone":                "the server no longer serves this domain",
	"host-unknown":             "the server does not serve this domain",
	"internal-server-error":    "the server had an internal error",
	"invalid-namespace":        "the server refused our stream header",
	"not-authorized":           "the server refused the connection before login completed",
	"policy-violation":         "the server's policy closed the connection (rate or size limits)",
	"remote-connection-failed": "the server could not reach a backend",
	"reset":                    "the server reset the connection (credentials or security changed)",
	"resource-constraint":      "the server is overloaded",
	"see-other-host":           "the server asks us to connect to another host",
	"system-shutdown":          "the server is shutting down",
	"undefined-condition":      "the server closed the connection",
	"unsupported-version":      "the server does not support XMPP 1.0",
}

func (e *StreamError) Error() string {
	words, ok := streamErrorWords[e.Condition]
	if !ok {
		words = "the server closed the stream"
	}
	s := fmt.Sprintf("xmpp: %s (stream error %s", words, e.Condition)
	switch {
	case e.OtherHost != "" && e.Secure:
		s += ": " + e.OtherHost + "; we will connect there next time"
	case e.OtherHost != "":
		s += ": " + e.OtherHost + "; not followed, because it came before the connection was encrypted"
	}
	s += ")"
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

func parseStreamError(el *Element) *StreamError {
	e := &StreamError{Condition: "undefined-condition"}
	for _, c := range el.Children {
		if c.Name.Space != nsStreamErr {
			continue
		}
		if c.Name.Local == "text" {
			e.Text = trimmed(c.Text)
			continue
		}
		e.Condition = c.Name.Local
		if c.Name.Local == "see-other-host" {
			e.OtherHost = trimmed(c.Text)
		}
	}
	return e
}

// saslFailure turns a SASL <failure/> into an error: refused credentials
// become *connectors.AuthError with the server's condition and words;
// a temporary failure or an abort stays a plain (retryable) error.
func saslFailure(el *Element) error {
	cond, text := "not-authorized", ""
	for _, c := range el.Children {
		if c.Name.Space != nsSASL {
			continue
		}
		if c.Name.Local == "text" {
			text = trimmed(c.Text)
		} else {
			cond = c.Name.Local
		}
	}
	reason := cond
	if text != "" {
		reason += ": " + text
	}
	switch cond {
	case "temporary-auth-failure", "aborted":
		return fmt.Errorf("xmpp: login failed for now (%s); will retry", reason)
	}
	return &connectors.AuthError{Reason: reason}
}

// StanzaError is an error reply to one of our IQs (RFC 6120 §8.3).
type StanzaError struct {
	Type      string // cancel, modify, auth, wait
	Condition string // item-not-found, feature-not-implemented, …
	Text      string
}

func (e *StanzaError) Error() string {
	s := "xmpp: request refused: " + e.Condition
	if e.Text != "" {
		s += ": " + e.Text
	}
	return s
}

func parseStanzaError(el *Element) *StanzaError {
	e := &StanzaError{Condition: "undefined-condition"}
	errEl := el.Child(el.Name.Space, "error")
	if errEl == nil {
		return e
	}
	e.Type = errEl.Get("type")
	for _, c := range errEl.Children {
		if c.Name.Space != nsStanzas {
			continue
		}
		if c.Name.Local == "text" {
			e.Text = trimmed(c.Text)
		} else {
			e.Condition = c.Name.Local
		}
	}
	return e
}

// isCondition reports whether err is a StanzaError with one of conds.
func isCondition(err error, conds ...string) bool {
	se, ok := err.(*StanzaError)
	if !ok {
		return false
	}
	for _, c := range conds {
		if strings.EqualFold(se.Condition, c) {
			return true
		}
	}
	return false
}
