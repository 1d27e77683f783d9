#!/usr/bin/env bash
# PostgreSQL + pgvector for the tests and for local use, on Debian.
#
#   scripts/pg.sh install        install PostgreSQL if missing; build pgvector if the extension is absent
#   scripts/pg.sh run CMD…       start a throwaway cluster, run CMD with DATABASE_URL set, remove the cluster
#   scripts/pg.sh start [DIR]    start a persistent cluster in DIR (default ~/.local/share/triage/pg); prints DATABASE_URL
#   scripts/pg.sh stop [DIR]     stop it
#
# This Debian release (bookworm) has no pgvector binary package: the trixie
# suite is added as a *source-only* entry (deb-src; a binary entry would
# upgrade libc and half the system) and `apt-get source pgvector` is built
# against postgresql-server-dev-<major>. The cluster listens on 127.0.0.1 on
# a free port, trusts local connections, and is owned by the postgres user
# when run as root.
set -euo pipefail

PG_MAJOR="${PG_MAJOR:-15}"
PG_BIN="/usr/lib/postgresql/${PG_MAJOR}/bin"
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

log() { echo "pg.sh: $*" >&2; }


have_vector() {
	[ -f "$("$PG_BIN/pg_config" --sharedir 2>/dev/null)/extension/vector.control" ]
}

install() {
	if [ ! -x "$PG_BIN/initdb" ]; then
		log "installing postgresql-${PG_MAJOR}"
		apt_install "postgresql-${PG_MAJOR}" "postgresql-contrib"
	fi
	if have_vector; then
		return
	fi
	log "building pgvector from Debian trixie sources (about a minute)"
	if ! grep -rqs "trixie" /etc/apt/sources.list.d/ /etc/apt/sources.list; then
		$SUDO tee /etc/apt/sources.list.d/triage-trixie-src.sources >/dev/null <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt_updated=""
	fi
	apt_install "postgresql-server-dev-${PG_MAJOR}" build-essential dpkg-dev
	local src
	src="$(mktemp -d)"
	(
		cd "$src"
		apt-get source -qq pgvector >/dev/null 2>&1
		cd pgvector-*/
		# OPTFLAGS="": no -march=native, so the build runs on any x86-64.
		make -s PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" >/dev/null
		$SUDO make -s PG_CONFIG="$PG_BIN/pg_config" install >/dev/null
	)
	rm -rf "$src"
	have_vector || { log "pgvector did not install"; exit 1; }
	log "pgvector installed"
}

free_port() {
	local p
	for p in $(seq 54329 54429); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	log "no free port in 54329-54429"
	exit 1
}

as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

# start_cluster DIR: initialise (once) and start; sets DATABASE_URL.
start_cluster() {
	local dir="$1" port
	mkdir -p "$dir"
	if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$dir"; fi
	chmod 700 "$dir"
	if [ ! -f "$dir/PG_VERSION" ]; then
		as_owner "$PG_BIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
	fi
	port="$(free_port)"
	as_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60 \
		-o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=256MB -c maintenance_work_mem=512MB" start >/dev/null
	"$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U postgres -qAtc "SELECT 1 FROM pg_database WHERE datname='triage'" | grep -q 1 ||
		"$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U postgres triage
	echo "$port" >"$dir/port"
	export DATABASE_URL="postgres://postgres@127.0.0.1:${port}/triage?sslmode=disable"
}

stop_cluster() {
	local dir="$1"
	if [ -f "$dir/postmaster.pid" ]; then
		as_owner "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
	fi
}

cmd="${1:-}"
shift || true
case "$cmd" in
install)
	install
	;;
run)
	install
	dir="$(mktemp -d /tmp/triage-pg.XXXXXX)"
	trap 'stop_cluster "$dir"; rm -rf "$dir"' EXIT
	start_cluster "$dir"
	log "throwaway cluster at $DATABASE_URL"
	"$@"
	;;
start)
	install
	dir="${1:-$HOME/.local/share/triage/pg}"
	start_cluster "$dir"
	echo "export DATABASE_URL='$DATABASE_URL'"
	;;
stop)
	stop_cluster "${1:-$HOME/.local/share/triage/pg}"
	;;
*)
	echo "usage: scripts/pg.sh install | run CMD… | start [DIR] | stop [DIR]" >&2
	exit 2
	;;
esac
