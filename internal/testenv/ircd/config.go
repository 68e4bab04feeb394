package ircd

import (
	"fmt"
	"strings"
)

// ngircdConfig is TESTENV.md §1 with our ports and paths. DNS, Ident and PAM
// are off so registration is instant.
func ngircdConfig(dir string, port, tlsPort int, opts Options) string {
	var b strings.Builder
	fmt.Fprintf(&b, `[Global]
	Name = irc.test.local
	Info = Switchboard test server
	Listen = 127.0.0.1
	Ports = %d
	MotdPhrase = test server
	PidFile = %s/ngircd.pid
	AdminInfo1 = test
	AdminInfo2 = test
	AdminEMail = test@localhost
`, port, dir)
	if opts.Password != "" {
		fmt.Fprintf(&b, "\tPassword = %s\n", opts.Password)
	}
	fmt.Fprintf(&b, `
[Limits]
	PingTimeout = 120
	PongTimeout = 20
	MaxConnectionsIP = 0
	MaxJoins = 0
	MaxNickLength = 30

[Options]
	DNS = no
	Ident = no
	PAM = no
	RequireAuthPing = no

[SSL]
	CertFile = %[1]s/cert.pem
	KeyFile = %[1]s/key.pem
	DHFile = %[1]s/dhparams.pem
	Ports = %[2]d

[Operator]
	Name = admin
	Password = adminpass
`, dir, tlsPort)
	return b.String()
}

// inspircdConfig is TESTENV.md §2 with our ports and paths, plus the modules
// the connector's tests need: botmode (+B), silence and chanhistory. The
// flood limits are raised for benchmarks: threshold is in commands (1,000
// penalty each), commandrate in thousandths of a command per second, and
// recvq/hardsendq must hold a flood of 10,000 lines.
func inspircdConfig(dir string, port, tlsPort int, opts Options) string {
	pass := ""
	if opts.Password != "" {
		pass = fmt.Sprintf(` password="%s" hash="plaintext"`, opts.Password)
	}
	return fmt.Sprintf(`<path configdir="%[1]s" datadir="%[1]s/data" logdir="%[1]s/logs" moduledir="/usr/lib/inspircd/modules">
<server name="irc.test.local" description="Switchboard test server" network="TestNet">
<admin name="test" nick="test" email="test@localhost">

<bind address="127.0.0.1" port="%[2]d" type="clients">
<bind address="127.0.0.1" port="%[3]d" type="clients" sslprofile="Clients">

<module name="ssl_gnutls">
<sslprofile name="Clients" provider="gnutls"
            certfile="%[1]s/cert.pem" keyfile="%[1]s/key.pem" dhfile=""
            hash="sha256" priority="NORMAL" requestclientcert="no">

<connect name="main" allow="*" timeout="60" pingfreq="120"
         hardsendq="4194304" softsendq="65536" recvq="4194304"
         threshold="1000000" commandrate="1000000000" fakelag="no"
         localmax="1000" globalmax="1000" maxchans="100"
         useident="no" resolvehostnames="no" limit="5000"%[4]s>

<files motd="%[1]s/motd.txt">
<pid file="%[1]s/data/inspircd.pid">
<dns timeout="1">
<log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="%[1]s/logs/ircd.log">
<options prefixquit="Quit: " syntaxhints="no" announcets="yes" hostintopic="yes" pingwarning="15" splitwhois="no" exemptchanops="">
<security hideserver="" userstats="Pu" customversion="" flatlinks="no" hidesplits="no" hideulines="no" hidebans="no" maxtargets="20">
<performance quietbursts="yes" softlimit="1024" somaxconn="128" netbuffersize="10240">
<whowas groupsize="10" maxgroups="100000" maxkeep="3d">
<channels users="100" opers="100">
<class name="All" commands="*" privs="*" usermodes="*" chanmodes="*" snomasks="*">
<type name="NetAdmin" classes="All" host="netadmin.test.local">
<oper name="admin" password="adminpass" host="*@127.0.0.1" type="NetAdmin">

<module name="cap">
<module name="ircv3">
<ircv3 accountnotify="yes" awaynotify="yes" extendedjoin="yes">
<module name="ircv3_accounttag">
<module name="ircv3_batch">
<module name="ircv3_capnotify">
<module name="ircv3_chghost">
<module name="ircv3_ctctags">
<module name="ircv3_echomessage">
<module name="ircv3_invitenotify">
<module name="ircv3_labeledresponse">
<module name="ircv3_msgid">
<module name="ircv3_servertime">
<module name="setname">
<module name="monitor">
<module name="namesx">
<module name="uhnames">
<module name="services_account">
<module name="botmode">
<module name="silence">
<module name="chanhistory">
<chanhistory maxlines="50" notice="yes" bots="yes">
`, dir, port, tlsPort, pass)
}
