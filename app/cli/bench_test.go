package cli_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"switchboard/internal/testenv/ircd"
)

// BenchmarkRunResidentMemory: resident memory of `switchboard run` with
// five connected IRC accounts, each in two channels, after it settles.
func BenchmarkRunResidentMemory(b *testing.B) {
	srv := ircd.StartInspircd(b, ircd.Options{})
	for i := 0; i < b.N; i++ {
		p := newProfile(b)
		for a := 0; a < 5; a++ {
			p.sb("", "account", "add", "irc", fmt.Sprintf("acct%d", a), "--server", srv.Addr,
				"--nick", fmt.Sprintf("mem%d_%d", i, a), "--tls=false", "--join", "#mem,#other")
		}
		watcher := ircd.Connect(b, srv.Addr, fmt.Sprintf("watch%d", i), ircd.ClientOptions{})
		watcher.Join("#mem", 10*time.Second)
		cmd := exec.Command(p.bin, "run")
		cmd.Env = p.env
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		joined := 0
		for joined < 5 {
			if _, err := watcher.WaitFor(60*time.Second, func(l ircd.Line) bool { return l.Command == "JOIN" && strings.HasPrefix(l.Nick(), "mem") }); err != nil {
				b.Fatalf("only %d accounts joined: %v", joined, err)
			}
			joined++
		}
		time.Sleep(3 * time.Second) // let it settle
		rss := vmRSS(b, cmd.Process.Pid)
		cmd.Process.Signal(syscall.SIGINT)
		cmd.Wait()
		watcher.Close()
		b.ReportMetric(rss, "MB-rss")
	}
}

func vmRSS(b *testing.B, pid int) float64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
