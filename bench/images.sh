#!/usr/bin/env bash
# Benchmark scripts/build-images: a first build from nothing, then cached rebuilds.
#
#   bench/images.sh            # RUNS=3 cached rebuilds (median reported)
#   RUNS=5 bench/images.sh
#
# 1. removes every cdc-local/* image and the build scratch folder (refuses when a container still
#    uses a cdc-local image: stop it first);
# 2. times `scripts/build-images` from nothing (debootstrap, apt downloads, docker builds);
# 3. times RUNS cached runs of `scripts/build-images` and takes the median;
# 4. lists the image sizes;
# and writes the figures to bench/images-results.md (the machine's apt lists are kept: they are
# the machine's, not the build's).
set -euo pipefail

cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
build_dir="${CDC_LOCAL_BUILD_DIR:-/var/tmp/cdc-local-build}"
out="bench/images-results.md"
log="$(mktemp /tmp/bench-images.XXXXXX)"
trap 'rm -f "$log"' EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

scripts/ensure-docker

mapfile -t refs < <(docker image ls --filter 'reference=cdc-local/*' --format '{{.Repository}}:{{.Tag}}')
if [ "${#refs[@]}" -gt 0 ]; then
    ids="$(docker image ls --filter 'reference=cdc-local/*' -q | sort -u)"
    for id in $ids; do
        users="$(docker ps -a --filter "ancestor=$id" --format '{{.Names}}')"
        if [ -n "$users" ]; then
            echo "bench/images.sh: containers still use cdc-local images: $users (remove them first)" >&2
            exit 1
        fi
    done
    echo "removing ${#refs[@]} cdc-local image tag(s)"
    docker rmi "${refs[@]}" > /dev/null
fi
rm -rf "$build_dir"

echo "== first build from nothing"
t0="$(now)"
scripts/build-images 2>&1 | tee "$log"
first="$(elapsed "$t0" "$(now)")"
echo "first build: ${first} s"

cached=()
for ((i = 1; i <= runs; i++)); do
    t0="$(now)"
    scripts/build-images > /dev/null
    cached+=("$(elapsed "$t0" "$(now)")")
done
median="$(printf '%s\n' "${cached[@]}" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')"
echo "cached rebuilds: ${cached[*]} s (median ${median} s)"

size_mb() { docker image inspect --format '{{.Size}}' "$1" | awk '{ printf "%.0f", $1 / 1000000 }'; }
step_time() { sed -n "s/^\[$1\] built .* in \([0-9.]*\) s$/\1/p" "$log" | tail -n 1; }

{
    echo "# Local images: build timings and sizes"
    echo
    echo "Measured by \`bench/images.sh\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM,"
    echo "Docker engine $(docker version --format '{{.Server.Version}}'), pyspark $(awk '/^pyspark / { print $2; exit }' "$log"))."
    echo "The first build starts with no cdc-local image and no build scratch space (the machine's apt"
    echo "lists are kept); the cached rebuild is \`scripts/build-images\` with nothing changed."
    echo
    echo "| measure | value |"
    echo "| --- | ---: |"
    echo "| first build from nothing (all 5 images) | ${first} s |"
    echo "| cached rebuild, median of ${runs} | ${median} s |"
    echo "| cached rebuild runs | $(printf '%s s, ' "${cached[@]}" | sed 's/, $//') |"
    echo
    echo "| image | build step in the first build | size |"
    echo "| --- | ---: | ---: |"
    for name in debian-base alertmanager prometheus spark mysql; do
        echo "| \`cdc-local/$name:local\` | $(step_time "$name") s | $(size_mb "cdc-local/$name:local") MB |"
    done
    echo
    echo "Images build in parallel where they can (alertmanager and prometheus beside debian-base;"
    echo "spark and mysql after it), so the steps add up to more than the total. Sizes are those"
    echo "\`docker image inspect\` reports; spark and mysql share the debian-base layer"
    echo "($(size_mb cdc-local/debian-base:local) MB), so on disk they take $(( $(size_mb cdc-local/spark:local) - $(size_mb cdc-local/debian-base:local) )) MB and $(( $(size_mb cdc-local/mysql:local) - $(size_mb cdc-local/debian-base:local) )) MB more."
} > "$out"
echo "wrote $out"
cat "$out"
