package email

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"switchboard/connectors"
)

const benchMails = 10000

// benchMail is a ~2 KB mail; every tenth is multipart/alternative with HTML.
func benchMail(i int) []byte {
	body := strings.Repeat(fmt.Sprintf("Line %d of a normal business mail about order %d.\r\n", i%7, i), 30)
	head := fmt.Sprintf("From: Sender %d <sender%d@example.org>\r\nTo: alice@localhost\r\nSubject: Order %d\r\n"+
		"Date: %s\r\nMessage-ID: <bench-%d@example.org>\r\n", i%50, i%50, i, time.Unix(1700000000+int64(i)*60, 0).UTC().Format(time.RFC1123Z), i)
	if i%10 != 0 {
		return []byte(head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body)
	}
	return []byte(head + "MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=ALT\r\n\r\n--ALT\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n--ALT\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>" +
		strings.ReplaceAll(body, "\r\n", "<br>") + "</p>\r\n--ALT--\r\n")
}

var syncLine = regexp.MustCompile(`SYNC n=(\d+) secs=([0-9.]+) hwm_kb=(\d+)`)

// BenchmarkInitialSync10k measures a first sync of 10,000 mails in a child
// process (so its peak RSS, VmHWM, is the sync's alone). The mails are
// written into the Maildir and indexed by Dovecot before timing.
func BenchmarkInitialSync10k(b *testing.B) {
	srv := startServer(b)
	raws := make([][]byte, benchMails)
	for i := range raws {
		raws[i] = benchMail(i)
	}
	if err := srv.WriteMaildir(alice.Name, "INBOX", raws); err != nil {
		b.Fatal(err)
	}
	primeIndex(b, srv.IMAPSAddr, srv.CertPool())
	acct := account(srv, alice, true, "sync_depth", strconv.Itoa(benchMails))
	b.ResetTimer()
	var rate, hwm float64
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSyncChild$")
		cmd.Env = append(os.Environ(), "SWITCHBOARD_SYNC_SERVER="+acct.Settings["server"],
			"SWITCHBOARD_SYNC_SMTP="+acct.Settings["smtp"], "SWITCHBOARD_SYNC_CA="+srv.CAFile,
			"SWITCHBOARD_SYNC_PW="+alice.Password)
		out, err := cmd.CombinedOutput()
		m := syncLine.FindStringSubmatch(string(out))
		if err != nil || m == nil {
			b.Fatalf("child: %v\n%s", err, out)
		}
		n, _ := strconv.Atoi(m[1])
		secs, _ := strconv.ParseFloat(m[2], 64)
		kb, _ := strconv.ParseFloat(m[3], 64)
		if n != benchMails {
			b.Fatalf("child synced %d of %d", n, benchMails)
		}
		rate, hwm = float64(n)/secs, kb/1024
	}
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(hwm, "peakRSS_MB")
}

// primeIndex opens the mailbox once so Dovecot indexes the new Maildir
// files before the timed sync.
func primeIndex(b *testing.B, addr string, pool *x509.CertPool) {
	c, err := imapclient.DialTLS(addr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: pool}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(alice.Name, alice.Password).Wait(); err != nil {
		b.Fatal(err)
	}
	sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil || sel.NumMessages != benchMails {
		b.Fatalf("prime: %v, %d messages", err, sel.NumMessages)
	}
}

// TestHelperSyncChild is the benchmark's child process: one full sync,
// then its time and peak RSS on stdout.
func TestHelperSyncChild(t *testing.T) {
	server := os.Getenv("SWITCHBOARD_SYNC_SERVER")
	if server == "" {
		return // not running as the child
	}
	acct := connectors.Account{ID: "bench", Network: "email", Settings: map[string]string{
		"user": alice.Name, "server": server, "smtp": os.Getenv("SWITCHBOARD_SYNC_SMTP"),
		"ca_file": os.Getenv("SWITCHBOARD_SYNC_CA"), "sync_depth": strconv.Itoa(benchMails),
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := make(chan connectors.Event, 1024)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- New().Run(ctx, acct, secretMap{"password": os.Getenv("SWITCHBOARD_SYNC_PW")}, sink) }()
	n := 0
	for online := false; !online; {
		select {
		case ev := <-sink:
			switch e := ev.(type) {
			case connectors.MessageReceived:
				n++
			case connectors.ConnectionState:
				online = e.State == connectors.StateOnline
			}
		case err := <-done:
			t.Fatalf("Run ended: %v", err)
		}
	}
	secs := time.Since(start).Seconds()
	cancel()
	<-done
	fmt.Printf("SYNC n=%d secs=%.3f hwm_kb=%d\n", n, secs, vmHWM())
}

// vmHWM is the process's peak resident set size in kB (Linux).
func vmHWM() int {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return -1
}
