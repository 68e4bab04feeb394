package core

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"switchboard/connectors"
	"switchboard/storage"
)

// StartConversation opens a conversation the user starts from the window
// (New message): a channel or group is joined on the network first, where
// the network joins at the user's request; a person's conversation is
// simply made. Either is listed at once, before anyone writes.
func (c *Core) StartConversation(ctx context.Context, account, target string) (storage.Conversation, error) {
	target = strings.TrimSpace(target)
	if target == "" {
		return storage.Conversation{}, errors.New("new conversation: say whom to write to, or which channel to join")
	}
	acct, err := c.store.Account(ctx, account)
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("new conversation: account %q: %w", account, err)
	}
	// The network checks and normalises the handle and says whether it is a group.
	ref, err := c.target(acct.Network, target)
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("new conversation: %w", err)
	}
	target, group := ref.ID, ref.Kind == connectors.Group
	if conv, err := c.store.FindConversation(ctx, account, target); err == nil {
		group = conv.Group
	}
	if group {
		if err := c.join(ctx, account, target); err != nil {
			return storage.Conversation{}, err
		}
	}
	row, err := c.store.OpenConversation(ctx, account, target, group, c.now())
	if err != nil {
		return storage.Conversation{}, fmt.Errorf("new conversation with %s: %w", target, err)
	}
	c.bus.publish([]Update{{Kind: UpdConversation, Account: account, ConvRow: row}})
	return c.store.Conversation(ctx, row)
}

// join joins a group conversation on the network, where it can.
func (c *Core) join(ctx context.Context, account, target string) error {
	ar := c.running(account)
	if ar == nil {
		return fmt.Errorf("join %s: %s is not connected", target, account)
	}
	conn, st := ar.snapshot()
	if st.State != connectors.StateOnline {
		return fmt.Errorf("join %s: %s is %s; try again once it is online", target, account, st.State)
	}
	j, ok := conn.(connectors.Joiner)
	if !ok {
		return fmt.Errorf("join %s: this network cannot join conversations from Switchboard", target)
	}
	if err := j.Join(ctx, target); err != nil {
		return fmt.Errorf("join %s: %w", target, err)
	}
	return nil
}
