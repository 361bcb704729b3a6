//! NHS England's `mesh-sandbox` (PyPI, pinned), installed into a private virtual
//! environment under the build folder and started on a free `127.0.0.1` port.

use std::io::{self, BufRead, BufReader, Read};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use gpconnect_core::mesh::{MailboxId, MeshClient, MeshConfig, MeshEnvironment};

/// The pinned packages (mesh-sandbox 1.0.137, mesh-client 5.0.2 and their dependencies).
const REQUIREMENTS: &str = include_str!("../../mesh/requirements.txt");
/// The launcher: uvicorn in-process, gone when its stdin closes.
const LAUNCHER: &str = include_str!("../../mesh/launch_sandbox.py");

/// The environment shared secret the sandbox is started with.
pub const SHARED_KEY: &str = "TestKey";
/// The password of every sandbox mailbox.
pub const PASSWORD: &str = "password";
/// The sandbox's mailboxes (`X26ABC1`, `X26ABC2` in ODS `X26`; `X26ABC3` in `X27`).
pub const MAILBOXES: [&str; 3] = ["X26ABC1", "X26ABC2", "X26ABC3"];
/// Workflows: `TEST_WORKFLOW` (X26ABC1 to X26ABC2), `TEST_WORKFLOW_ACK` (X26ABC2 to
/// X26ABC1 and X26ABC3), `TEST_WORKFLOW2` (X26ABC1 to all three).
pub const WORKFLOWS: [&str; 3] = ["TEST_WORKFLOW", "TEST_WORKFLOW_ACK", "TEST_WORKFLOW2"];

/// A running `mesh-sandbox` with full authentication (`AUTH_MODE=full`) and an empty
/// in-memory store; stopped when dropped (and when the test process ends).
///
/// The first start on a machine creates `target/mesh-sandbox/venv` (under a file lock, so
/// parallel tests wait for one install) with `python3 -m venv` and pip from PyPI.
#[derive(Debug)]
pub struct MeshSandbox {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
}

impl MeshSandbox {
    /// Installs (once) and starts a sandbox, waiting until it answers.
    ///
    /// # Errors
    /// Python 3 with `venv` missing, PyPI unreachable on the first run, or the sandbox not
    /// answering within 60 s.
    pub async fn start() -> io::Result<Self> {
        tokio::task::spawn_blocking(Self::start_blocking).await.map_err(io::Error::other)?
    }

    /// [`MeshSandbox::start`] for synchronous code (benchmarks).
    pub fn start_blocking() -> io::Result<Self> {
        let python = ensure_venv()?;
        let launcher = sandbox_dir().join("launch_sandbox.py");
        if std::fs::read_to_string(&launcher).ok().as_deref() != Some(LAUNCHER) {
            std::fs::write(&launcher, LAUNCHER)?;
        }
        let mut last = None;
        for _ in 0..3 {
            let port = free_port()?;
            let mut child = Command::new(&python)
                .arg(&launcher)
                .arg(port.to_string())
                .env("AUTH_MODE", "full")
                .env("STORE_MODE", "memory")
                .env("SHARED_KEY", SHARED_KEY)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            let stdin = child.stdin.take().expect("piped stdin");
            let mut sandbox = MeshSandbox { child, _stdin: stdin, port };
            match sandbox.wait_ready(Duration::from_secs(60)) {
                Ok(()) => return Ok(sandbox),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("mesh-sandbox did not start")))
    }

    fn wait_ready(&mut self, limit: Duration) -> io::Result<()> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Some(status) = self.child.try_wait()? {
                return Err(io::Error::other(format!("mesh-sandbox exited: {status}")));
            }
            if health(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(io::Error::new(io::ErrorKind::TimedOut, "mesh-sandbox did not answer /health"))
    }

    /// The base URL, `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A configuration for one of the sandbox's [`MAILBOXES`].
    pub fn config(&self, mailbox: &str) -> MeshConfig {
        config_for(&self.url(), mailbox)
    }

    /// A client for one of the sandbox's [`MAILBOXES`].
    pub fn client(&self, mailbox: &str) -> MeshClient {
        MeshClient::new(self.config(mailbox)).expect("sandbox configuration")
    }

    /// The virtual environment's Python (with `mesh-client` installed), for scripts.
    pub fn python() -> io::Result<PathBuf> {
        ensure_venv()
    }
}

/// A client for `mailbox` sending as the organisation `ods`, for building ITK3 messages
/// without a server (`prepare()`): it points at a loopback port nothing listens on, and
/// making it sends nothing.
pub fn offline_client(mailbox: &str, ods: &str) -> MeshClient {
    let config = config_for("http://127.0.0.1:9", mailbox).ods_code(ods.parse().expect("ODS code"));
    MeshClient::new(config).expect("offline configuration")
}

/// A configuration for `mailbox` at a local MESH server URL, with the sandbox's secrets.
pub fn config_for(url: &str, mailbox: &str) -> MeshConfig {
    MeshConfig::new(
        MeshEnvironment::LocalSandbox(url.to_owned()),
        MailboxId::parse(mailbox).expect("mailbox ID"),
        PASSWORD.to_owned().into(),
        SHARED_KEY.to_owned().into(),
    )
}

impl Drop for MeshSandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

fn health(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&(Ipv4Addr::LOCALHOST, port).into(), Duration::from_millis(200))
    else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    use std::io::Write;
    if stream.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("HTTP/1.1 200")
}

/// `{target}/mesh-sandbox`: `CARGO_TARGET_DIR`, or the workspace's `target`.
fn sandbox_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    target.join("mesh-sandbox")
}

/// Creates the virtual environment once (under a file lock) and returns its Python.
fn ensure_venv() -> io::Result<PathBuf> {
    let dir = sandbox_dir();
    std::fs::create_dir_all(&dir)?;
    let venv = dir.join("venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(format!(".ready-{:016x}", fnv(REQUIREMENTS)));
    if marker.exists() {
        return Ok(python);
    }
    let _lock = InstallLock::acquire(dir.join(".installing"))?;
    if marker.exists() {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv), "python3 -m venv (install python3-venv)")?;
    let requirements = dir.join("requirements.txt");
    std::fs::write(&requirements, REQUIREMENTS)?;
    run(
        Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input", "-r"])
            .arg(&requirements),
        "pip install mesh-sandbox",
    )?;
    std::fs::write(&marker, b"")?;
    Ok(python)
}

fn run(cmd: &mut Command, what: &str) -> io::Result<()> {
    let out = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).output()?;
    if out.status.success() {
        return Ok(());
    }
    let mut err = String::new();
    (&out.stderr[..]).read_to_string(&mut err)?;
    Err(io::Error::other(format!("{what} failed: {}", err.lines().rev().take(5).collect::<Vec<_>>().join(" | "))))
}

fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf29ce484222325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3))
}

/// A lock file created exclusively: parallel test processes wait for one install. A lock
/// older than 15 minutes is from an install that died and is taken over.
struct InstallLock(PathBuf);

impl InstallLock {
    fn acquire(path: PathBuf) -> io::Result<Self> {
        let started = Instant::now();
        loop {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(_) => return Ok(Self(path)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(&path).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
                    if age.is_some_and(|a| a > Duration::from_secs(15 * 60)) {
                        let _ = std::fs::remove_file(&path);
                    } else if started.elapsed() > Duration::from_secs(20 * 60) {
                        return Err(io::Error::new(io::ErrorKind::TimedOut, "waited 20 min for the sandbox install"));
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Drop for InstallLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
