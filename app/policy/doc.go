// Package policy is Switchboard's brand opt-in rule: only the user starts
// a conversation with a brand.
//
// It is pure logic with no I/O beyond reading a brand list from an
// io.Reader, and it imports nothing of Switchboard's but connectors (for
// ContactKind). The core wires it into the event path:
//
//  1. Classify a contact (person / brand / unknown) from the user's word,
//     the network's flags, bulk-mail headers and the brand list (Bundled
//     merged with the user's file: Merge(user, bundled)).
//  2. Decide where an inbound message goes (Deliver, HoldRequest,
//     HoldBlocked) from the brand's Consent, with a plain-words reason.
//  3. On every outbound message call OnUserSent; write a ledger entry when
//     it says so, and when a Decision reports Expired.
//  4. Export the ledger with WriteLedgerCSV / WriteLedgerJSON.
//
// ParseState, ParseKind, ParseScopes, ParseUntil and Consent.Validate check
// what the user types in the CLI or GUI.
package policy
