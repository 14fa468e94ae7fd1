#!/bin/sh
# Install what a fresh Debian 12 lacks (as root), then bootstrap and configure.
# Extra arguments go to ./configure.
set -e
cd "$(dirname "$0")"
missing=""
for p in $(sed -e 's/#.*//' packages.txt); do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" = 0 ]; then
		echo "autogen.sh: installing:$missing"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
	else
		echo "autogen.sh: missing Debian packages:$missing" >&2
		echo "autogen.sh: run as root, or: sudo apt-get install$missing" >&2
		exit 1
	fi
fi
mkdir -p build-aux m4
cp -f /usr/share/automake-1.16/tap-driver.sh build-aux/tap-driver.sh
autoreconf -fi
if [ "${PT_NO_CONFIGURE:-}" = 1 ]; then exit 0; fi
./configure "$@"
