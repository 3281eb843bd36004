# Helpers for the tiny images (alertmanager, prometheus): a root file system made of files taken
# from Debian packages, like the upstream images made of a Go binary on quay.io/prometheus/busybox.
# Sourced by images/<name>/prepare; needs apt-get (download only), dpkg-deb and ldd on the host.

tiny_fail() { echo "[${IMAGE_NAME:-tiny}] ERROR: $*" >&2; exit 1; }

# read_packages FILE: package names, one a line, # comments
read_packages() { sed -e 's/#.*//' -e 's/[[:space:]]//g' "$1" | grep -v '^$'; }

# fetch_debs DIR PACKAGE...: apt-get download (the candidate versions of the machine's apt sources)
fetch_debs() {
    local dir="$1"; shift
    mkdir -p "$dir"
    chmod 777 "$dir" 2>/dev/null || true   # lets apt's sandbox user write there
    if ! (cd "$dir" && apt-get download -q "$@" > "$dir/download.log" 2>&1); then
        local p
        for p in "$@"; do
            (cd "$dir" && apt-get download -q "$p" >> "$dir/download.log" 2>&1) \
                || { tail -n 5 "$dir/download.log" >&2; tiny_fail "apt-get download failed for package '$p'"; }
        done
    fi
}

# extract_debs DIR ROOT: unpack every .deb of DIR into ROOT
extract_debs() {
    local deb
    mkdir -p "$2"
    for deb in "$1"/*.deb; do
        dpkg-deb -x "$deb" "$2" || tiny_fail "dpkg-deb -x failed for $(basename "$deb")"
    done
}

# skeleton ROOTFS: /etc/passwd, /etc/group (root, nobody), nsswitch, /tmp, like the busybox base
skeleton() {
    local r="$1"
    mkdir -p "$r"/{bin,etc,tmp,root,home,var,usr/share} "$r/var/tmp"
    chmod 1777 "$r/tmp" "$r/var/tmp"
    cat > "$r/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
PASSWD
    cat > "$r/etc/group" <<'GROUP'
root:x:0:
daemon:x:1:
nogroup:x:65534:
nobody:x:65534:
GROUP
    printf 'hosts: files dns\nnetworks: files\n' > "$r/etc/nsswitch.conf"
}

# install_busybox ROOTFS PKGROOT: Debian's static busybox as /bin/busybox plus a link per applet
# (sh, wget for the healthchecks, ...)
install_busybox() {
    local r="$1" src="$2/bin/busybox" applet
    [ -x "$src" ] || tiny_fail "busybox-static did not provide /bin/busybox"
    cp "$src" "$r/bin/busybox"
    for applet in $("$r/bin/busybox" --list); do
        [ "$applet" = busybox ] || [ -e "$r/bin/$applet" ] || ln -s busybox "$r/bin/$applet"
    done
    local help
    help="$("$r/bin/busybox" wget --help 2>&1 || true)"   # no early-exiting grep in a pipe: SIGPIPE + pipefail
    case "$help" in *--spider*) ;; *) tiny_fail "this busybox has no 'wget --spider'" ;; esac
}

# install_libs ROOTFS PKGROOT BINARY...: the shared libraries the binaries load (per ldd), taken
# from the extracted Debian packages (libc6) at the same paths; symlinks are kept with their targets
install_libs() {
    local r="$1" pkgroot="$2"; shift 2
    local bin lib
    for bin in "$@"; do
        ldd "$bin" >/dev/null 2>&1 || continue    # static: nothing to add
        for lib in $(ldd "$bin" | awk '/=>/ { print $3; next } /^[[:space:]]*\// { print $1 }'); do
            copy_from_pkgroot "$r" "$pkgroot" "$lib"
        done
    done
}

copy_from_pkgroot() {
    local r="$1" pkgroot="$2" path="$3" target
    [ -e "$r$path" ] && return 0
    local found="$pkgroot$path"
    if [ ! -e "$found" ] && [ ! -L "$found" ]; then
        # merged /usr on the host: /lib/... may be /usr/lib/... in the package, and the reverse
        case "$path" in
            /usr/*) found="$pkgroot${path#/usr}" ;;
            *)      found="$pkgroot/usr$path" ;;
        esac
        [ -e "$found" ] || [ -L "$found" ] || tiny_fail "library $path is in none of the packages (add its package to 'packages')"
        path="${found#"$pkgroot"}"
    fi
    mkdir -p "$r$(dirname "$path")"
    cp -a "$found" "$r$path"
    if [ -L "$found" ]; then
        target="$(readlink "$found")"
        case "$target" in
            /*) copy_from_pkgroot "$r" "$pkgroot" "$target" ;;
            *)  copy_from_pkgroot "$r" "$pkgroot" "$(realpath -s -m "$(dirname "$path")/$target")" ;;
        esac
    fi
}

# write_labels STAGE DEBDIR: "cdc-local.packages=name=version ..." of the downloaded packages
write_labels() {
    local stage="$1" debdir="$2" deb list=""
    for deb in "$debdir"/*.deb; do
        list+="$(dpkg-deb -f "$deb" Package)=$(dpkg-deb -f "$deb" Version) "
    done
    echo "cdc-local.packages=${list% }" >> "$stage/labels"
}
