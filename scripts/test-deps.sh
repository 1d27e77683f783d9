#!/usr/bin/env bash
# Installs what the test suite needs beyond Go, on Debian, when missing:
# - chromium, to check that eval's HTML report renders (headless);
# - PostgreSQL with pgvector (scripts/pg.sh install).
# Idempotent and quick when everything is present. Needs root (or sudo)
# only when something must be installed.
set -euo pipefail

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
	echo "test-deps: installing chromium (headless report rendering test)"
	apt_install chromium
fi

"$(dirname "$0")/pg.sh" install
