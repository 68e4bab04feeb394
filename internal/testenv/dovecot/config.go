package dovecot

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"
)

// procUsers are the system users Dovecot runs its processes as. Dovecot
// refuses to run login processes as root and refuses mail uid 0, so as root
// the packaged users dovecot/dovenull are used; as any other user, that user.
type procUsers struct {
	internalUser, internalGroup string
	loginUser                   string
	mailUser, mailGroup         string
	mailUID, mailGID            int // for chown of files we write as root; -1 = leave
}

func lookupProcUsers() (procUsers, error) {
	if os.Geteuid() != 0 {
		u, err := user.Current()
		if err != nil {
			return procUsers{}, fmt.Errorf("dovecot: current user: %w", err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			return procUsers{}, fmt.Errorf("dovecot: current group: %w", err)
		}
		return procUsers{u.Username, g.Name, u.Username, u.Username, g.Name, -1, -1}, nil
	}
	du, err := user.Lookup("dovecot")
	if err != nil {
		return procUsers{}, fmt.Errorf("dovecot: system user 'dovecot' missing (install dovecot-core): %w", err)
	}
	if _, err := user.Lookup("dovenull"); err != nil {
		return procUsers{}, fmt.Errorf("dovecot: system user 'dovenull' missing (install dovecot-core): %w", err)
	}
	g, err := user.LookupGroupId(du.Gid)
	if err != nil {
		return procUsers{}, fmt.Errorf("dovecot: group of 'dovecot': %w", err)
	}
	uid, _ := strconv.Atoi(du.Uid)
	gid, _ := strconv.Atoi(du.Gid)
	return procUsers{"dovecot", g.Name, "dovenull", "dovecot", g.Name, uid, gid}, nil
}

type confParams struct {
	dir, runDir          string
	imap, imaps, lmtp    int
	users                procUsers
	idleCheckIntervalSec int
}

// renderConfig writes the whole configuration; nothing is read from /etc.
func renderConfig(p confParams) string {
	r := strings.NewReplacer(
		"$T", p.dir,
		"$RUN", p.runDir,
		"$IMAPS", strconv.Itoa(p.imaps),
		"$IMAP", strconv.Itoa(p.imap),
		"$LMTP", strconv.Itoa(p.lmtp),
		"$IU", p.users.internalUser,
		"$IG", p.users.internalGroup,
		"$LU", p.users.loginUser,
		"$MU", p.users.mailUser,
		"$MG", p.users.mailGroup,
	)
	return r.Replace(configTemplate)
}

const configTemplate = `protocols = imap lmtp
listen = 127.0.0.1
base_dir = $RUN
state_dir = $T/state
instance_name = dovecot-switchboard-test
log_path = /dev/stderr
info_log_path = /dev/stderr
auth_verbose = yes
default_internal_user = $IU
default_internal_group = $IG
default_login_user = $LU
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:$T/mail/%u/Maildir
mailbox_idle_check_interval = 1 secs
auth_mechanisms = plain login
disable_plaintext_auth = no
ssl = yes
ssl_cert = <$T/cert.pem
ssl_key = <$T/key.pem
ssl_dh =
ssl_min_protocol = TLSv1.2
hostname = localhost
postmaster_address = postmaster@localhost

namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $T/users
}
userdb {
  driver = static
  args = uid=$MU gid=$MG home=$T/mail/%u allow_all_users=no
}

service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS
    ssl = yes
  }
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = $LMTP
  }
}
service anvil {
  chroot =
}
`
