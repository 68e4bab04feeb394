package ircd_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"switchboard/internal/testenv/ircd"
)

// A demo program (make demo) starts ngIRCd in a directory of its own and
// scripts a peer with the raw client; the server dies with ctx or Close.
func ExampleStart() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "switchboard-demo-")
	if err != nil {
		log.Print(err)
		return
	}
	defer os.RemoveAll(dir)
	srv, err := ircd.Start(ctx, dir, ircd.Options{Kind: ircd.Ngircd})
	if err != nil {
		log.Print(err) // names the Debian package when the binary is missing
		return
	}
	defer srv.Close()
	fmt.Println("plain:", srv.Addr, "TLS:", srv.TLSAddr, "CA file:", srv.CAFile)

	colleague, err := ircd.Dial(ctx, srv.Addr, "colleague", ircd.ClientOptions{})
	if err != nil {
		log.Print(err)
		return
	}
	defer colleague.Close()
	if err := colleague.Join("#team", 10*time.Second); err != nil {
		log.Print(err)
		return
	}
	_ = colleague.Privmsg("#team", "standup in 5 minutes")
}
