package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"switchboard/internal/testenv/ircd"
)

// peers are the scripted people on the demo server. Each runs in its own
// goroutine until ctx ends; wait returns when all have stopped.
type peers struct {
	wg  sync.WaitGroup
	out io.Writer
	mu  sync.Mutex
}

func (p *peers) say(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "demo: "+format+"\n", a...)
}

func (p *peers) wait() { p.wg.Wait() }

func startPeers(ctx context.Context, addr string, out io.Writer) *peers {
	p := &peers{out: out}
	for _, f := range []func(context.Context, string){p.colleague, p.customer, p.brand, p.gopher} {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			f(ctx, addr)
		}()
	}
	return p
}

// dial connects a peer, retrying while the server warms up.
// The connection is closed when ctx ends, which also ends any read.
func (p *peers) dial(ctx context.Context, addr, nick string) *ircd.Client {
	for ctx.Err() == nil {
		c, err := ircd.Dial(ctx, addr, nick, ircd.ClientOptions{Timeout: 10 * time.Second})
		if err == nil {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				<-ctx.Done()
				c.Close()
			}()
			return c
		}
		p.say("%s could not connect (%v); retrying", nick, err)
		sleep(ctx, time.Second)
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

// listen reads lines until ctx ends, calling on for each; it keeps the
// connection answered (PING) meanwhile.
func listen(ctx context.Context, c *ircd.Client, on func(ircd.Line)) {
	for ctx.Err() == nil {
		l, err := c.ReadLine(time.Minute)
		if errors.Is(err, ircd.ErrClosed) {
			return
		}
		if err == nil && on != nil {
			on(l)
		}
	}
}

// waitOnline polls ISON until nick is on the server.
func waitOnline(ctx context.Context, c *ircd.Client, nick string) bool {
	for ctx.Err() == nil {
		if err := c.Send("ISON " + nick); err != nil {
			return false
		}
		l, err := c.WaitFor(3*time.Second, func(l ircd.Line) bool { return l.Command == "303" })
		if err == nil && strings.EqualFold(strings.TrimSpace(l.Param(1)), nick) {
			return true
		}
		sleep(ctx, time.Second)
	}
	return false
}

// spawn runs f in a goroutine that wait waits for.
func (p *peers) spawn(f func()) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		f()
	}()
}

func (p *peers) spawnScript(ctx context.Context, c *ircd.Client, target string, first time.Duration, lines []string, every time.Duration) {
	p.spawn(func() { p.script(ctx, c, target, first, lines, every) })
}

// script sends lines to target with pauses, then repeats the tail slowly.
func (p *peers) script(ctx context.Context, c *ircd.Client, target string, first time.Duration, lines []string, every time.Duration) {
	if !sleep(ctx, first) {
		return
	}
	for i := 0; ctx.Err() == nil; i++ {
		if i < len(lines) {
			c.Privmsg(target, lines[i])
		} else {
			return
		}
		if !sleep(ctx, every) {
			return
		}
	}
}

// colleague: Maria chats in #team once Alex has joined, and answers him.
func (p *peers) colleague(ctx context.Context, addr string) {
	c := p.dial(ctx, addr, "maria")
	if c == nil {
		return
	}
	if err := c.Join("#team", 10*time.Second); err != nil {
		p.say("maria could not join #team: %v", err)
		return
	}
	if _, err := c.WaitFor(2*time.Minute, func(l ircd.Line) bool {
		return l.Command == "JOIN" && strings.EqualFold(l.Nick(), workNick)
	}); err != nil {
		return
	}
	p.spawnScript(ctx, c, "#team", 1500*time.Millisecond, []string{
		"Morning Alex! Did the release notes go out?",
		"Staging is green after the deploy. Dashboard: https://status.example.org/staging",
		"I'm grabbing coffee, anyone want one?",
		"Reminder: the customer call with Northwind is at 15:00.",
	}, 25*time.Second)
	p.say("maria is chatting in #team")
	listen(ctx, c, func(l ircd.Line) {
		if l.Command == "PRIVMSG" && strings.EqualFold(l.Nick(), workNick) && l.Param(0) == "#team" {
			p.spawn(func() {
				if sleep(ctx, 2*time.Second) {
					c.Privmsg("#team", "Thanks Alex, sounds good.")
				}
			})
		}
	})
}

// customer: Jordan writes to Alex privately and answers his replies.
func (p *peers) customer(ctx context.Context, addr string) {
	c := p.dial(ctx, addr, "jordan")
	if c == nil {
		return
	}
	if !waitOnline(ctx, c, workNick) || !sleep(ctx, 4*time.Second) {
		return
	}
	c.Privmsg(workNick, "Hi Alex, it's Jordan from Northwind. Is the March discount applied to invoice 4711?")
	p.say("jordan wrote to %s", workNick)
	listen(ctx, c, func(l ircd.Line) {
		if l.Command == "PRIVMSG" && strings.EqualFold(l.Nick(), workNick) {
			p.spawn(func() {
				if sleep(ctx, 2*time.Second) {
					c.Privmsg(workNick, "Great, thank you! I'll let our finance team know.")
				}
			})
		}
	})
}

// brand: AcmeDeals writes unasked; the brand list holds it in Requests.
func (p *peers) brand(ctx context.Context, addr string) {
	c := p.dial(ctx, addr, "AcmeDeals")
	if c == nil {
		return
	}
	if !waitOnline(ctx, c, workNick) || !sleep(ctx, 3*time.Second) {
		return
	}
	c.Privmsg(workNick, "FLASH SALE: 50% off all plans, today only! https://acme.example/deals")
	p.say("AcmeDeals sent an unsolicited offer")
	listen(ctx, c, nil)
}

// gopher chats in #go-nuts on the Community account.
func (p *peers) gopher(ctx context.Context, addr string) {
	c := p.dial(ctx, addr, "gopher")
	if c == nil {
		return
	}
	if err := c.Join("#go-nuts", 10*time.Second); err != nil {
		return
	}
	if _, err := c.WaitFor(2*time.Minute, func(l ircd.Line) bool {
		return l.Command == "JOIN" && strings.EqualFold(l.Nick(), communityNick)
	}); err != nil {
		return
	}
	p.spawnScript(ctx, c, "#go-nuts", 5*time.Second, []string{
		"Go 1.26 notes are out: https://go.dev/doc/devel/release",
		"The new GC is noticeably faster on our services.",
	}, 40*time.Second)
	listen(ctx, c, nil)
}
