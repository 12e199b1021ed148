#!/usr/bin/env bash
# A private MariaDB for tests and the local runner: own datadir, socket and port under DIR,
# no system service, root over TCP with a password. Reuses a running one; survives a previous
# kill -9 (stale pid file or socket, a zombie).
#
#   tests/lib/mariadb.sh start DIR PORT   -> prints nothing; server ready on 127.0.0.1:PORT
#   tests/lib/mariadb.sh stop DIR
#   tests/lib/mariadb.sh status DIR
# The root password is in DIR/root.password (mode 0600), generated on first start.
set -euo pipefail

cmd=${1:?start|stop|status}
dir=${2:?DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data=$dir/data
sock=$dir/mysqld.sock
pidf=$dir/mysqld.pid
log=$dir/mysqld.err

alive() {
  # A killed server can linger as a zombie: kill -0 succeeds on it (STACK_NOTES.md).
  [ -f "$pidf" ] || return 1
  local pid
  pid=$(cat "$pidf" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  local state
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$state" != "Z" ] && [ "$state" != "X" ]
}

ping_ok() {
  mariadb-admin --no-defaults --protocol=socket --socket="$sock" -uroot \
    --password="$(cat "$dir/root.password")" ping >/dev/null 2>&1
}

case "$cmd" in
  start)
    port=${3:?PORT}
    if alive && ping_ok; then
      exit 0
    fi
    if alive; then
      # Running but not answering: give it a moment, then replace it.
      for _ in $(seq 1 50); do ping_ok && exit 0; sleep 0.2; done
      kill -9 "$(cat "$pidf")" 2>/dev/null || true
      sleep 0.5
    fi
    rm -f "$pidf" "$sock" "$sock.lock"
    if [ ! -d "$data/mysql" ]; then
      rm -rf "$data"
      mkdir -p "$data"
      mariadb-install-db --no-defaults --datadir="$data" --user=root \
        --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
        --innodb-log-file-size=8M >"$dir/install.log" 2>&1
      rm -f "$dir/root.password"
    fi
    mkdir -p "$dir/tmp"
    mariadbd --no-defaults --user=root --datadir="$data" --socket="$sock" --port="$port" \
      --bind-address=127.0.0.1 --pid-file="$pidf" --log-error="$log" --tmpdir="$dir/tmp" \
      --skip-name-resolve --innodb-buffer-pool-size=${WXRECON_DB_BUFFER_POOL:-128M} \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
      --default-time-zone=${WXRECON_DB_TIME_ZONE:-+00:00} --skip-log-bin \
      --innodb-flush-log-at-trx-commit=${WXRECON_DB_FLUSH:-2} --max-connections=500 \
      >/dev/null 2>&1 &
    # Up to 120 s (crash recovery on a machine busy with builds can be slow); fails at once,
    # with mariadbd's last log lines, when mariadbd exits.
    mariadbd_pid=$!
    for _ in $(seq 1 600); do
      if ! kill -0 "$mariadbd_pid" 2>/dev/null; then
        # It gave up (a port already taken, a bad datadir): say why instead of failing on the
        # first client that cannot connect.
        echo "mariadb.sh: mariadbd in $dir exited while starting (port $port); last log lines:" >&2
        tail -20 "$log" >&2 || true
        exit 1
      fi
      if [ -S "$sock" ] && mariadb-admin --no-defaults --protocol=socket --socket="$sock" -uroot \
          ping >/dev/null 2>&1; then
        break
      fi
      if [ -f "$dir/root.password" ] && ping_ok; then break; fi
      sleep 0.2
    done
    if [ ! -f "$dir/root.password" ]; then
      # First start: root has no password yet; give it one (TCP clients need it).
      pw=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 24)
      umask 077
      mariadb --no-defaults --protocol=socket --socket="$sock" -uroot -e \
        "ALTER USER 'root'@'localhost' IDENTIFIED BY '$pw';
         CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
         ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$pw';
         GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
         FLUSH PRIVILEGES;"
      printf '%s' "$pw" >"$dir/root.password"
    fi
    if ! ping_ok; then
      echo "mariadb.sh: MariaDB in $dir did not start; last log lines:" >&2
      tail -20 "$log" >&2 || true
      exit 1
    fi
    ;;
  stop)
    if alive; then
      pid=$(cat "$pidf")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do alive || break; sleep 0.1; done
      alive && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$pidf" "$sock"
    ;;
  status)
    if alive && ping_ok; then echo running; else echo stopped; exit 1; fi
    ;;
  *)
    echo "usage: $0 start DIR PORT | stop DIR | status DIR" >&2
    exit 2
    ;;
esac
