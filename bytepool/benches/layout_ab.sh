#!/usr/bin/env bash
# Compares two revisions on a few benchmarks across four code layouts.
#
# A hot path of a few nanoseconds moves by up to 0.3 ns when only its code's alignment changes:
# two builds whose 128 B round-trip loop was byte for byte the same (the crates differed
# elsewhere, which moved it) read 4.69 and 5.03 ns, and one commit read 5.03 ns with the default
# layout and 4.69 ns with each of the three flags below. One build of each side is therefore no
# verdict. This script builds each revision four times, with the default layout and three LLVM
# alignment flags that move the code around, and prints every run, so a change counts only if it
# wins in most layouts.
#
# usage: bytepool/benches/layout_ab.sh REV_A REV_B [BENCH:FILTER ...]
#   REV_A, REV_B  anything `git rev-parse` takes; WORKTREE means the working tree as it is
#   BENCH:FILTER  a bench target and a criterion filter (regex), default the 128 B round trip
#                 and the two statistics round trips
#   RUNS=3        runs per binary and filter (each 1 s after 0.5 s of warm-up)
# Builds go to target/layout-ab/ (one target dir per side and layout, about 200 MiB each).
set -euo pipefail

if [ $# -lt 2 ]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
fi
rev_a=$1
rev_b=$2
shift 2
benches=("$@")
if [ ${#benches[@]} -eq 0 ]; then
    benches=('round_trip:^round_trip/bytepool_global/128$'
        'overhead:^overhead_stats/stats_on/128$'
        'overhead:^overhead_stats/stats_off/128$')
fi
runs=${RUNS:-3}
layouts=('' '-C llvm-args=-align-all-functions=6' '-C llvm-args=-align-all-nofallthru-blocks=5'
    '-C llvm-args=-align-loops=64')

root=$(git rev-parse --show-toplevel)
work=$root/target/layout-ab
mkdir -p "$work"

# A checkout of `rev` at $work/src-$side (the working tree itself for WORKTREE).
checkout() {
    local side=$1 rev=$2 dir=$work/src-$1
    if [ "$rev" = WORKTREE ]; then
        echo "$root"
        return
    fi
    git -C "$root" worktree remove --force "$dir" >/dev/null 2>&1 || rm -rf "$dir"
    git -C "$root" worktree add --detach --force "$dir" "$rev" >/dev/null
    echo "$dir"
}

# Builds the bench binaries of one side in one layout; copies them to $work/bin-$side-$layout/.
build() {
    local side=$1 src=$2 layout=$3 out=$work/bin-$1-$3
    local targets=()
    for b in "${benches[@]}"; do targets+=(--bench "${b%%:*}"); done
    rm -rf "$out"
    mkdir -p "$out"
    (cd "$src" && RUSTFLAGS="${layouts[$layout]}" CARGO_TARGET_DIR=$work/target-$side-$layout \
        cargo bench -p bytepool "${targets[@]}" --no-run --message-format=json 2>/dev/null) |
        sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' |
        while read -r exe; do cp "$exe" "$out/$(basename "$exe" | sed 's/-[0-9a-f]*$//')"; done
    for b in "${benches[@]}"; do
        if [ ! -x "$out/${b%%:*}" ]; then
            echo "layout_ab: no bench binary ${b%%:*} for $side in layout $layout" >&2
            exit 1
        fi
    done
}

cleanup() {
    for side in a b; do
        git -C "$root" worktree remove --force "$work/src-$side" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

src_a=$(checkout a "$rev_a")
src_b=$(checkout b "$rev_b")
for layout in "${!layouts[@]}"; do
    echo "building layout $layout (${layouts[$layout]:-default})" >&2
    build a "$src_a" "$layout"
    build b "$src_b" "$layout"
done

# The median estimate of one criterion run, in ns.
measure() {
    "$1" --bench "$2" --measurement-time 1 --warm-up-time 0.5 --noplot 2>&1 |
        awk '/time:/ { v = $4; u = $5; if (u == "ps") v /= 1000; if (u == "µs" || u == "us") v *= 1000; printf "%.3f", v; exit }'
}

echo "A = $rev_a, B = $rev_b; ns per iteration, $runs runs each, sorted"
for b in "${benches[@]}"; do
    echo "== ${b#*:}"
    for layout in "${!layouts[@]}"; do
        line="layout $layout"
        for side in a b; do
            vals=$(for _ in $(seq "$runs"); do measure "$work/bin-$side-$layout/${b%%:*}" "${b#*:}"; echo; done | sort -n | tr '\n' ' ')
            line="$line | ${side^^}: $vals"
        done
        echo "$line"
    done
done
