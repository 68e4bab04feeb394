package core

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"

	"switchboard/connectors"
)

// The control socket's SignIn is a conversation on one connection: the
// server writes {"prompt": …} lines as the connector asks, the client
// answers each "ask" prompt with one {"answer": …} line, and the server
// ends with an ordinary response line ({"error": …} or {}). Closing the
// connection cancels the sign-in.

// rpcPrompt is one prompt line's payload.
type rpcPrompt struct {
	Kind     string               `json:"kind"` // "ask", "qr", "url"
	Question *connectors.Question `json:"question,omitempty"`
	QR       *connectors.QRCode   `json:"qr,omitempty"`
	URL      string               `json:"url,omitempty"`
	Note     string               `json:"note,omitempty"`
}

// rpcSignInLine is a line from the server during SignIn: a prompt, or the
// final response (no prompt).
type rpcSignInLine struct {
	Prompt *rpcPrompt `json:"prompt,omitempty"`
	Error  string     `json:"error,omitempty"`
}

// rpcAnswer is the client's answer to an "ask" prompt.
type rpcAnswer struct {
	Answer string `json:"answer"`
	Error  string `json:"error,omitempty"` // the user gave no answer
}

// serveSignIn runs SignIn for a control client.
func (c *Core) serveSignIn(ctx context.Context, conn net.Conn, br *bufio.Reader, raw json.RawMessage) {
	var p pAccount
	if err := json.Unmarshal(raw, &p); err != nil {
		writeResponse(conn, nil, fmt.Errorf("bad parameters for SignIn: %w", err))
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	answers := make(chan rpcAnswer)
	readerDone := make(chan struct{})
	go func() { // ends when the connection closes, which serveSignIn does before it returns
		defer close(readerDone)
		defer cancel()
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			var a rpcAnswer
			if json.Unmarshal(line, &a) != nil {
				return
			}
			select {
			case answers <- a:
			case <-ctx.Done():
				return
			}
		}
	}()
	err := c.SignIn(ctx, p.Account, &socketPrompter{w: conn, answers: answers})
	writeResponse(conn, struct{}{}, err)
	conn.Close()
	<-readerDone
}

// socketPrompter forwards prompts to the control client.
type socketPrompter struct {
	w       io.Writer
	answers <-chan rpcAnswer
}

func (s *socketPrompter) send(p rpcPrompt) error {
	b, err := json.Marshal(rpcSignInLine{Prompt: &p})
	if err != nil {
		return err
	}
	if _, err := s.w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("the command line client went away: %w", err)
	}
	return nil
}

func (s *socketPrompter) Ask(ctx context.Context, q connectors.Question) (string, error) {
	if err := s.send(rpcPrompt{Kind: "ask", Question: &q}); err != nil {
		return "", err
	}
	select {
	case a := <-s.answers:
		if a.Error != "" {
			return "", errors.New(a.Error)
		}
		return a.Answer, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (s *socketPrompter) ShowQR(ctx context.Context, qr connectors.QRCode) error {
	return s.send(rpcPrompt{Kind: "qr", QR: &qr})
}

func (s *socketPrompter) OpenURL(ctx context.Context, url, note string) error {
	return s.send(rpcPrompt{Kind: "url", URL: url, Note: note})
}

// SignIn runs an account's sign-in in the running Switchboard, asking the
// user through p here.
func (cl *Client) SignIn(ctx context.Context, account string, p connectors.Prompter) error {
	conn, err := cl.dial(ctx)
	if err != nil {
		return fmt.Errorf("reach the running Switchboard: %w", err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := writeRequest(conn, "SignIn", pAccount{Account: account}); err != nil {
		return err
	}
	br := bufio.NewReader(conn)
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("read answer from the running Switchboard: %w", err)
		}
		var l rpcSignInLine
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("bad answer from the running Switchboard: %w", err)
		}
		if l.Prompt == nil {
			if l.Error != "" {
				return errors.New(l.Error)
			}
			return nil
		}
		if err := cl.prompt(ctx, conn, p, *l.Prompt); err != nil {
			return err
		}
	}
}

func (cl *Client) prompt(ctx context.Context, w io.Writer, p connectors.Prompter, pr rpcPrompt) error {
	switch pr.Kind {
	case "qr":
		if pr.QR != nil {
			return p.ShowQR(ctx, *pr.QR)
		}
	case "url":
		return p.OpenURL(ctx, pr.URL, pr.Note)
	case "ask":
		if pr.Question == nil {
			return errors.New("bad prompt from the running Switchboard: no question")
		}
		ans, err := p.Ask(ctx, *pr.Question)
		a := rpcAnswer{Answer: ans}
		if err != nil {
			a = rpcAnswer{Error: err.Error()}
		}
		b, merr := json.Marshal(a)
		if merr != nil {
			return merr
		}
		if _, werr := w.Write(append(b, '\n')); werr != nil {
			return fmt.Errorf("answer the running Switchboard: %w", werr)
		}
		return err
	}
	return nil
}
