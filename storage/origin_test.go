package storage

import (
	"context"
	"testing"
)

func TestBridgedConversationKeepsItsOriginAndFiltersByNetwork(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	bridged := msg("mx", "!room:example.org", "1", "@whatsapp_1:example.org", "hi from WhatsApp", 1)
	bridged.Network, bridged.ConvOrigin = "matrix", "whatsapp"
	native := msg("mx", "!other:example.org", "2", "@bob:example.org", "hi from Matrix", 2)
	native.Network = "matrix"
	irc := msg("libera", "#go", "3", "alice", "hi from IRC", 3)
	put(t, s, bridged, native, irc)
	// A later message without an origin keeps the stored one.
	again := msg("mx", "!room:example.org", "4", "@whatsapp_1:example.org", "again", 4)
	again.Network = "matrix"
	put(t, s, again)
	s = reopen(t, s, dir)
	byNet := func(n string) map[string]string {
		t.Helper()
		cs, err := s.ListConversations(ctx, ConvQuery{Network: n})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range cs {
			out[c.RemoteID] = c.Origin
		}
		return out
	}
	if got := byNet(""); got["!room:example.org"] != "whatsapp" || got["!other:example.org"] != "" || len(got) != 3 {
		t.Fatalf("origins = %v; want the bridged room from whatsapp, the others their own network's", got)
	}
	if got := byNet("whatsapp"); len(got) != 1 || got["!room:example.org"] != "whatsapp" {
		t.Fatalf("WhatsApp's conversations = %v; want only the bridged room", got)
	}
	if got := byNet("matrix"); len(got) != 1 || !contains(got, "!other:example.org") {
		t.Fatalf("Matrix's conversations = %v; want only the unbridged room", got)
	}
	if c, err := s.ConversationCounts(ctx); err != nil || len(c.Origins) != 1 || c.Origins[0] != "whatsapp" {
		t.Fatalf("origins counted = %v, %v; want [whatsapp]", c.Origins, err)
	}
}

func contains(m map[string]string, k string) bool { _, ok := m[k]; return ok }
