package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"

	"switchboard/connectors"
)

const dialTimeout = 30 * time.Second

// dialIMAP connects and authenticates. With tls=true it uses implicit TLS or
// STARTTLS as configured and fails (never falls back to plaintext) when
// STARTTLS is missing or the certificate does not verify. Refused
// credentials come back as *connectors.AuthError.
func dialIMAP(ctx context.Context, cfg config, handler *imapclient.UnilateralDataHandler, wd *watchdog) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		UnilateralDataHandler: handler,
		WordDecoder:           &mime.WordDecoder{CharsetReader: charset.Reader},
	}
	dialer := &net.Dialer{Timeout: dialTimeout}
	var conn net.Conn
	var err error
	if cfg.useTLS {
		if opts.TLSConfig, err = cfg.tlsConfig(cfg.imap.host); err != nil {
			return nil, err
		}
		opts.TLSConfig.NextProtos = []string{"imap"}
	}
	conn, err = dialer.DialContext(ctx, "tcp", cfg.imap.addr)
	if err != nil {
		return nil, fmt.Errorf("email: connect to %s: %w", cfg.imap.addr, err)
	}
	conn = wd.watch(conn)
	if cfg.useTLS && cfg.imap.implicit {
		tc := tls.Client(conn, opts.TLSConfig)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("email: connect to %s: %w", cfg.imap.addr, wd.explain(err))
		}
		conn = tc
	}
	// Until we are logged in, cancelling ctx closes the connection.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	var c *imapclient.Client
	if cfg.useTLS && !cfg.imap.implicit {
		c, err = imapclient.NewStartTLS(conn, opts) // fails if the server has no STARTTLS
	} else {
		c = imapclient.New(conn, opts)
		err = c.WaitGreeting()
	}
	if err != nil {
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("email: connect to %s: %w", cfg.imap.addr, wd.explain(err))
	}
	if err := authenticate(c, cfg); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, wd.explain(err)
	}
	return c, nil
}

// authenticate uses AUTHENTICATE PLAIN when offered, else LOGIN.
func authenticate(c *imapclient.Client, cfg config) error {
	var err error
	caps := c.Caps()
	switch {
	case caps.Has(imap.AuthCap(sasl.Plain)):
		err = c.Authenticate(sasl.NewPlainClient("", cfg.login, cfg.password))
	case !caps.Has(imap.CapLoginDisabled):
		err = c.Login(cfg.login, cfg.password).Wait()
	default:
		return &connectors.AuthError{Reason: "the server offers neither AUTHENTICATE PLAIN nor LOGIN"}
	}
	if err == nil {
		return nil
	}
	var ie *imap.Error
	// NO [UNAVAILABLE] / [SERVERBUG] is the server's trouble, not the
	// credentials: a plain error, so the core retries.
	if errors.As(err, &ie) && ie.Type == imap.StatusResponseTypeNo && ie.Code != imap.ResponseCodeUnavailable && ie.Code != imap.ResponseCodeServerBug {
		reason := ie.Text
		if reason == "" {
			reason = string(ie.Code)
		}
		return &connectors.AuthError{Reason: reason}
	}
	return fmt.Errorf("email: log in: %w", err)
}
