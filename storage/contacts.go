package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

const (
	sqlContactCols   = `id, account_id, handle_tag, kind, user_kind, updated, body`
	sqlContactByTag  = `SELECT ` + sqlContactCols + ` FROM contacts WHERE account_id = ? AND handle_tag = ?`
	sqlContactInsert = `INSERT INTO contacts(id, account_id, handle_tag, kind, user_kind, updated, body) VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlContactUpdate = `UPDATE contacts SET kind = ?, user_kind = ?, updated = ?, body = ? WHERE id = ?`
)

// A contact's account, handle tag and kinds (the evidence's and the
// user's) are bound to its sealed value: a brand edited into a person in
// the file fails to open.
func contactAD(id, acct, tag int64, kind, userKind string) []byte {
	return boundAD("contacts", id, acct, tag, kind, userKind)
}

func (s *Store) sealContact(id, acct, tag int64, c Contact) []byte {
	f := (&fields{}).str(c.Handle).str(c.Name)
	for _, e := range c.Evidence {
		f.str(e)
	}
	return s.seal.seal(f.b, contactAD(id, acct, tag, string(c.Kind), string(c.UserKind)))
}

func (s *Store) scanContact(ctx context.Context, sc interface{ Scan(...any) error }) (Contact, int64, error) {
	var id, acct, tag, updated int64
	var kind, userKind string
	var body []byte
	if err := sc.Scan(&id, &acct, &tag, &kind, &userKind, &updated, &body); err != nil {
		return Contact{}, 0, err
	}
	plain, err := s.seal.openBound(body, contactAD(id, acct, tag, kind, userKind))
	if err != nil {
		return Contact{}, 0, fmt.Errorf("storage: contact %d: %w", id, err)
	}
	r := &fieldReader{b: plain}
	c := Contact{Handle: r.str(), Name: r.str(), Kind: ContactKind(kind), UserKind: ContactKind(userKind), Updated: fromNano(updated)}
	for r.err == nil && len(r.b) > 0 {
		c.Evidence = append(c.Evidence, r.str())
	}
	if r.err != nil {
		return Contact{}, 0, fmt.Errorf("storage: contact %d: %w", id, ErrTampered)
	}
	if acct != 0 {
		ai, err := s.accountInfo(ctx, acct)
		if err != nil {
			return Contact{}, 0, err
		}
		c.Account = ai.name
	}
	return c, id, nil
}

// PutContact stores or merges a contact: empty fields keep the stored
// values, UserKind is kept unless c sets it, Evidence is replaced.
func (s *Store) PutContact(ctx context.Context, c Contact) error {
	if c.Account == "" || c.Handle == "" {
		return errors.New("storage: put contact: account and handle are required")
	}
	err := s.write(ctx, func(t *wtx) error {
		return t.mergeContact(c, func(old *Contact) {
			if c.Name != "" {
				old.Name = c.Name
			}
			if c.Kind != "" {
				old.Kind = c.Kind
			}
			if c.UserKind != "" {
				old.UserKind = c.UserKind
			}
			old.Evidence = c.Evidence
			old.Updated = c.Updated
		})
	})
	if err != nil {
		return fmt.Errorf("storage: put contact: %w", err)
	}
	return nil
}

// SetUserKind records the user's classification (creating the contact if needed).
func (s *Store) SetUserKind(ctx context.Context, account, handle string, kind ContactKind) error {
	err := s.write(ctx, func(t *wtx) error {
		return t.mergeContact(Contact{Account: account, Handle: handle}, func(old *Contact) { old.UserKind = kind })
	})
	if err != nil {
		return fmt.Errorf("storage: set user kind: %w", err)
	}
	return nil
}

// mergeContact loads the contact (or starts from c), applies change, and
// writes it back with its search words.
func (t *wtx) mergeContact(c Contact, change func(*Contact)) error {
	s := t.w.s
	acct, err := t.accountID(c.Account, "", true)
	if err != nil {
		return err
	}
	tag := s.tags.handle.tagID(acct, c.Handle)
	old, id, err := s.scanContact(t.ctx, t.queryRow(sqlContactByTag, acct, tag))
	fresh := errors.Is(err, sql.ErrNoRows)
	if fresh {
		old = Contact{Account: c.Account, Handle: c.Handle, Kind: ContactUnknown}
		if id, err = t.newID("contacts"); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	change(&old)
	if old.Kind == "" {
		old.Kind = ContactUnknown
	}
	if old.Updated.IsZero() {
		old.Updated = time.Now()
	}
	body := s.sealContact(id, acct, tag, old)
	if fresh {
		_, err = t.exec(sqlContactInsert, id, acct, tag, string(old.Kind), string(old.UserKind), unixNano(old.Updated), body)
	} else {
		_, err = t.exec(sqlContactUpdate, string(old.Kind), string(old.UserKind), unixNano(old.Updated), body, id)
	}
	if err != nil {
		return err
	}
	if _, err := t.exec(`DELETE FROM contact_words WHERE contact_id = ?`, id); err != nil {
		return err
	}
	var toks []int64
	indexTokens(normalize(old.Handle+" "+old.Name), func(tok string) { toks = append(toks, s.tags.contact.tag(tok)) })
	slices.Sort(toks)
	for _, tok := range slices.Compact(toks) {
		if _, err := t.exec(`INSERT INTO contact_words(tok, contact_id) VALUES (?, ?)`, tok, id); err != nil {
			return err
		}
	}
	return nil
}

// Contact returns one contact; ErrNotFound when absent.
func (s *Store) Contact(ctx context.Context, account, handle string) (Contact, error) {
	acct, ok, err := s.lookupAccountID(ctx, account)
	if err != nil {
		return Contact{}, err
	}
	if ok {
		c, _, err := s.scanContact(ctx, s.rdb.QueryRowContext(ctx, sqlContactByTag, acct, s.tags.handle.tagID(acct, handle)))
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
	}
	return Contact{}, fmt.Errorf("storage: contact %q: %w", handle, ErrNotFound)
}

// Contacts lists an account's contacts ("" = all accounts).
func (s *Store) Contacts(ctx context.Context, account string) ([]Contact, error) {
	q, args := `SELECT `+sqlContactCols+` FROM contacts`, []any{}
	if account != "" {
		acct, ok, err := s.lookupAccountID(ctx, account)
		if err != nil || !ok {
			return nil, err
		}
		q += ` WHERE account_id = ?`
		args = append(args, acct)
	}
	return s.queryContacts(ctx, q+` ORDER BY id`, args...)
}

func (s *Store) queryContacts(ctx context.Context, q string, args ...any) ([]Contact, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("storage: contacts: %w", err)
	}
	type raw struct {
		id, acct, tag, updated int64
		kind, userKind         string
		body                   []byte
	}
	var raws []raw
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.id, &r.acct, &r.tag, &r.kind, &r.userKind, &r.updated, &r.body); err != nil {
			rows.Close()
			return nil, fmt.Errorf("storage: contacts: %w", err)
		}
		raws = append(raws, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("storage: contacts: %w", err)
	}
	out := make([]Contact, 0, len(raws))
	for _, r := range raws {
		c, _, err := s.scanContact(ctx, rowValues{r.id, r.acct, r.tag, r.kind, r.userKind, r.updated, r.body})
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// rowValues replays already-read columns through a Scan interface.
type rowValues []any

func (r rowValues) Scan(dst ...any) error {
	for i, d := range dst {
		switch p := d.(type) {
		case *int64:
			*p = r[i].(int64)
		case *string:
			*p = r[i].(string)
		case *[]byte:
			*p = r[i].([]byte)
		default:
			return fmt.Errorf("rowValues: unsupported %T", d)
		}
	}
	return nil
}

// SearchContacts finds contacts whose handle or name contains every query
// word (as a word or prefix), through the contacts' blind index.
func (s *Store) SearchContacts(ctx context.Context, query string, limit int) ([]Contact, error) {
	qs := parseQuery(query)
	if len(qs) == 0 {
		return nil, nil
	}
	var ids []int64
	first := true
	for _, q := range qs {
		for _, tok := range q.tokens {
			got, err := s.contactIDs(ctx, s.tags.contact.tag(tok))
			if err != nil {
				return nil, err
			}
			if first {
				ids, first = got, false
			} else {
				ids = slices.DeleteFunc(ids, func(id int64) bool { _, ok := slices.BinarySearch(got, id); return !ok })
			}
		}
	}
	var out []Contact
	for _, id := range ids {
		c, _, err := s.scanContact(ctx, s.rdb.QueryRowContext(ctx, `SELECT `+sqlContactCols+` FROM contacts WHERE id = ?`, id))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if matches(normalize(c.Handle+" "+c.Name), qs) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Contact) int { return b.Updated.Compare(a.Updated) })
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (s *Store) contactIDs(ctx context.Context, tok int64) ([]int64, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT contact_id FROM contact_words WHERE tok = ? ORDER BY contact_id`, tok)
	if err != nil {
		return nil, fmt.Errorf("storage: search contacts: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("storage: search contacts: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
