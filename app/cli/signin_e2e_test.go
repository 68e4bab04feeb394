package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"switchboard/connectors/signinfake"
)

// The sign-in tests build the binary with the "signinfake" tag, which
// compiles in the scripted sign-in network (never in a normal build).

var (
	fakeBuildOnce sync.Once
	fakeBinPath   string
	fakeBuildErr  error
)

func fakeBinary(t testing.TB) string {
	t.Helper()
	fakeBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "switchboard-signinfake-")
		if err != nil {
			fakeBuildErr = err
			return
		}
		fakeBinPath = filepath.Join(dir, "switchboard")
		root, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			fakeBuildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		args := []string{"build", "-tags", "signinfake", "-o", fakeBinPath}
		if raceBuild {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		if out, err := cmd.CombinedOutput(); err != nil {
			fakeBuildErr = fmt.Errorf("go build -tags signinfake: %v\n%s", err, out)
		}
	})
	if fakeBuildErr != nil {
		t.Fatal(fakeBuildErr)
	}
	return fakeBinPath
}

// startRunning starts `switchboard run` and waits until it holds the
// profile, so the test's next commands talk to it rather than race it
// for the profile.
func startRunning(t *testing.T, p *profile) {
	t.Helper()
	cmd := exec.Command(p.bin, "run")
	cmd.Env = p.env
	var e lockedBuffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("switchboard run stderr:\n%s", e.String())
		}
	})
	eventually(t, "switchboard run holding the profile", func() bool {
		select {
		case <-exited:
			t.Fatalf("switchboard run ended: %s", e.String())
		default:
		}
		return strings.Contains(e.String(), "Switchboard is running")
	})
}

type accountJSON struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason"`
}

func (p *profile) accountState(name string) accountJSON {
	p.t.Helper()
	var accts []accountJSON
	out := p.sb("", "account", "list", "--json")
	if err := json.Unmarshal([]byte(out), &accts); err != nil {
		p.t.Fatalf("account list --json: %v\n%s", err, out)
	}
	for _, a := range accts {
		if a.Name == name {
			return a
		}
	}
	p.t.Fatalf("no account %q in %s", name, out)
	return accountJSON{}
}

func TestCLISignInAsksForTheCodeThenThePasswordOnStdin(t *testing.T) {
	srv, err := signinfake.Start(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.AddUser("+15550100", "24680", "two-step pw")
	p := newProfile(t)
	p.bin = fakeBinary(t)

	// A wrong code: the server's words, the account kept, needing sign-in.
	out, errOut, code := p.try("11111\nx\n", "account", "add", "signinfake", "phone",
		"--server", srv.Addr(), "--set", "phone=+15550100", "--secret-stdin")
	if code == 0 || !strings.Contains(errOut, "not the one we sent") || !strings.Contains(errOut, "account signin phone") {
		t.Fatalf("wrong code: exit %d\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if st := p.accountState("phone"); st.State == "online" {
		t.Fatalf("state after a refused sign-in: %+v", st)
	}
	// The right answers, in the order asked.
	out = p.sb("24680\ntwo-step pw\n", "account", "signin", "phone", "--secret-stdin")
	if !strings.Contains(out, "Code sent to +15550100") || !strings.Contains(out, "Two-step password") || !strings.Contains(out, `Signed in to "phone"`) {
		t.Fatalf("sign-in output:\n%s", out)
	}
	if strings.Contains(out, "two-step pw") {
		t.Fatalf("the password was echoed:\n%s", out)
	}
	startRunning(t, p)
	eventually(t, "the account online with its kept session", func() bool { return p.accountState("phone").State == "online" })
	srv.Push("+15550100", "m1", "wa-chat", "whatsapp", "bob", "hello through the bridge")
	eventually(t, "the bridged message in the inbox", func() bool {
		var rows []struct {
			Origin   string `json:"origin"`
			LastText string `json:"last_text"`
		}
		json.Unmarshal([]byte(p.sb("", "inbox", "--json")), &rows)
		return len(rows) == 1 && rows[0].Origin == "whatsapp" && rows[0].LastText == "hello through the bridge"
	})
	srv.Push("+15550100", "m2", "own-chat", "", "carol", "hello on the network itself")
	eventually(t, "inbox --network groups by origin", func() bool {
		var wa, own []struct {
			Conv string `json:"conversation"`
		}
		json.Unmarshal([]byte(p.sb("", "inbox", "--json", "--network", "whatsapp")), &wa)
		json.Unmarshal([]byte(p.sb("", "inbox", "--json", "--network", "signinfake")), &own)
		return len(wa) == 1 && wa[0].Conv == "wa-chat" && len(own) == 1 && own[0].Conv == "own-chat"
	})

	// Revoked from another device: needs sign-in, and signing in again
	// through the running process (control socket) brings it back.
	srv.Revoke("+15550100")
	eventually(t, "needs sign-in after the revocation", func() bool { return p.accountState("phone").State == "needs-sign-in" })
	out = p.sb("24680\ntwo-step pw\n", "account", "signin", "phone", "--secret-stdin")
	if !strings.Contains(out, "Two-step password") {
		t.Fatalf("sign-in through the running process:\n%s", out)
	}
	eventually(t, "online again", func() bool { return p.accountState("phone").State == "online" })
}

func TestCLISignInWithoutAnswersSaysHow(t *testing.T) {
	srv, err := signinfake.Start(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	p := newProfile(t)
	p.bin = fakeBinary(t)
	_, errOut, code := p.try("", "account", "add", "signinfake", "phone", "--server", srv.Addr(), "--set", "phone=+15550100")
	if code == 0 || !strings.Contains(errOut, "--secret-stdin") {
		t.Fatalf("no terminal, no --secret-stdin: exit %d, %s", code, errOut)
	}
}

func TestNormalBuildHasNoSignInTestNetwork(t *testing.T) {
	p := newProfile(t)
	if out := p.sb("", "networks"); strings.Contains(out, "signinfake") {
		t.Fatalf("the test network is in a normal build:\n%s", out)
	}
}
