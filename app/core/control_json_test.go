package core

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/storage"
	"switchboard/storage/storagetest"
)

// scriptCall speaks the control socket as a script would: one JSON line out,
// one back, decoded into generic maps so the test sees the wire names.
func scriptCall(t *testing.T, dir, request string) any {
	t.Helper()
	path, err := socketPath(dir, osSockEnv(), false)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatalf("dial the control socket: %v", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := fmt.Fprintln(conn, request); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		t.Fatalf("%s: read answer: %v", request, err)
	}
	var resp struct {
		Result any    `json:"result"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		t.Fatalf("%s: answer %q is not JSON: %v", request, line, err)
	}
	if resp.Error != "" {
		t.Fatalf("%s: error %s", request, resp.Error)
	}
	return resp.Result
}

// wantFields checks that obj carries the documented names with the given
// values (nil: present with any value).
func wantFields(t *testing.T, what string, obj any, want map[string]any) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%s: %v is not an object", what, obj)
	}
	for k, v := range want {
		got, ok := m[k]
		if !ok {
			t.Errorf("%s: no %q field in %v", what, k, m)
			continue
		}
		if v != nil && fmt.Sprint(got) != fmt.Sprint(v) {
			t.Errorf("%s: %s = %v, want %v", what, k, got, v)
		}
	}
	for k := range m {
		if k != strings.ToLower(k) {
			t.Errorf("%s: field %q is not a documented lower-case name", what, k)
		}
	}
}

func TestControlSocketSpeaksTheDocumentedJSON(t *testing.T) {
	e, n := onlineEnv(t)
	n.deliver(t, msg("work", "bob", "bob", "ping from bob", "s1", e.clk.Now()))
	e.waitText(storage.FilterAll, "ping from bob")

	accts := scriptCall(t, e.dir, `{"method":"Accounts"}`).([]any)
	wantFields(t, "Accounts[0]", accts[0], map[string]any{"name": "work", "network": "coretest", "state": "online", "reason": "", "self": "me", "unread": 1})
	caps := accts[0].(map[string]any)["capabilities"].([]any)
	if !slices.Contains(caps, any("history")) || !slices.Contains(caps, any("block")) || !slices.Contains(caps, any("send-files")) {
		t.Errorf("capabilities = %v, want the typed words history, block, send-files", caps)
	}
	if _, ok := accts[0].(map[string]any)["retry_at"]; ok {
		t.Errorf("an online account has a retry time: %v", accts[0])
	}

	nets := scriptCall(t, e.dir, `{"method":"Networks"}`).([]any)
	var fake any
	for _, nw := range nets {
		if nw.(map[string]any)["name"] == "coretest" {
			fake = nw
		}
	}
	wantFields(t, "Networks[coretest]", fake, map[string]any{"display_name": "Core test", "icon": nil, "fields": nil})
	wantFields(t, "Networks[coretest].fields[1]", fake.(map[string]any)["fields"].([]any)[1],
		map[string]any{"key": "password", "kind": "secret", "label": "Password", "required": false})

	convs := scriptCall(t, e.dir, `{"method":"Conversations","params":{"filter":"all"}}`).([]any)
	wantFields(t, "Conversations[0]", convs[0], map[string]any{"id": nil, "account": "work", "conversation": "bob", "unread": 1, "last_text": "ping from bob", "last_direction": "in"})
	convID := convs[0].(map[string]any)["id"]

	n.mu.Lock()
	n.sendErr = errors.New("the network said no")
	n.mu.Unlock()
	sent := scriptCall(t, e.dir, `{"method":"Send","params":{"account":"work","target":"bob","text":"pong"}}`)
	wantFields(t, "Send", sent, map[string]any{"id": nil, "message": nil, "conversation": "bob", "state": "pending"})
	item := sent.(map[string]any)
	outboxID, msgRow := int64(item["id"].(float64)), int64(item["message"].(float64))
	eventually(t, "the send to fail", func() bool {
		m, err := e.core.store.Message(bg, msgRow)
		return err == nil && m.SendState == storage.SendFailed
	})

	// A failed message names its outbox item, and Retry takes that ID.
	msgs := scriptCall(t, e.dir, fmt.Sprintf(`{"method":"Messages","params":{"conversation":%v,"limit":10}}`, convID)).([]any)
	var mine any
	for _, m := range msgs {
		if int64(m.(map[string]any)["id"].(float64)) == msgRow {
			mine = m
		}
	}
	wantFields(t, "Messages[mine]", mine, map[string]any{"direction": "out", "text": "pong", "state": "failed",
		"error": "the network said no", "outbox_id": outboxID, "conversation": convID})
	wantFields(t, "Messages[0]", msgs[0], map[string]any{"sender": "bob", "direction": "in", "remote_id": "s1"})
	if _, ok := msgs[0].(map[string]any)["outbox_id"]; ok {
		t.Errorf("a received message has an outbox ID: %v", msgs[0])
	}
	n.mu.Lock()
	n.sendErr = nil
	n.mu.Unlock()
	scriptCall(t, e.dir, fmt.Sprintf(`{"method":"Retry","params":{"id":%d}}`, outboxID))
	eventually(t, "the retried message sent", func() bool { return len(n.sentTexts()) == 1 })

	counts := scriptCall(t, e.dir, `{"method":"Counts"}`)
	wantFields(t, "Counts", counts, map[string]any{"unread": 1, "awaiting": nil, "requests": 0, "blocked": 0})
	hits := scriptCall(t, e.dir, `{"method":"Search","params":{"query":"ping","limit":5}}`).([]any)
	wantFields(t, "Search[0]", hits[0], map[string]any{"id": nil, "conversation": convID, "conversation_title": "bob", "text": "ping from bob"})
}

func TestFailingAccountReportsStateReasonAndRetryTimeApart(t *testing.T) {
	dir := t.TempDir()
	c, err := Open(bg, Options{ProfileDir: dir, Keyring: &storagetest.MemKeyring{}, Now: time.Now, BackoffMin: time.Hour, BackoffMax: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	n, id := newFakeNet(t)
	n.failRuns = 1
	if err := c.AddAccount(bg, AccountSpec{Name: "work", Network: "coretest", Settings: map[string]string{"net": id}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Start(bg); err != nil {
		t.Fatal(err)
	}
	var st AccountStatus
	eventually(t, "the account offline after its failure", func() bool {
		as, _ := c.Accounts(bg)
		st = as[0]
		return !st.RetryAt.IsZero()
	})
	if st.Reason != "fake connection refused (run 1)" {
		t.Errorf("reason %q: want the error's own words, nothing appended", st.Reason)
	}
	if d := time.Until(st.RetryAt); d < 40*time.Minute || d > 90*time.Minute {
		t.Errorf("retry in %s: want about the backoff (an hour)", d)
	}
	cl, err := Dial(bg, dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := cl.Accounts(bg)
	if err != nil || len(got) != 1 || got[0].State != st.State || !got[0].RetryAt.Equal(st.RetryAt) {
		t.Fatalf("over the socket: %+v, %v; want %+v", got, err, st)
	}
	b, _ := json.Marshal(got[0])
	if !strings.Contains(string(b), `"state":"offline"`) || !strings.Contains(string(b), `"retry_at":"`) {
		t.Errorf("JSON %s: want state offline and a retry_at", b)
	}
}
