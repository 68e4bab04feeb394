package core

import (
	"context"
	"fmt"
	"testing"
	"time"

	"switchboard/storage"
	"switchboard/storage/storagetest"
)

// BenchmarkAccounts measures Accounts(), which the window calls after every
// message batch to refresh the sidebar: 10 accounts, 2,000 conversations
// with unread messages (200 per account).
func BenchmarkAccounts(b *testing.B) {
	ctx := context.Background()
	c, err := Open(ctx, Options{ProfileDir: b.TempDir(), Keyring: &storagetest.MemKeyring{}, NoControlSocket: true})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for a := 0; a < 10; a++ {
		name := fmt.Sprintf("acct%d", a)
		if err := c.AddAccount(ctx, AccountSpec{Name: name, Network: "coretest", Settings: map[string]string{"net": "none"}}); err != nil {
			b.Fatal(err)
		}
		var ins []storage.MessageIn
		for i := 0; i < 200; i++ {
			ins = append(ins, storage.MessageIn{Account: name, Network: "coretest", ConvID: fmt.Sprintf("peer%d", i),
				RemoteID: fmt.Sprintf("%s-%d", name, i), Sender: fmt.Sprintf("peer%d", i), Time: at.Add(time.Duration(i) * time.Second),
				Direction: storage.In, Text: "an unread message with a few words in it"})
		}
		if _, err := c.store.PutMessages(ctx, ins); err != nil {
			b.Fatal(err)
		}
	}
	as, err := c.Accounts(ctx)
	if err != nil || len(as) != 10 || as[0].Unread != 200 {
		b.Fatalf("accounts %d, unread %d, err %v", len(as), as[0].Unread, err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Accounts(ctx); err != nil {
			b.Fatal(err)
		}
	}
}
