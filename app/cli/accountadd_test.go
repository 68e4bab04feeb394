package cli

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"switchboard/app/core"
	"switchboard/connectors"
	"switchboard/storage/storagetest"
)

// twoTokens is a network whose form has two secrets, as Slack's will (a
// bot token and an app token), and a setting no other network has.
type twoTokens struct{}

func init() { connectors.Register("clitwotokens", func() connectors.Connector { return twoTokens{} }) }

func (twoTokens) Info() connectors.NetworkInfo {
	return connectors.NetworkInfo{Name: "clitwotokens", DisplayName: "Two Tokens", Fields: []connectors.Field{
		{Key: "workspace_url", Label: "Workspace", Kind: connectors.FieldText, Required: true},
		{Key: "bot_token", Label: "Bot token", Kind: connectors.FieldSecret, Required: true},
		{Key: "app_token", Label: "App token", Kind: connectors.FieldSecret, Required: true},
		{Key: "signing", Label: "Signing secret", Kind: connectors.FieldSecret},
	}}
}

// Run is online only with the two tokens the test gave, in their places.
func (twoTokens) Run(ctx context.Context, acct connectors.Account, sec connectors.Secrets, sink chan<- connectors.Event) error {
	bot, err1 := sec.Get(ctx, "bot_token")
	app, err2 := sec.Get(ctx, "app_token")
	if err1 != nil || err2 != nil || bot != "xoxb-bot" || app != "xapp-app" || acct.Settings["workspace_url"] != "acme.example" {
		return &connectors.AuthError{Reason: fmt.Sprintf("wrong secrets: bot %v app %v (%v, %v), settings %v", bot == "xoxb-bot", app == "xapp-app", err1, err2, acct.Settings)}
	}
	sink <- connectors.ConnectionState{Account: acct.ID, State: connectors.StateOnline}
	<-ctx.Done()
	return ctx.Err()
}

func (twoTokens) Send(context.Context, connectors.Outgoing) (string, error) {
	return "", connectors.ErrNotConnected
}

type cliRun struct {
	t   *testing.T
	dir string
	kr  *storagetest.MemKeyring
}

func (r cliRun) main(stdin string, ask func(string) (string, error), args ...string) (string, int) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), append([]string{"--profile", r.dir}, args...), Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut, Keyring: r.kr,
		Getenv: func(string) string { return "" }, AskSecret: ask,
	})
	return out.String() + errOut.String(), code
}

// worksWithTheTwoTokens connects the stored account once through the core.
func (r cliRun) worksWithTheTwoTokens(name string) error {
	c, err := core.Open(context.Background(), core.Options{ProfileDir: r.dir, Keyring: r.kr})
	if err != nil {
		return err
	}
	defer c.Close()
	return c.TestAccount(context.Background(), core.AccountSpec{Name: name, Network: "clitwotokens",
		Settings: map[string]string{"workspace_url": "acme.example"}}, 10*time.Second)
}

func TestSecretStdinFillsEverySecretInTheFormsOrder(t *testing.T) {
	r := cliRun{t: t, dir: filepath.Join(t.TempDir(), "profile"), kr: &storagetest.MemKeyring{}}
	// --workspace-url comes from the form: no list in the CLI names it.
	out, code := r.main("xoxb-bot\nxapp-app\n", nil, "account", "add", "clitwotokens", "acme", "--workspace-url", "acme.example", "--secret-stdin")
	if code != 0 {
		t.Fatalf("account add: exit %d: %s", code, out)
	}
	if err := r.worksWithTheTwoTokens("acme"); err != nil {
		t.Fatalf("the stored tokens: %v", err)
	}
	// One line short: the error names what is missing, nothing is stored.
	out, code = r.main("xoxb-bot\n", nil, "account", "add", "clitwotokens", "half", "--set", "workspace_url=acme.example", "--secret-stdin")
	if code == 0 || !strings.Contains(out, "no line for App token") || !strings.Contains(out, "Bot token, App token, Signing secret") {
		t.Fatalf("one token on stdin: exit %d: %s", code, out)
	}
	if out, _ := r.main("", nil, "account", "list"); strings.Contains(out, "half") {
		t.Fatalf("the half account was stored: %s", out)
	}
}

func TestMissingSecretsAreAskedForOnTheTerminalInOrder(t *testing.T) {
	r := cliRun{t: t, dir: filepath.Join(t.TempDir(), "profile"), kr: &storagetest.MemKeyring{}}
	var asked []string
	answers := map[string]string{"Bot token: ": "xoxb-bot", "App token: ": "xapp-app", "Signing secret (Enter for none): ": ""}
	ask := func(prompt string) (string, error) {
		asked = append(asked, prompt)
		return answers[prompt], nil
	}
	out, code := r.main("", ask, "account", "add", "clitwotokens", "acme", "--workspace_url", "acme.example")
	if code != 0 {
		t.Fatalf("account add: exit %d: %s", code, out)
	}
	if strings.Join(asked, "|") != "Bot token: |App token: |Signing secret (Enter for none): " {
		t.Fatalf("asked %q", asked)
	}
	if err := r.worksWithTheTwoTokens("acme"); err != nil {
		t.Fatalf("the stored tokens: %v", err)
	}
	// Without a terminal nothing is asked; the error says how to give them.
	out, code = r.main("", nil, "account", "add", "clitwotokens", "other", "--workspace_url", "acme.example")
	if code == 0 || !strings.Contains(out, "need Bot token: give it on stdin with --secret-stdin") {
		t.Fatalf("no terminal: exit %d: %s", code, out)
	}
}

func TestASecretOnTheCommandLineIsRefused(t *testing.T) {
	r := cliRun{t: t, dir: filepath.Join(t.TempDir(), "profile"), kr: &storagetest.MemKeyring{}}
	out, code := r.main("", nil, "account", "add", "clitwotokens", "acme", "--workspace_url", "acme.example", "--bot-token", "xoxb-bot")
	if code == 0 || !strings.Contains(out, "Bot token is a secret") || strings.Contains(out, "xoxb-bot") {
		t.Fatalf("a token as a flag: exit %d: %s", code, out)
	}
	out, code = r.main("", nil, "account", "add", "clitwotokens", "acme", "--set", "app_token=xapp-app")
	if code == 0 || !strings.Contains(out, "App token is a secret") {
		t.Fatalf("a token through --set: exit %d: %s", code, out)
	}
}
