#!/usr/bin/env bash
# Clean release build time of a program using the SDK (default features) against a bare
# program using what the SDK is built on (reqwest with the SDK's features, tokio,
# serde_json), built with the same command, alternated, in fresh target folders. Prints
# both times, their ratio and the machine's load, then the SDK's own crates from
# `cargo build --timings`.
#
#   benches/build_time.sh            # one build of each
#   ROUNDS=3 benches/build_time.sh   # three of each, alternated; the medians' ratio
#
# Everything it builds lives in one temporary folder, removed on exit; the timings page
# of the last SDK build is kept as target/build_time/cargo-timing.html.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
rounds="${ROUNDS:-1}"
work="$(mktemp -d /tmp/gpconnect-build-time.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# The versions the repository is tested with; the dependency lines are the workspace's.
reqwest_line="$(grep -E '^reqwest *=' "$repo/Cargo.toml")"
tokio_line="$(grep -E '^tokio *=' "$repo/Cargo.toml")"
serde_json_line="$(grep -E '^serde_json *=' "$repo/Cargo.toml")"

mkdir -p "$work/sdk/src" "$work/bare/src"
cat >"$work/sdk/Cargo.toml" <<EOF
[package]
name = "uses-sdk"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
gpconnect = { path = "$repo" }
$tokio_line

[workspace]
EOF
cat >"$work/sdk/src/main.rs" <<'EOF'
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
cat >"$work/bare/Cargo.toml" <<EOF
[package]
name = "bare"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$reqwest_line
$tokio_line
$serde_json_line

[workspace]
EOF
cat >"$work/bare/src/main.rs" <<'EOF'
#[tokio::main]
async fn main() {
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
cp "$repo/Cargo.lock" "$work/sdk/Cargo.lock"
cp "$repo/Cargo.lock" "$work/bare/Cargo.lock"
(cd "$work/sdk" && cargo fetch --quiet) && (cd "$work/bare" && cargo fetch --quiet)

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

sdk_times=() bare_times=()
for round in $(seq 1 "$rounds"); do
    # Alternate which goes first, so load from elsewhere falls on both alike.
    if [ $((round % 2)) -eq 1 ]; then order="bare sdk"; else order="sdk bare"; fi
    for which in $order; do
        before="$(load)"
        t="$(build "$which")"
        echo "round $round: $which ${t} s (load before: $before, after: $(load))"
        if [ "$which" = sdk ]; then sdk_times+=("$t"); else bare_times+=("$t"); fi
    done
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
sdk="$(median "${sdk_times[@]}")"
bare="$(median "${bare_times[@]}")"
echo "clean release build: SDK (default features) ${sdk} s, bare reqwest+tokio+serde_json ${bare} s, ratio $(awk -v a="$sdk" -v b="$bare" 'BEGIN {printf "%.2f", a / b}') (target at most 1.25)"

# The SDK's own crates, from the timings page of the last SDK build.
page="$(ls "$work"/target-sdk/cargo-timings/cargo-timing-*.html 2>/dev/null | tail -1 || true)"
if [ -n "$page" ]; then
    mkdir -p "$repo/target/build_time"
    cp "$page" "$repo/target/build_time/cargo-timing.html"
    python3 - "$page" <<'EOF'
import json, re, sys
html = open(sys.argv[1]).read()
units = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S).group(1))
slow = sorted(units, key=lambda u: -u["duration"])
print("slowest units (s): " + ", ".join(f"{u['name']} {u['duration']:.1f}" for u in slow[:8]))
print("SDK crates (s): " + ", ".join(f"{u['name']} {u['duration']:.1f}" for u in slow if u["name"].startswith("gpconnect")))
EOF
fi
