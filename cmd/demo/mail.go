package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"switchboard/internal/testenv/dovecot"
)

// The demo's e-mail account on its local Dovecot.
const (
	mailUser = "alex@localhost"
	mailPass = "switchboard demo mail"
)

// startMail starts a local Dovecot (with its SMTP submission bridge) for
// the demo's e-mail account and, the first time in a data directory,
// delivers a customer's mail with an invoice attached and a newsletter
// that waits in Requests until the user decides.
func startMail(dir string) (*dovecot.Server, error) {
	_, statErr := os.Stat(dir)
	fresh := os.IsNotExist(statErr)
	// Dana and the newsletter's unsubscribe address have mailboxes too, so
	// that a reply and an unsubscribe mail are delivered, not refused.
	srv, err := dovecot.Start(dovecot.Options{Dir: dir, Users: []dovecot.User{{Name: mailUser, Password: mailPass},
		{Name: "dana@northwind.test", Password: mailPass}, {Name: "unsubscribe@nimbus.test", Password: mailPass}}})
	if err != nil {
		return nil, fmt.Errorf("start Dovecot (Debian/Ubuntu: apt-get install dovecot-imapd dovecot-lmtpd): %w", err)
	}
	if !fresh {
		return srv, nil
	}
	now := time.Now()
	for _, raw := range []string{customerMail(now.Add(-50 * time.Minute)), newsletterMail(now.Add(-20 * time.Minute))} {
		if err := srv.Deliver("demo@localhost", []string{mailUser}, strings.NewReader(raw)); err != nil {
			srv.Close()
			return nil, fmt.Errorf("deliver the demo mail: %w", err)
		}
	}
	return srv, nil
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

// customerMail asks about an invoice, attaches it, and quotes Alex's
// earlier mail under a signature — the chat view shows only the question.
func customerMail(at time.Time) string {
	pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4\n% Northwind invoice 2291 (demo)\n%%EOF\n"))
	return crlf(`From: Dana Whitfield <dana@northwind.test>
To: Alex <` + mailUser + `>
Subject: Invoice 2291
Date: ` + at.Format(time.RFC1123Z) + `
Message-ID: <invoice-2291@northwind.test>
In-Reply-To: <quote-50-seats@localhost>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Hi Alex,

the invoice for November lists 48 seats, but we have 50 since the
3rd. Could you send a corrected one? The PDF is attached.

Thanks,
Dana

-- 
Dana Whitfield · Purchasing · Northwind Traders

On Mon, Alex wrote:
> Here is the quote for the 50-seat plan.
--b1
Content-Type: application/pdf; name="invoice-2291.pdf"
Content-Disposition: attachment; filename="invoice-2291.pdf"
Content-Transfer-Encoding: base64

` + pdf + `
--b1--
`)
}

// newsletterMail is a brand writing unasked: list headers make it brand
// evidence, so it is held; it offers an unsubscribe mail address.
func newsletterMail(at time.Time) string {
	return crlf(`From: Nimbus Cloud News <news@nimbus.test>
To: ` + mailUser + `
Subject: 3 months of Nimbus Pro for free
Date: ` + at.Format(time.RFC1123Z) + `
Message-ID: <weekly-48@nimbus.test>
List-Id: Nimbus news <news.nimbus.test>
List-Unsubscribe: <mailto:unsubscribe@nimbus.test?subject=unsubscribe%20alex>
Precedence: bulk
Content-Type: text/plain; charset=utf-8

Upgrade this week and get 3 months of Nimbus Pro for free.
`)
}

// mailDir is where the demo's Dovecot keeps its state and mail.
func mailDir(dataDir string) string { return filepath.Join(dataDir, "mail") }
