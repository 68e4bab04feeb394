package prosody

import "syscall"

// procAttr puts prosody in its own process group and has the kernel kill
// it if the test process dies without cleaning up (a timed-out test).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
