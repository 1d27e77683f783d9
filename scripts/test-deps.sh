#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, on Debian, when missing:
# - chromium, to check that eval's HTML report renders (headless);
# - PostgreSQL with pgvector (scripts/pg.sh install).
# Idempotent and quick when everything is present. Needs root (or sudo)
# only when something must be installed.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
	if [ -z "$apt_updated" ]; then
		$SUDO apt-get update -qq
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	echo "test-deps: installing chromium (headless report rendering test)"
	apt_install chromium
fi

"$(dirname "$0")/pg.sh" install
