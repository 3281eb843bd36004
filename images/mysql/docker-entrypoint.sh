#!/bin/bash
# Entrypoint of cdc-local/mysql: MariaDB behind the conventions of the official mysql:8.0 image.
#
#   docker run ... cdc-local/mysql:local                      # runs mysqld
#   docker run ... cdc-local/mysql:local --log-bin=mysql-bin  # arguments starting with "-" go to mysqld
#
# First start (no "mysql" folder in the datadir): initialise it, set the root password
# (MYSQL_ROOT_PASSWORD, or MYSQL_ALLOW_EMPTY_PASSWORD, or MYSQL_RANDOM_ROOT_PASSWORD), create
# root@MYSQL_ROOT_HOST (default %), MYSQL_DATABASE and MYSQL_USER/MYSQL_PASSWORD (all privileges on
# MYSQL_DATABASE), run /docker-entrypoint-initdb.d/*.sh (executed if executable, else sourced) and
# *.sql, *.sql.gz, *.sql.xz, *.sql.zst (against MYSQL_DATABASE) in name order on a temporary server
# that has no network, then stop it. Every variable also has a *_FILE form (e.g. MYSQL_PASSWORD_FILE).
# Then the server runs in the foreground as user mysql, replacing this script (PID 1).
set -eo pipefail
shopt -s nullglob

log()   { printf '%s [Note] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*"; }
warn()  { printf '%s [Warn] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; }
error() { printf '%s [ERROR] [Entrypoint]: %s\n' "$(date --rfc-3339=seconds)" "$*" >&2; exit 1; }

# file_env VAR [DEFAULT]: VAR from $VAR or from the file named by $VAR_FILE (not both)
file_env() {
    local var="$1" file_var="${1}_FILE" def="${2:-}"
    if [ "${!var:-}" ] && [ "${!file_var:-}" ]; then
        error "both $var and $file_var are set (but are exclusive)"
    fi
    local val="$def"
    if [ "${!var:-}" ]; then
        val="${!var}"
    elif [ "${!file_var:-}" ]; then
        val="$(< "${!file_var}")"
    fi
    export "$var"="$val"
    unset "$file_var"
}

# SQL literals: 'string' with \ and ' escaped; `identifier` with ` doubled
sql_str()   { local s="$1"; s="${s//\\/\\\\}"; s="${s//\'/\\\'}"; printf "'%s'" "$s"; }
sql_ident() { local s="$1"; s="${s//\`/\`\`}"; printf '`%s`' "$s"; }

is_server() { case "$1" in mysqld|mariadbd|/usr/sbin/mysqld|/usr/sbin/mariadbd) return 0 ;; esac; return 1; }

wants_help() {
    local arg
    for arg; do
        case "$arg" in -'?'|--help|--print-defaults|-V|--version) return 0 ;; esac
    done
    return 1
}

# server_setting NAME SERVER [ARGS]: the server's effective setting (datadir, socket) from its config
server_setting() {
    local name="$1"; shift
    # awk reads all the output (no early exit: SIGPIPE would fail the pipeline under pipefail)
    "$@" --verbose --help 2>/dev/null | awk -v name="$name" '$1 == name && NF == 2 && !found { print $2; found = 1 }' || true
}

client_passfile() {
    # [client] option file with the root password (for the temporary server's clients)
    local pw="${MYSQL_ROOT_PASSWORD//\\/\\\\}"
    pw="${pw//\"/\\\"}"
    printf '[client]\npassword="%s"\n' "$pw"
}

# sql [--dont-use-mysql-root-password] [--database=DB] : run SQL from stdin as root on the temp server
sql() {
    local use_pw=1
    if [ "${1:-}" = --dont-use-mysql-root-password ]; then use_pw=""; shift; fi
    if [ -n "$use_pw" ] && [ -n "$MYSQL_ROOT_PASSWORD" ]; then
        mysql --defaults-extra-file=<(client_passfile) --protocol=socket --socket="$SOCKET" -uroot -hlocalhost \
              --comments "$@"
    else
        mysql --protocol=socket --socket="$SOCKET" -uroot -hlocalhost --comments "$@"
    fi
}

temp_pid=""
stop_temp_server() {
    [ -n "$temp_pid" ] || return 0
    if kill -0 "$temp_pid" 2>/dev/null; then
        if [ -n "${root_password_set:-}" ] && [ -n "$MYSQL_ROOT_PASSWORD" ]; then
            mysqladmin --defaults-extra-file=<(client_passfile) --protocol=socket --socket="$SOCKET" -uroot shutdown 2>/dev/null || kill -TERM "$temp_pid" 2>/dev/null || true
        else
            mysqladmin --protocol=socket --socket="$SOCKET" -uroot shutdown 2>/dev/null || kill -TERM "$temp_pid" 2>/dev/null || true
        fi
        local i
        for ((i = 0; i < 120; i++)); do   # at most 60 s
            kill -0 "$temp_pid" 2>/dev/null || break
            sleep 0.5
        done
        if kill -0 "$temp_pid" 2>/dev/null; then
            warn "temporary server did not stop within 60 s; killing it"
            kill -KILL "$temp_pid" 2>/dev/null || true
        fi
    fi
    wait "$temp_pid" 2>/dev/null || true
    temp_pid=""
}

initialise() {
    file_env MYSQL_ROOT_PASSWORD
    file_env MYSQL_ALLOW_EMPTY_PASSWORD
    file_env MYSQL_RANDOM_ROOT_PASSWORD
    file_env MYSQL_ROOT_HOST '%'
    file_env MYSQL_DATABASE
    file_env MYSQL_USER
    file_env MYSQL_PASSWORD
    file_env MYSQL_ONETIME_PASSWORD

    if [ -z "$MYSQL_ROOT_PASSWORD" ] && [ -z "$MYSQL_ALLOW_EMPTY_PASSWORD" ] && [ -z "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
        error $'Database is uninitialized and password option is not specified\n\tYou need to specify one of the following as an environment variable:\n\t- MYSQL_ROOT_PASSWORD\n\t- MYSQL_ALLOW_EMPTY_PASSWORD\n\t- MYSQL_RANDOM_ROOT_PASSWORD'
    fi
    if [ "$MYSQL_USER" = root ]; then
        error "MYSQL_USER=\"root\": MYSQL_USER and MYSQL_PASSWORD are for configuring a regular user and cannot be used for the root user"
    fi
    if [ -n "$MYSQL_USER" ] && [ -z "$MYSQL_PASSWORD" ]; then
        warn "MYSQL_USER specified, but missing MYSQL_PASSWORD; MYSQL_USER will not be created"
    fi

    log "Initializing database files in $DATADIR"
    mkdir -p "$DATADIR"
    # server arguments (e.g. --log-bin) reach the bootstrap too; the binary log stays off for it
    mariadb-install-db --datadir="$DATADIR" --rpm --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve "${@:2}" --skip-log-bin --default-time-zone=SYSTEM \
        > /dev/null || error "mariadb-install-db failed"
    log "Database files initialized"

    log "Starting temporary server"
    trap 'stop_temp_server; exit 143' TERM INT
    "$@" --skip-networking --socket="$SOCKET" --default-time-zone=SYSTEM --skip-slave-start &
    temp_pid=$!
    local i
    for ((i = 0; i < 120; i++)); do   # at most 60 s
        if ! kill -0 "$temp_pid" 2>/dev/null; then
            temp_pid=""
            error "the temporary server exited during startup (see the server messages above)"
        fi
        if mysqladmin --protocol=socket --socket="$SOCKET" -uroot ping --silent >/dev/null 2>&1; then
            break
        fi
        sleep 0.5
    done
    [ "$i" -lt 120 ] || { stop_temp_server; error "the temporary server did not answer within 60 s"; }
    log "Temporary server started"

    if [ -n "$MYSQL_RANDOM_ROOT_PASSWORD" ]; then
        MYSQL_ROOT_PASSWORD="$(head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 32)"
        export MYSQL_ROOT_PASSWORD
        log "GENERATED ROOT PASSWORD: $MYSQL_ROOT_PASSWORD"
    fi

    # users created by mariadb-install-db other than root@localhost (and MariaDB's system user)
    local drop="" user
    while IFS= read -r user; do
        [ -n "$user" ] && drop+="DROP USER IF EXISTS $user;"$'\n'
    done < <(sql --dont-use-mysql-root-password -N -B -e \
        "SELECT CONCAT(QUOTE(User), '@', QUOTE(Host)) FROM mysql.user WHERE NOT (User = 'root' AND Host = 'localhost') AND User <> 'mariadb.sys'")

    local root_create=""
    if [ -n "$MYSQL_ROOT_HOST" ] && [ "$MYSQL_ROOT_HOST" != localhost ]; then
        root_create="CREATE USER 'root'@$(sql_str "$MYSQL_ROOT_HOST") IDENTIFIED BY $(sql_str "$MYSQL_ROOT_PASSWORD");
GRANT ALL ON *.* TO 'root'@$(sql_str "$MYSQL_ROOT_HOST") WITH GRANT OPTION;
GRANT PROXY ON ''@'%' TO 'root'@$(sql_str "$MYSQL_ROOT_HOST") WITH GRANT OPTION;"
    fi
    printf '%s\n' "SET @@SESSION.SQL_LOG_BIN=0;" "$drop" \
        "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_str "$MYSQL_ROOT_PASSWORD");" \
        "$root_create" "FLUSH PRIVILEGES;" | sql --dont-use-mysql-root-password --binary-mode
    root_password_set=1

    if [ -n "$MYSQL_DATABASE" ]; then
        log "Creating database $MYSQL_DATABASE"
        echo "CREATE DATABASE IF NOT EXISTS $(sql_ident "$MYSQL_DATABASE");" | sql
    fi
    if [ -n "$MYSQL_USER" ] && [ -n "$MYSQL_PASSWORD" ]; then
        log "Creating user $MYSQL_USER"
        {
            echo "SET @@SESSION.SQL_LOG_BIN=0;"
            echo "CREATE USER $(sql_str "$MYSQL_USER")@'%' IDENTIFIED BY $(sql_str "$MYSQL_PASSWORD");"
            if [ -n "$MYSQL_DATABASE" ]; then
                log "Giving user $MYSQL_USER access to schema $MYSQL_DATABASE" >&2
                echo "GRANT ALL ON $(sql_ident "${MYSQL_DATABASE//_/\\_}").* TO $(sql_str "$MYSQL_USER")@'%';"
            fi
            echo "FLUSH PRIVILEGES;"
        } | sql
    fi

    echo
    local f db_args=()
    [ -z "$MYSQL_DATABASE" ] || db_args=(--database="$MYSQL_DATABASE")
    for f in /docker-entrypoint-initdb.d/*; do
        case "$f" in
            *.sh)
                if [ -x "$f" ]; then
                    log "$0: running $f"; "$f"
                else
                    log "$0: sourcing $f"; . "$f"
                fi
                ;;
            *.sql)     log "$0: running $f"; sql "${db_args[@]}" < "$f" ;;
            *.sql.bz2) log "$0: running $f"; bunzip2 -c "$f" | sql "${db_args[@]}" ;;
            *.sql.gz)  log "$0: running $f"; gunzip -c "$f" | sql "${db_args[@]}" ;;
            *.sql.xz)  log "$0: running $f"; xzcat "$f" | sql "${db_args[@]}" ;;
            *.sql.zst) log "$0: running $f"; zstd -dc "$f" | sql "${db_args[@]}" ;;
            *)         log "$0: ignoring $f" ;;
        esac
        echo
    done

    if [ -n "$MYSQL_ONETIME_PASSWORD" ] && [ -n "$root_create" ]; then
        echo "ALTER USER 'root'@$(sql_str "$MYSQL_ROOT_HOST") PASSWORD EXPIRE;" | sql
    fi

    log "Stopping temporary server"
    stop_temp_server
    trap - TERM INT
    log "MySQL init process done. Ready for start up."
    echo
}

# arguments that start with "-" are options of the server
if [ "${1:0:1}" = '-' ]; then
    set -- mysqld "$@"
fi

if is_server "$1" && ! wants_help "$@"; then
    DATADIR="$(server_setting datadir "$@")"; DATADIR="${DATADIR%/}"
    SOCKET="$(server_setting socket "$@")"
    DATADIR="${DATADIR:-/var/lib/mysql}"
    SOCKET="${SOCKET:-/run/mysqld/mysqld.sock}"

    if [ "$(id -u)" = 0 ]; then
        # like the official image: fix ownership, then run this script again as mysql
        mkdir -p "$DATADIR" "$(dirname "$SOCKET")"
        find "$DATADIR" "$(dirname "$SOCKET")" \! -user mysql -exec chown mysql:mysql '{}' + 2>/dev/null || true
        log "Switching to dedicated user 'mysql'"
        exec setpriv --reuid=mysql --regid=mysql --init-groups "$BASH_SOURCE" "$@"
    fi

    if [ ! -d "$DATADIR/mysql" ]; then
        initialise "$@"
    fi
    log "Starting the server: $*"
fi

exec "$@"
