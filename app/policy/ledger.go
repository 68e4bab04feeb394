package policy

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// LedgerRecord is one consent ledger entry for export. It mirrors
// storage.LedgerEntry field for field (policy does not import storage).
type LedgerRecord struct {
	Seq       int64
	Time      time.Time
	Account   string
	Network   string
	Brand     string
	OldState  string
	NewState  string
	Scopes    []string
	Until     time.Time // zero: no end date
	How       string
	MessageID string
	Result    string
}

// ledgerColumns is the CSV header; the JSON keys are the same names.
func ledgerColumns() []string {
	return []string{
		"seq", "time", "account", "network", "brand", "old_state", "new_state",
		"scopes", "until", "how", "message_id", "result",
	}
}

// WriteLedgerCSV writes the records as CSV (RFC 4180) with a header row.
// Times are RFC 3339 in UTC; an absent end date is an empty cell; scopes
// are one comma-separated cell ("updates,offers").
//
// Text that a spreadsheet would run as a formula (a cell starting with
// = + - @, tab or carriage return) gets a leading apostrophe, because
// handles and message IDs come from the network. WriteLedgerJSON keeps
// every value exactly as stored.
func WriteLedgerCSV(w io.Writer, recs []LedgerRecord) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ledgerColumns()); err != nil {
		return fmt.Errorf("policy: ledger csv: %w", err)
	}
	for _, r := range recs {
		row := []string{
			strconv.FormatInt(r.Seq, 10),
			stamp(r.Time),
			cell(r.Account), cell(r.Network), cell(r.Brand),
			cell(r.OldState), cell(r.NewState),
			cell(strings.Join(r.Scopes, ",")),
			stamp(r.Until),
			cell(r.How), cell(r.MessageID), cell(r.Result),
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("policy: ledger csv: entry %d: %w", r.Seq, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("policy: ledger csv: %w", err)
	}
	return nil
}

// ledgerJSON is the JSON shape: every key is always present; an absent
// end date is null and no scopes is [].
type ledgerJSON struct {
	Seq       int64    `json:"seq"`
	Time      string   `json:"time"`
	Account   string   `json:"account"`
	Network   string   `json:"network"`
	Brand     string   `json:"brand"`
	OldState  string   `json:"old_state"`
	NewState  string   `json:"new_state"`
	Scopes    []string `json:"scopes"`
	Until     *string  `json:"until"`
	How       string   `json:"how"`
	MessageID string   `json:"message_id"`
	Result    string   `json:"result"`
}

// WriteLedgerJSON writes the records as one indented JSON array (an empty
// ledger is []). Times are RFC 3339 in UTC.
func WriteLedgerJSON(w io.Writer, recs []LedgerRecord) error {
	out := make([]ledgerJSON, len(recs))
	for i, r := range recs {
		out[i] = ledgerJSON{
			Seq: r.Seq, Time: stamp(r.Time), Account: r.Account, Network: r.Network,
			Brand: r.Brand, OldState: r.OldState, NewState: r.NewState,
			Scopes: append([]string{}, r.Scopes...), How: r.How,
			MessageID: r.MessageID, Result: r.Result,
		}
		if !r.Until.IsZero() {
			u := stamp(r.Until)
			out[i].Until = &u
		}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("policy: ledger json: %w", err)
	}
	return nil
}

// stamp renders a time as RFC 3339 in UTC (fractions only when present);
// the zero time is "".
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// cell defuses spreadsheet formula injection in a CSV text cell.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
