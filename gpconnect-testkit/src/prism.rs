//! Stoplight Prism serving the patient-facing APIs' own OpenAPI files, in mock mode with
//! request validation on, as NHS England's sandboxes are.
//!
//! [`Prism::start`] installs Prism itself on first use (npm `@stoplight/prism-cli`, the
//! pinned [`PRISM_VERSION`] with its lock file, `npm ci` into `target/`; a file lock makes
//! parallel tests install once), then starts it on a free `127.0.0.1` port serving the
//! copies of the specs under `fixtures/openapi/`. It needs Node.js and npm on the `PATH`.
//! Prism stops when the [`Prism`] is dropped, and in any case when the test process ends.
//!
//! Prism answers a valid request with the first example of the lowest 2xx answer
//! (another with `Prefer: example=<name>`, an error with `Prefer: code=<status>`), and an
//! invalid one (a missing required query parameter or header, a malformed `X-Request-ID`)
//! with `422` and an `sl-violations` header.
//!
//! ```no_run
//! use gpconnect_core::platform::PlatformApi;
//! use gpconnect_testkit::prism::Prism;
//! # async fn demo(config: gpconnect_core::platform::PlatformConfig) {
//! let prism = Prism::start(PlatformApi::Prescriptions).await;
//! let config = prism.configure(config); // the API's base URL now points at Prism
//! # }
//! ```

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use gpconnect_core::platform::{PlatformApi, PlatformConfig};

/// The Prism version installed (pinned, with `prism/package-lock.json`).
pub const PRISM_VERSION: &str = "5.16.0";

const PACKAGE_JSON: &str = include_str!("../prism/package.json");
const PACKAGE_LOCK: &str = include_str!("../prism/package-lock.json");
const LAUNCHER: &str = include_str!("../prism/launch.js");
const STARTUP: Duration = Duration::from_secs(120);

/// A running Prism serving one API's spec. Dropping it stops Prism.
pub struct Prism {
    child: Child,
    stdin: Option<ChildStdin>,
    url: String,
    api: PlatformApi,
}

impl std::fmt::Debug for Prism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prism").field("url", &self.url).field("api", &self.api).finish()
    }
}

impl Prism {
    /// Installs Prism if needed and starts it for `api` on a free local port.
    ///
    /// # Panics
    /// When Node.js or npm is missing, the install fails, or Prism does not start within
    /// two minutes: the message says which.
    pub async fn start(api: PlatformApi) -> Prism {
        tokio::task::spawn_blocking(move || start_blocking(api))
            .await
            .expect("Prism start task")
            .unwrap_or_else(|e| panic!("Prism for {api:?} did not start: {e}"))
    }

    /// One Prism per API shared by every test of the process, started on first use.
    pub async fn shared(api: PlatformApi) -> Arc<Prism> {
        static SHARED: OnceLock<Mutex<HashMap<PlatformApi, Arc<Prism>>>> = OnceLock::new();
        let map = SHARED.get_or_init(Mutex::default);
        if let Some(prism) = map.lock().unwrap_or_else(|e| e.into_inner()).get(&api) {
            return prism.clone();
        }
        let prism = Arc::new(Prism::start(api).await);
        map.lock().unwrap_or_else(|e| e.into_inner()).entry(api).or_insert(prism).clone()
    }

    /// The root URL Prism serves the API's paths at (no platform base path):
    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The API it serves.
    pub fn api(&self) -> PlatformApi {
        self.api
    }

    /// Points `config`'s base URL for this API at Prism (and allows plain http).
    pub fn configure(&self, config: PlatformConfig) -> PlatformConfig {
        config.api_base(self.api, &self.url).http(|h| h.allow_http(true))
    }
}

impl Drop for Prism {
    fn drop(&mut self) {
        // The launcher stops Prism when its stdin closes.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The OpenAPI file of `api` in the testkit's fixtures.
pub fn spec_path(api: PlatformApi) -> PathBuf {
    let file = match api {
        PlatformApi::AccessRecord => "access-record/specification/gp-connect-access-record-fhir.yaml",
        PlatformApi::Appointments => {
            "appointments-management/specification/gp-connect-appointments-management-fhir.yaml"
        }
        PlatformApi::Prescriptions => {
            "prescriptions-management/specification/gp-connect-prescriptions-management-fhir.yaml"
        }
        other => panic!("no OpenAPI file for {other:?}"),
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openapi").join(file)
}

/// Where Prism is installed: `<target dir>/prism-<version>`.
pub fn install_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    target.join(format!("prism-{PRISM_VERSION}"))
}

/// Installs the pinned Prism with `npm ci` unless already there; one process at a time.
fn install() -> Result<PathBuf, String> {
    let dir = install_dir();
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let lock = std::fs::File::create(dir.join(".lock")).map_err(|e| format!("cannot create the lock file: {e}"))?;
    fs4::FileExt::lock(&lock).map_err(|e| format!("cannot lock {}: {e}", dir.display()))?;
    let write =
        |name: &str, text: &str| std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"));
    write("launch.js", LAUNCHER)?;
    let marker = dir.join(".installed");
    let wanted = format!("{PRISM_VERSION}\n{}", PACKAGE_LOCK.len());
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        write("package.json", PACKAGE_JSON)?;
        write("package-lock.json", PACKAGE_LOCK)?;
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run npm (Node.js and npm must be on the PATH): {e}"))?;
        if !status.success() {
            return Err(format!("`npm ci` of @stoplight/prism-cli {PRISM_VERSION} failed: {status}"));
        }
        write(".installed", &wanted)?;
    }
    Ok(dir)
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn start_blocking(api: PlatformApi) -> Result<Prism, String> {
    let dir = install()?;
    let spec = spec_path(api);
    let mut last = String::new();
    for _ in 0..3 {
        let port = free_port()?;
        let mut child = Command::new("node")
            .arg(dir.join("launch.js"))
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run node: {e}"))?;
        let (tx, rx) = mpsc::channel::<String>();
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            // Keeps draining the output so Prism never blocks on a full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let mut stdin = child.stdin.take();
        let deadline = Instant::now() + STARTUP;
        let started = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(line) if line.contains("Prism is listening") => break true,
                Ok(line) => {
                    if line.contains("EADDRINUSE") || line.contains("error") {
                        last = line;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break false,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if matches!(child.try_wait(), Ok(Some(_))) || Instant::now() > deadline {
                break false;
            }
        };
        if started {
            if let Some(pipe) = stdin.as_mut() {
                let _ = pipe.flush();
            }
            return Ok(Prism { child, stdin, url: format!("http://127.0.0.1:{port}"), api });
        }
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        if last.is_empty() {
            last = "Prism exited or did not say it was listening".into();
        }
    }
    Err(last)
}
