package core

import (
	"strings"
	"testing"

	"switchboard/app/policy"
	"switchboard/connectors"
)

// The connector lifetime (connectors.Connector, "Lifetime"): one value per
// account for the account's life, reused by every Run.

func TestOneConnectorValueServesEveryRunOfAnAccount(t *testing.T) {
	e := newEnv(t)
	n, id := newFakeNet(t)
	n.failRuns = 3
	e.addAccount("work", id)
	e.start()
	n.waitOnline(t)
	n.dropLink(2) // the link drops; two more failed connects, then online
	n.waitOnline(t)
	n.mu.Lock()
	runs, values := n.runs, len(n.values)
	n.mu.Unlock()
	if runs < 7 || values != 1 {
		t.Fatalf("%d Runs on %d connector values; want at least 7 Runs on one value", runs, values)
	}
}

func TestSettingsChangeMakesANewConnectorValue(t *testing.T) {
	e, n := onlineEnv(t)
	n2, id2 := newFakeNet(t)
	err := e.core.UpdateAccount(bg, AccountSpec{Name: "work", Network: "coretest", Settings: map[string]string{"net": id2}})
	if err != nil {
		t.Fatal(err)
	}
	n2.waitOnline(t)
	n.mu.Lock()
	var old *fakeConn
	for v := range n.values {
		old = v
	}
	n.mu.Unlock()
	n2.mu.Lock()
	_, reused := n2.values[old]
	n2.mu.Unlock()
	if reused {
		t.Fatal("the connector value of the old settings was reused for the new ones")
	}
}

// While an account reconnects its network's actions stay offered: the
// core asks the account's one connector value, never a live link.
func TestReconnectingAccountStillOffersItsNetworksActions(t *testing.T) {
	e, n := brandEnv(t)
	n.dropLink(1 << 30) // never connects again
	eventually(t, "the account offline", func() bool {
		as, err := e.core.Accounts(bg)
		return err == nil && len(as) == 1 && as[0].State != connectors.StateOnline
	})
	as, err := e.core.Accounts(bg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []connectors.Capability{connectors.CapBlock, connectors.CapUnsubscribe, connectors.CapHistory} {
		if !as[0].Has(want) {
			t.Errorf("capabilities while reconnecting = %v, want %s", as[0].Capabilities, want)
		}
	}
	if _, err := e.core.Unsubscribe(bg, "work", "AcmeDeals", policy.HowGUI); err != nil {
		t.Errorf("unsubscribe while reconnecting: %v", err)
	}
	if err := e.core.SetConsent(bg, ConsentRequest{Account: "work", Handle: "AcmeDeals", State: "blocked", How: policy.HowGUI}); err != nil {
		t.Fatal(err)
	}
	led, err := e.core.Ledger(bg, "work", "AcmeDeals")
	if err != nil || len(led) == 0 {
		t.Fatalf("ledger %v, %v", led, err)
	}
	if res := led[len(led)-1].Result; strings.Contains(res, "cannot block") {
		t.Errorf("ledger says %q for a network that can block", res)
	}
	n.mu.Lock()
	blocked := n.blocked["AcmeDeals"]
	n.mu.Unlock()
	if !blocked {
		t.Error("the block never reached the account's connector")
	}
}
