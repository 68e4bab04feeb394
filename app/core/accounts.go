package core

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"switchboard/connectors"
	"switchboard/storage"
)

// Networks lists the registered networks and their account forms.
func (c *Core) Networks(ctx context.Context) ([]connectors.NetworkInfo, error) {
	var out []connectors.NetworkInfo
	for _, n := range connectors.Networks() {
		d, err := c.nets.get(n)
		if err != nil {
			return nil, err
		}
		out = append(out, d.info)
	}
	return out, nil
}

// Accounts lists accounts with their live state, sorted by network then name.
func (c *Core) Accounts(ctx context.Context) ([]AccountStatus, error) {
	accts, err := c.store.Accounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	unread, err := c.store.UnreadByAccount(ctx) // counted on clear columns: nothing decrypted
	if err != nil {
		c.log.Error("count unread messages", "err", err)
	}
	out := make([]AccountStatus, 0, len(accts))
	for _, a := range accts {
		st := AccountStatus{Name: a.Name, Network: a.Network, Settings: a.Settings, State: connectors.StateOffline, Disabled: a.Disabled}
		if ar := c.running(a.Name); ar != nil {
			_, live := ar.snapshot()
			st.State, st.Reason, st.RetryAt, st.Self, st.Since = live.State, live.Reason, live.RetryAt, live.Self, live.Since
		}
		st.Unread = unread[a.Name]
		if d, err := c.nets.get(a.Network); err == nil {
			st.Capabilities = d.caps
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Network != out[j].Network {
			return out[i].Network < out[j].Network
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// validateSpec checks an account against its network's declared form and
// splits out the secrets.
func (c *Core) validateSpec(spec AccountSpec) (connectors.NetworkInfo, error) {
	if strings.TrimSpace(spec.Name) == "" {
		return connectors.NetworkInfo{}, errors.New("the account needs a name")
	}
	if strings.ContainsAny(spec.Name, "/\n\r\t") {
		return connectors.NetworkInfo{}, errors.New("an account name cannot contain '/', tabs or line breaks")
	}
	d, err := c.nets.get(spec.Network)
	if err != nil {
		return connectors.NetworkInfo{}, err
	}
	info := d.info
	known := map[string]connectors.Field{}
	for _, f := range info.Fields {
		known[f.Key] = f
		if f.Kind == connectors.FieldSecret {
			if _, leaked := spec.Settings[f.Key]; leaked {
				return info, fmt.Errorf("%s is a secret and cannot be stored as a setting", f.Label)
			}
			continue
		}
		if f.Required && strings.TrimSpace(spec.Settings[f.Key]) == "" && f.Default == "" {
			return info, fmt.Errorf("%s: %s is required", info.DisplayName, f.Label)
		}
	}
	for k := range spec.Settings {
		if _, ok := known[k]; !ok {
			return info, fmt.Errorf("%s accounts have no setting %q", info.DisplayName, k)
		}
	}
	for k := range spec.Secrets {
		if f, ok := known[k]; !ok || f.Kind != connectors.FieldSecret {
			return info, fmt.Errorf("%s accounts have no secret %q", info.DisplayName, k)
		}
	}
	// The network's own rules, once, for the window and the CLI alike.
	if info.Validate != nil {
		if err := info.Validate(withDefaults(info, spec.Settings)); err != nil {
			return info, err
		}
	}
	return info, nil
}

func withDefaults(info connectors.NetworkInfo, settings map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range info.Fields {
		if f.Kind == connectors.FieldSecret {
			continue
		}
		if v := strings.TrimSpace(settings[f.Key]); v != "" {
			out[f.Key] = v
		} else if f.Default != "" {
			out[f.Key] = f.Default
		}
	}
	return out
}

// AddAccount stores a new account and connects it if the core is running.
func (c *Core) AddAccount(ctx context.Context, spec AccountSpec) error {
	info, err := c.validateSpec(spec)
	if err != nil {
		return fmt.Errorf("add account: %w", err)
	}
	if _, err := c.store.Account(ctx, spec.Name); err == nil {
		return fmt.Errorf("add account: an account named %q already exists", spec.Name)
	}
	return c.saveAccount(ctx, info, spec)
}

// UpdateAccount replaces an existing account's settings and reconnects it.
func (c *Core) UpdateAccount(ctx context.Context, spec AccountSpec) error {
	info, err := c.validateSpec(spec)
	if err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	old, err := c.store.Account(ctx, spec.Name)
	if err != nil {
		return fmt.Errorf("update account %q: %w", spec.Name, err)
	}
	if old.Network != spec.Network {
		return fmt.Errorf("update account %q: the network cannot change (remove and add it instead)", spec.Name)
	}
	c.stopAccount(spec.Name)
	return c.saveAccount(ctx, info, spec)
}

func (c *Core) saveAccount(ctx context.Context, info connectors.NetworkInfo, spec AccountSpec) error {
	for k, v := range spec.Secrets {
		if v == "" {
			continue
		}
		if err := c.secrets.Set(ctx, spec.Name, k, v); err != nil {
			return fmt.Errorf("save %s secret for %q: %w", k, spec.Name, err)
		}
	}
	a := storage.Account{Name: spec.Name, Network: spec.Network, Settings: withDefaults(info, spec.Settings), Created: c.now()}
	if err := c.store.PutAccount(ctx, a); err != nil {
		return fmt.Errorf("save account %q: %w", spec.Name, err)
	}
	c.bus.publish([]Update{{Kind: UpdAccount, Account: spec.Name}})
	c.startAccount(a)
	return nil
}

// RemoveAccount disconnects and deletes an account and its secrets.
func (c *Core) RemoveAccount(ctx context.Context, name string, purge bool) error {
	if _, err := c.store.Account(ctx, name); err != nil {
		return fmt.Errorf("remove account %q: %w", name, err)
	}
	c.stopAccount(name)
	if err := c.deleteSecrets(ctx, name); err != nil {
		return fmt.Errorf("remove secrets of %q: %w", name, err)
	}
	if err := c.store.DeleteAccount(ctx, name, purge); err != nil {
		return fmt.Errorf("remove account %q: %w", name, err)
	}
	c.pol.orgs.forget(name)
	c.bus.publish([]Update{{Kind: UpdAccount, Account: name}})
	return nil
}

// mapSecrets serves an unsaved account's secrets to TestAccount.
type mapSecrets map[string]string

func (m mapSecrets) Get(ctx context.Context, key string) (string, error) {
	if v, ok := m[key]; ok && v != "" {
		return v, nil
	}
	return "", fmt.Errorf("%w: %s", connectors.ErrNoSecret, key)
}

// TestAccount connects with spec until it is online, fails, or timeout
// passes; nothing is stored. Secrets not given in spec are taken from the
// stored account of the same name, if any (editing an account).
func (c *Core) TestAccount(ctx context.Context, spec AccountSpec, timeout time.Duration) error {
	info, err := c.validateSpec(spec)
	if err != nil {
		return err
	}
	sec := mapSecrets{}
	for _, f := range info.Fields {
		if f.Kind != connectors.FieldSecret {
			continue
		}
		if v := spec.Secrets[f.Key]; v != "" {
			sec[f.Key] = v
		} else if v, err := c.secrets.For(spec.Name).Get(ctx, f.Key); err == nil {
			sec[f.Key] = v
		}
	}
	conn, err := connectors.New(spec.Network)
	if err != nil {
		return err
	}
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sink := make(chan connectors.Event, 64)
	runErr := make(chan error, 1)
	go func() {
		acct := connectors.Account{ID: spec.Name, Network: spec.Network, Settings: withDefaults(info, spec.Settings), State: &connectors.MemoryState{}}
		runErr <- conn.Run(ctx, acct, sec, sink)
	}()
	for {
		select {
		case ev := <-sink:
			if st, ok := ev.(connectors.ConnectionState); ok && st.State == connectors.StateOnline {
				cancel()
				<-runErr
				return nil
			}
		case err := <-runErr:
			if err == nil {
				err = errors.New("the connection closed before it was ready")
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("no answer within %s", timeout)
			}
			return err
		}
	}
}

// capabilities lists what a connector can do beyond the basics, by the
// optional interfaces it implements (never by its network's name).
func capabilities(conn connectors.Connector) []connectors.Capability {
	return connectors.CapabilitiesOf(conn)
}

// netDesc is what the core knows of a network without any account's
// connector: its description and capabilities, read once from a probe
// value. A connector's type answers the same for every value, so this is
// also the answer while an account is between Runs.
type netDesc struct {
	info connectors.NetworkInfo
	caps []connectors.Capability
}

// netCache holds one netDesc per network name, made on first use.
type netCache struct {
	mu sync.Mutex
	m  map[string]netDesc
}

func (n *netCache) get(network string) (netDesc, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if d, ok := n.m[network]; ok {
		return d, nil
	}
	conn, err := connectors.New(network)
	if err != nil {
		return netDesc{}, err
	}
	d := netDesc{info: conn.Info(), caps: capabilities(conn)}
	if n.m == nil {
		n.m = map[string]netDesc{}
	}
	n.m[network] = d
	return d, nil
}
