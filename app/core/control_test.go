package core

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"switchboard/storage"
)

func TestSecondProcessUsesTheRunningCoreOverTheControlSocket(t *testing.T) {
	e, n := onlineEnv(t)
	n.deliver(t, msg("work", "bob", "bob", "ping from bob", "s1", e.clk.Now()))
	e.waitText(storage.FilterAll, "ping from bob")

	cl, err := Dial(bg, e.dir)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	convs, err := cl.Conversations(bg, storage.ConvQuery{Filter: storage.FilterAll})
	if err != nil || len(convs) != 1 || convs[0].LastText != "ping from bob" {
		t.Fatalf("conversations over the socket = %+v, %v", convs, err)
	}
	if _, err := cl.Send(bg, SendRequest{Account: "work", Target: "bob", Text: "pong"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the running core to send", func() bool { return len(n.sentTexts()) == 1 })
	if _, err := cl.Send(bg, SendRequest{Account: "nope", Target: "bob", Text: "x"}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("error over the socket = %v", err)
	}
	var buf bytes.Buffer
	nExp, err := cl.Export(bg, &buf)
	if err != nil || nExp != 2 || strings.Count(buf.String(), "\n") != 2 {
		t.Fatalf("export over the socket: %d lines, %v: %q", nExp, err, buf.String())
	}
	// A second core cannot open the held profile.
	if _, err := Open(bg, Options{ProfileDir: e.dir, Keyring: e.kr}); err != ErrProfileBusy {
		t.Fatalf("second open = %v, want ErrProfileBusy", err)
	}
	e.core.Close()
	if _, err := Dial(bg, e.dir); err == nil {
		t.Fatal("the socket still answers after Close")
	}
}

func TestControlSocketAnswersBeforeStart(t *testing.T) {
	e := newEnv(t) // opened, never started: a short-lived CLI command
	cl, err := Dial(bg, e.dir)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := cl.Accounts(bg)
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the control socket accepted but never answered")
	}
}

// A one-shot command holds the profile and answers on the socket too; a
// `switchboard run` that finds it must wait for it, not give up as if a
// running Switchboard held the connections (it did, under load).
func TestControlSocketTellsAOneShotCommandFromARunningCore(t *testing.T) {
	e := newEnv(t) // opened, never started
	cl, err := Dial(bg, e.dir)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	if running, err := cl.Running(bg); err != nil || running {
		t.Fatalf("before Start: running = %v, %v; want false", running, err)
	}
	if err := e.core.Start(bg); err != nil {
		t.Fatal(err)
	}
	if running, err := cl.Running(bg); err != nil || !running {
		t.Fatalf("after Start: running = %v, %v; want true", running, err)
	}
}
