#!/bin/sh
# Installs the Debian/Ubuntu packages Switchboard needs that are missing.
#   scripts/deps.sh build   what `make run` needs: a C compiler and Fyne's X11/GL headers
#   scripts/deps.sh test    plus the real servers and tools the tests start
# Uses sudo when not root. Does nothing when everything is present.
set -eu

build="gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev ca-certificates"
test="$build ngircd inspircd prosody lua-unbound lua-sec dovecot-imapd dovecot-lmtpd dovecot-submissiond gnome-keyring libsecret-tools dbus dbus-x11 xvfb xauth xdotool imagemagick x11-utils procps"

case "${1:-build}" in
  build) want=$build ;;
  test)  want=$test ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done

if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed. Install Go 1.24 or newer from https://go.dev/dl/ (or your distribution) and run this again." >&2
  exit 1
fi

[ -z "$missing" ] && exit 0

SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "Missing packages:$missing — run as root or install sudo." >&2; exit 1
  fi
fi
echo "Installing:$missing"
# In containers a policy-rc.d keeps apt from starting the system daemons;
# on a host with systemd, the test servers use their own ports anyway.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing || {
  $SUDO apt-get update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
}
