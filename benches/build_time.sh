#!/usr/bin/env bash
# Clean release build time of a program using the SDK (default features) against a bare
# program using what the SDK is built on (reqwest with the SDK's features, tokio,
# serde_json), built with the same command, alternated, in fresh target folders. Prints
# both times, their ratio and the machine's load, then the SDK's own crates from
# `cargo build --timings`.
#
#   benches/build_time.sh                    # one build of each
#   ROUNDS=3 benches/build_time.sh           # three of each, alternated; the medians' ratio
#   BASELINE=<commit> benches/build_time.sh  # also the SDK as of <commit>, in the same run
#   FEATURES=ring benches/build_time.sh      # also both programs with the ring crypto provider
#                                            # (the SDK's `ring` feature; bare reqwest without
#                                            # its aws-lc-rs provider, given ring), same run
#
# The SDK is built from this working tree: run it from a clean worktree (git worktree add)
# when you go on editing meanwhile.
#
# Each SDK program is compared with the bare program of the same crypto provider: the
# default SDK with bare reqwest (`rustls`: aws-lc-rs), sdk-ring with bare-ring.
#
# Everything it builds lives in one temporary folder, removed on exit; the timings page
# of each SDK build is kept as target/build_time/cargo-timing-<program>.html.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-1}"
work="$(mktemp -d /tmp/gpconnect-build-time.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# The versions the repository is tested with; the dependency lines are the workspace's.
# The SDK hands reqwest its provider (`rustls-no-provider`); a bare program asks reqwest
# for its own (`rustls`: aws-lc-rs) or is given ring.
reqwest_line="$(grep -m1 -E '^reqwest *=' "$repo/Cargo.toml" | sed 's/"rustls-no-provider"/"rustls"/')"
reqwest_ring_line="$(grep -m1 -E '^reqwest *=' "$repo/Cargo.toml")
rustls = { version = \"0.23\", default-features = false, features = [\"std\", \"tls12\", \"ring\"] }"
tokio_line="$(grep -E '^tokio *=' "$repo/Cargo.toml")"
serde_json_line="$(grep -E '^serde_json *=' "$repo/Cargo.toml")"

# A program using the SDK at $2 (default features, or as $3 adds), in $work/$1.
sdk_program() {
mkdir -p "$work/$1/src"
cat >"$work/$1/Cargo.toml" <<EOF
[package]
name = "uses-sdk"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
gpconnect = { path = "$2"${3:-} }
$tokio_line

[workspace]
EOF
cat >"$work/$1/src/main.rs" <<'EOF'
use gpconnect::structured::{StructuredExt, StructuredRecord};

#[tokio::main]
async fn main() {
    if let Some(path) = std::env::args().nth(1) {
        let bytes = std::fs::read(path).expect("a saved record");
        let record = StructuredRecord::from_slice(&bytes).expect("a structured record");
        println!("{} medications", record.medications().len());
    }
    // Never true; here so that the request path is compiled as in a user's program.
    if let Some(provider) = std::hint::black_box(None::<gpconnect::Provider>) {
        let nhs = gpconnect::NhsNumber::parse("9690937286").unwrap();
        let record = provider.structured().get_record(&nhs).send().await.unwrap();
        println!("{} medications", record.medications().len());
    }
}
EOF
cp "$repo/Cargo.lock" "$work/$1/Cargo.lock"
(cd "$work/$1" && cargo fetch --quiet)
}

programs="bare sdk"
sdk_program sdk "$repo"
if [ -n "${BASELINE:-}" ]; then
    mkdir -p "$work/baseline-src"
    git -C "$repo" archive "$BASELINE" | tar -x -C "$work/baseline-src"
    sdk_program sdk-baseline "$work/baseline-src"
    programs="bare sdk-baseline sdk"
fi
if [ "${FEATURES:-}" = ring ]; then
    sdk_program sdk-ring "$repo" ', default-features = false, features = ["structured", "ring"]'
    programs="$programs bare-ring sdk-ring"
fi

# A bare program in $work/$1 with the reqwest line $2; $3 is Rust run first in main.
bare_program() {
mkdir -p "$work/$1/src"
cat >"$work/$1/Cargo.toml" <<EOF
[package]
name = "bare"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$2
$tokio_line
$serde_json_line

[workspace]
EOF
cat >"$work/$1/src/main.rs" <<EOF
#[tokio::main]
async fn main() {
    $3
    if let Some(path) = std::env::args().nth(1) {
        let bytes = std::fs::read(path).expect("a saved record");
        let record: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
        println!("{} entries", record["entry"].as_array().map_or(0, Vec::len));
    }
    if let Some(url) = std::env::args().nth(2) {
        let body: serde_json::Value = reqwest::Client::new().post(url).json(&()).send().await.unwrap().json().await.unwrap();
        println!("{body}");
    }
}
EOF
# The same dependency versions as the repository's lock file, for both.
cp "$repo/Cargo.lock" "$work/$1/Cargo.lock"
(cd "$work/$1" && cargo fetch --quiet)
}
bare_program bare "$reqwest_line" ""
if [ "${FEATURES:-}" = ring ]; then
    bare_program bare-ring "$reqwest_ring_line" "let _ = rustls::crypto::ring::default_provider().install_default();"
fi

# One clean release build of $1 into a fresh target folder; prints the seconds taken.
build() {
    rm -rf "$work/target-$1"
    local start end
    start="$(date +%s.%N)"
    (cd "$work/$1" && CARGO_TARGET_DIR="$work/target-$1" cargo build --release --timings --quiet --offline)
    end="$(date +%s.%N)"
    echo "$start $end" | awk '{printf "%.1f", $2 - $1}'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

declare -A times
for round in $(seq 1 "$rounds"); do
    # Alternate the order, so that load from elsewhere falls on all alike.
    order="$programs"
    if [ $((round % 2)) -eq 0 ]; then order="$(echo "$programs" | tr ' ' '\n' | tac | tr '\n' ' ')"; fi
    for which in $order; do
        before="$(load)"
        t="$(build "$which")"
        echo "round $round: $which ${t} s (load average before: $before, after: $(load))"
        times[$which]="${times[$which]:-} $t"
    done
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
# shellcheck disable=SC2086
for which in $programs; do
    case "$which" in bare*) continue ;; esac
    # The bare program of the same crypto provider.
    # shellcheck disable=SC2086
    if [ "$which" = sdk-ring ]; then bare="$(median ${times[bare-ring]})"; else bare="$(median ${times[bare]})"; fi
    # shellcheck disable=SC2086
    t="$(median ${times[$which]})"
    echo "clean release build: $which ${t} s, bare reqwest+tokio+serde_json ${bare} s, ratio $(awk -v a="$t" -v b="$bare" 'BEGIN {printf "%.2f", a / b}') (target at most 1.25)"
    # The SDK's own crates, from the timings page of its last build.
    page="$(ls "$work/target-$which"/cargo-timings/cargo-timing-*.html 2>/dev/null | tail -1 || true)"
    [ -n "$page" ] || continue
    mkdir -p "$repo/target/build_time"
    cp "$page" "$repo/target/build_time/cargo-timing-$which.html"
    python3 - "$page" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
slow = sorted(units, key=lambda u: -u["duration"])
print("  slowest units (s): " + ", ".join(f"{u['name']} {u['duration']:.1f}" for u in slow[:6]))
print("  SDK crates (s): " + ", ".join(f"{u['name']} {u['duration']:.1f}" for u in slow if u["name"].startswith("gpconnect")))
EOF
done
