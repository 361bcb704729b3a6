//! The examples honour `RUST_LOG` (through `tracing-subscriber`, in `examples/common`):
//! quickstart against the in-process mock, run with `RUST_LOG=gpconnect_core=debug`,
//! prints the SDK's request spans on stderr, and nothing personal; without `RUST_LOG`
//! it prints no log line.

use std::path::PathBuf;
use std::process::Command;

fn quickstart() -> PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/quickstart
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target/<profile>");
    dir.join("examples").join(format!("quickstart{}", std::env::consts::EXE_SUFFIX))
}

fn run(rust_log: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(quickstart());
    for (key, _) in std::env::vars() {
        if key.starts_with("GPCONNECT_") || key == "RUST_LOG" {
            cmd.env_remove(key);
        }
    }
    if let Some(filter) = rust_log {
        cmd.env("RUST_LOG", filter);
    }
    let out = cmd.current_dir(std::env::temp_dir()).output().expect("quickstart runs");
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn quickstart_prints_the_sdks_spans_when_rust_log_asks_and_nothing_personal() {
    let (ok, logs) = run(Some("gpconnect_core=debug"));
    assert!(ok, "quickstart against the mock: {logs}");
    assert!(logs.contains("gpconnect.request") && logs.contains("interaction="), "{logs}");
    // The mock's patient, its name and date of birth (spec examples), never in the logs.
    for personal in ["9690937286", "969 093 7286", "9000000009", "Bearer", "eyJ"] {
        assert!(!logs.contains(personal), "`{personal}` in {logs}");
    }
    let (ok, quiet) = run(None);
    assert!(ok);
    assert!(!quiet.contains("gpconnect.request"), "no logs unless asked: {quiet}");
}
