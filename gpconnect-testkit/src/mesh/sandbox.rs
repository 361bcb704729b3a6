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

    /// Sends one message from `from` to `to` in `workflow` exactly as given: these extra
    /// headers and these body bytes, unchecked (what a misbehaving sender could send: a
    /// body that claims gzip but is not, a gzip bomb). Returns the MESH message ID.
    ///
    /// # Errors
    /// The sandbox refused it or could not be reached.
    pub async fn send_raw(
        &self,
        from: &str,
        to: &str,
        workflow: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<String> {
        use secrecy::ExposeSecret;
        let mailbox = MailboxId::parse(from).map_err(io::Error::other)?;
        let token = gpconnect_core::mesh::auth::authorization(
            &mailbox,
            &PASSWORD.to_owned().into(),
            &SHARED_KEY.to_owned().into(),
            uuid::Uuid::new_v4(),
            0,
            chrono::Utc::now(),
        );
        let mut all = vec![
            ("Authorization", token.expose_secret().to_owned()),
            ("mex-From", from.to_owned()),
            ("mex-To", to.to_owned()),
            ("mex-WorkflowID", workflow.to_owned()),
            ("Content-Type", "application/octet-stream".to_owned()),
        ];
        all.extend(headers.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let path = format!("/messageexchange/{from}/outbox");
        let answer = self.http("POST", &path, &all, body).await?;
        message_id(&answer)
    }

    /// Puts a MESH non-delivery report into `mailbox`'s inbox through the sandbox's admin
    /// endpoint, as MESH sends one: in `workflow` (the undelivered message's), linked to
    /// `linked` (the undelivered message). `status` `undeliverable` makes the sandbox's
    /// expiry report (code 14, whatever `code` says); `error` one with `code` and
    /// `description` (a routing failure: `EPL-151` ...). Returns the report's message ID.
    ///
    /// # Errors
    /// The sandbox refused it or could not be reached.
    pub async fn report(
        &self,
        mailbox: &str,
        workflow: &str,
        status: &str,
        code: &str,
        description: &str,
        linked: Option<&str>,
    ) -> io::Result<String> {
        let body = serde_json::json!({
            "mailbox_id": mailbox,
            "status": status,
            "code": code,
            "description": description,
            "workflow_id": workflow,
            "linked_message_id": linked,
        })
        .to_string();
        let headers = [("Content-Type", "application/json".to_owned())];
        let answer = self.http("POST", "/messageexchange/admin/report", &headers, body.as_bytes()).await?;
        message_id(&answer)
    }

    /// One HTTP/1.1 request to the sandbox; the answer's body when it is a success.
    async fn http(&self, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> io::Result<Vec<u8>> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut stream = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).await?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
        head.push_str("Accept: application/vnd.mesh.v2+json\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        let split = answer.windows(4).position(|w| w == b"\r\n\r\n").ok_or_else(|| io::Error::other("no answer"))?;
        let status = String::from_utf8_lossy(&answer[..split]).lines().next().unwrap_or_default().to_owned();
        if !status.contains(" 200") && !status.contains(" 202") {
            return Err(io::Error::other(format!("mesh-sandbox answered {status}")));
        }
        let body = answer.split_off(split + 4);
        if String::from_utf8_lossy(&answer).to_ascii_lowercase().contains("transfer-encoding: chunked") {
            return Ok(dechunk(&body));
        }
        Ok(body)
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

/// `message_id` of a JSON answer.
fn message_id(answer: &[u8]) -> io::Result<String> {
    let v: serde_json::Value = serde_json::from_slice(answer).map_err(io::Error::other)?;
    v["message_id"].as_str().map(str::to_owned).ok_or_else(|| io::Error::other("no message_id in the answer"))
}

/// The body of a `Transfer-Encoding: chunked` answer.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&body[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = eol + 2;
        out.extend_from_slice(&body[start..(start + size).min(body.len())]);
        body = &body[(start + size + 2).min(body.len())..];
    }
    out
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
