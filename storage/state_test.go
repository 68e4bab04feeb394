package storage

import (
	"context"
	"errors"
	"testing"
)

func TestAccountStateSurvivesReopenAndUpdatesTogether(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	if err := s.PutAccount(ctx, Account{Name: "work", Network: "matrix"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountState(ctx, "work", "token"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("state never written: %v, want ErrNotFound", err)
	}
	if err := s.UpdateAccountState(ctx, "work", map[string][]byte{"token": []byte("t1"), "device": []byte("D1"), "empty": {}}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAccountState(ctx, "work", map[string][]byte{"token": []byte("t2"), "device": nil}); err != nil {
		t.Fatal(err)
	}
	s = reopen(t, s, dir)
	if v, err := s.AccountState(ctx, "work", "token"); err != nil || string(v) != "t2" {
		t.Fatalf("token after reopen = %q, %v; want t2", v, err)
	}
	if _, err := s.AccountState(ctx, "work", "device"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted device: %v, want ErrNotFound", err)
	}
	if v, err := s.AccountState(ctx, "work", "empty"); err != nil || v == nil || len(v) != 0 {
		t.Fatalf("empty value = %v, %v; want an empty, present value", v, err)
	}
	if err := s.UpdateAccountState(ctx, "nobody", map[string][]byte{"x": []byte("y")}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("state for an unknown account: %v, want ErrNotFound", err)
	}
}

func TestAccountStateMovedToAnotherAccountFailsToOpen(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	for _, n := range []string{"a", "b"} {
		if err := s.PutAccount(ctx, Account{Name: n, Network: "matrix"}); err != nil {
			t.Fatal(err)
		}
		if err := s.UpdateAccountState(ctx, n, map[string][]byte{"token": []byte("secret of " + n)}); err != nil {
			t.Fatal(err)
		}
	}
	db := rawDB(t, dir)
	// Copy a's sealed token over b's: same name hash, other account.
	if _, err := db.Exec(`UPDATE account_state SET body = (SELECT body FROM account_state WHERE account_id =
		(SELECT MIN(account_id) FROM account_state)) WHERE account_id = (SELECT MAX(account_id) FROM account_state)`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountState(ctx, "b", "token"); !errors.Is(err, ErrTampered) {
		t.Fatalf("moved state opened: %v, want ErrTampered", err)
	}
}

func TestAccountStateGoesWithTheAccountEvenWithoutPurge(t *testing.T) {
	s, dir := openTest(t)
	ctx := context.Background()
	if err := s.PutAccount(ctx, Account{Name: "work", Network: "matrix"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateAccountState(ctx, "work", map[string][]byte{"session": []byte("s")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAccount(ctx, "work", false); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rawDB(t, dir).QueryRow(`SELECT COUNT(*) FROM account_state`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("account_state rows after removal = %d, %v; want 0", n, err)
	}
	// Added again under the same name: no old session comes back.
	if err := s.PutAccount(ctx, Account{Name: "work", Network: "matrix"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccountState(ctx, "work", "session"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("state after re-adding: %v, want ErrNotFound", err)
	}
}
