//! An in-process MESH server on a wiremock server.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::Utc;
use gpconnect_core::mesh::auth::{AuthRejection, TokenChecker};
use gpconnect_core::mesh::{ChunkRange, MeshClient, MeshConfig, MessageId};
use secrecy::SecretString;
use serde_json::json;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::sandbox::{config_for, PASSWORD, SHARED_KEY};

/// A message held by the [`MockMesh`].
#[derive(Clone)]
pub struct StoredMessage {
    /// The ID the mock gave it.
    pub message_id: String,
    /// Sender mailbox (from the token).
    pub from: String,
    /// Recipient mailbox.
    pub to: String,
    /// Every request header of the first upload request, lowercase names.
    pub headers: BTreeMap<String, String>,
    /// The decoded content (all chunks joined once complete).
    pub content: Bytes,
    /// `DATA` or `REPORT`.
    pub message_type: String,
    /// `uploading`, `accepted` or `acknowledged`.
    pub status: String,
    /// Chunks expected.
    pub total_chunks: u32,
    chunks: Vec<Option<Bytes>>,
}

impl std::fmt::Debug for StoredMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredMessage")
            .field("message_id", &self.message_id)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("status", &self.status)
            .field("content_bytes", &self.content.len())
            .finish_non_exhaustive()
    }
}

struct State {
    mailboxes: BTreeMap<String, (String, String)>, // id -> (password, ods)
    workflows: Vec<(String, String)>,              // (workflow, receiving mailbox)
    messages: Vec<StoredMessage>,
    next_id: u64,
    requests: u64,
}

/// An in-process MESH server for tests. See the [module documentation](super).
#[derive(Clone)]
pub struct MockMesh {
    server: Arc<MockServer>,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for MockMesh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockMesh").field("url", &self.server.uri()).finish_non_exhaustive()
    }
}

impl MockMesh {
    /// Starts a mock with the sandbox's mailboxes (`X26ABC1`, `X26ABC2` in ODS `X26`,
    /// `X26ABC3` in `X27`, password `password`), shared secret `TestKey`, and the
    /// workflows `TEST_WORKFLOW` / `TEST_WORKFLOW_ACK` received by all three.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        let mut mailboxes = BTreeMap::new();
        for (id, ods) in [("X26ABC1", "X26"), ("X26ABC2", "X26"), ("X26ABC3", "X27")] {
            mailboxes.insert(id.to_owned(), (PASSWORD.to_owned(), ods.to_owned()));
        }
        let workflows = ["TEST_WORKFLOW", "TEST_WORKFLOW_ACK", "TEST_WORKFLOW2"]
            .iter()
            .flat_map(|w| mailboxes.keys().map(move |m| (w.to_string(), m.clone())))
            .collect();
        let state = Arc::new(Mutex::new(State { mailboxes, workflows, messages: Vec::new(), next_id: 1, requests: 0 }));
        let responder =
            Responder { state: state.clone(), checker: Arc::new(TokenChecker::new(SHARED_KEY.to_owned().into())) };
        Mock::given(wiremock::matchers::any()).respond_with(responder).mount(&server).await;
        Self { server: Arc::new(server), state }
    }

    /// The base URL (`http://127.0.0.1:{port}`).
    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// A configuration for `mailbox` (password `password`, secret `TestKey`), to add
    /// settings such as [`MeshConfig::ods_code`] before making a client.
    pub fn config(&self, mailbox: &str) -> MeshConfig {
        config_for(&self.url(), mailbox)
    }

    /// A client for `mailbox` (password `password`, secret `TestKey`).
    pub fn client(&self, mailbox: &str) -> MeshClient {
        MeshClient::new(config_for(&self.url(), mailbox)).expect("mock configuration")
    }

    /// Adds a mailbox (ODS code `ods`) that receives `workflows`.
    pub fn add_mailbox(&self, mailbox: &str, password: &str, ods: &str, workflows: &[&str]) {
        let mut s = self.lock();
        s.mailboxes.insert(mailbox.to_owned(), (password.to_owned(), ods.to_owned()));
        s.workflows.extend(workflows.iter().map(|w| (w.to_string(), mailbox.to_owned())));
    }

    /// Every message the mock holds, oldest first.
    pub fn messages(&self) -> Vec<StoredMessage> {
        self.lock().messages.clone()
    }

    /// One message.
    pub fn message(&self, id: &MessageId) -> Option<StoredMessage> {
        self.lock().messages.iter().find(|m| m.message_id == id.as_str()).cloned()
    }

    /// How many requests passed authentication.
    pub fn authorised_requests(&self) -> u64 {
        self.lock().requests
    }

    /// Puts a DATA message into `to`'s inbox as if `from` had sent it, with extra
    /// `mex-*` headers (lowercase names), and returns its ID.
    pub fn deliver(&self, from: &str, to: &str, workflow: &str, content: impl Into<Bytes>) -> MessageId {
        let mut headers = BTreeMap::new();
        headers.insert("mex-workflowid".to_owned(), workflow.to_owned());
        self.insert(from, to, headers, content.into(), "DATA")
    }

    /// Puts a non-delivery REPORT about `linked` into `to`'s inbox (status code `code`,
    /// for example `14` or `EPL-151`) and returns its ID.
    pub fn deliver_report(&self, to: &str, linked: &MessageId, workflow: &str, code: &str) -> MessageId {
        let mut headers = BTreeMap::new();
        for (k, v) in [
            ("mex-workflowid", workflow),
            ("mex-linkedmsgid", linked.as_str()),
            ("mex-statuscode", code),
            ("mex-statussuccess", "ERROR"),
            ("mex-statusevent", "TRANSFER"),
            ("mex-statusdescription", "Message not delivered"),
        ] {
            headers.insert(k.to_owned(), v.to_owned());
        }
        self.insert("", to, headers, Bytes::new(), "REPORT")
    }

    fn insert(&self, from: &str, to: &str, headers: BTreeMap<String, String>, content: Bytes, kind: &str) -> MessageId {
        let mut s = self.lock();
        let id = s.new_id();
        s.messages.push(StoredMessage {
            message_id: id.clone(),
            from: from.to_owned(),
            to: to.to_owned(),
            headers,
            content,
            message_type: kind.to_owned(),
            status: "accepted".to_owned(),
            total_chunks: 1,
            chunks: Vec::new(),
        });
        MessageId::parse(&id).expect("mock ID")
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    fn new_id(&mut self) -> String {
        let id = format!("{}{:06}_MOCK", Utc::now().format("%Y%m%d%H%M%S"), self.next_id);
        self.next_id += 1;
        id
    }
}

struct Responder {
    state: Arc<Mutex<State>>,
    checker: Arc<TokenChecker>,
}

fn error(status: u16, code: &str, msg: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({"detail": [{"event": "SEND", "code": code, "msg": msg}]}))
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path: Vec<String> = req.url.path_segments().map(|s| s.map(str::to_owned).collect()).unwrap_or_default();
        let p: Vec<&str> = path.iter().map(String::as_str).collect();
        let method = req.method.as_str();
        let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let ["messageexchange", "endpointlookup", ods, workflow] = p[..] {
            let results: Vec<_> = s
                .workflows
                .iter()
                .filter(|(w, m)| w == workflow && s.mailboxes.get(m).is_some_and(|(_, o)| o == ods))
                .map(|(_, m)| json!({"mailbox_id": m, "mailbox_name": format!("Mailbox {m}")}))
                .collect();
            return ResponseTemplate::new(200).set_body_json(json!({ "results": results }));
        }
        let ["messageexchange", mailbox, rest @ ..] = &p[..] else {
            return ResponseTemplate::new(404);
        };
        let mailbox = mailbox.to_ascii_uppercase();
        let Some((password, _)) = s.mailboxes.get(&mailbox).cloned() else {
            return ResponseTemplate::new(403);
        };
        if header(req, "accept") != Some("application/vnd.mesh.v2+json") {
            return ResponseTemplate::new(400).set_body_string("v2 Accept expected");
        }
        let auth = header(req, "authorization").unwrap_or_default();
        if let Err(rejection) = self.checker.check(auth, &mailbox, &SecretString::from(password), Utc::now()) {
            let text = match rejection {
                AuthRejection::Reused => "token reused",
                _ => "Invalid Authentication Token",
            };
            return ResponseTemplate::new(403).set_body_json(json!({ "detail": text }));
        }
        s.requests += 1;
        match (method, rest) {
            ("POST", []) => {
                for h in ["mex-clientversion", "mex-osname", "mex-osversion"] {
                    if header(req, h).is_none() {
                        return error(400, "06", "Malformed headers");
                    }
                }
                ResponseTemplate::new(200)
            }
            ("POST", ["outbox"]) => s.send(req, &mailbox),
            ("POST", ["outbox", id, chunk]) => s.chunk(req, &mailbox, id, chunk),
            ("GET", ["inbox"]) => s.inbox(req, &mailbox),
            ("GET", ["inbox", id]) => s.download(&mailbox, id, "1"),
            ("GET", ["inbox", id, chunk]) => s.download(&mailbox, id, chunk),
            ("PUT", ["inbox", id, "status", "acknowledged"]) => {
                match s.messages.iter_mut().find(|m| m.message_id == *id && m.to == mailbox) {
                    Some(m) => {
                        m.status = "acknowledged".into();
                        ResponseTemplate::new(200).set_body_json(json!({ "message_id": id }))
                    }
                    None => ResponseTemplate::new(404),
                }
            }
            ("GET", ["outbox", "tracking"]) => {
                let id = req.url.query_pairs().find(|(k, _)| k == "messageID").map(|(_, v)| v.into_owned());
                match s.messages.iter().find(|m| Some(&m.message_id) == id.as_ref() && m.from == mailbox) {
                    Some(m) => ResponseTemplate::new(200).set_body_json(json!({
                        "message_id": m.message_id,
                        "status": m.status,
                        "status_success": true,
                        "workflow_id": m.headers.get("mex-workflowid"),
                        "recipient": m.to,
                    })),
                    None => ResponseTemplate::new(404),
                }
            }
            _ => ResponseTemplate::new(404),
        }
    }
}

fn decode(req: &Request) -> Result<Bytes, Box<ResponseTemplate>> {
    match header(req, "content-encoding") {
        None => Ok(Bytes::copy_from_slice(&req.body)),
        Some("gzip") => {
            let mut out = Vec::new();
            flate2::read::MultiGzDecoder::new(&req.body[..])
                .read_to_end(&mut out)
                .map_err(|_| Box::new(error(400, "06", "body is not gzip")))?;
            Ok(out.into())
        }
        Some(_) => {
            Err(Box::new(ResponseTemplate::new(422).set_body_json(json!({"detail": "UnsupportedContentEncoding"}))))
        }
    }
}

impl State {
    fn send(&mut self, req: &Request, mailbox: &str) -> ResponseTemplate {
        let Some(to) = header(req, "mex-to").map(str::to_ascii_uppercase) else {
            return error(417, "08", "Missing Mex-To header");
        };
        if header(req, "mex-workflowid").is_none() {
            return error(417, "06", "Malformed headers");
        }
        if header(req, "mex-from").is_some_and(|f| !f.eq_ignore_ascii_case(mailbox)) {
            return error(417, "07", "Invalid From Address");
        }
        let range = match header(req, "mex-chunk-range") {
            None => ChunkRange { index: 1, total: 1 },
            Some(r) => match ChunkRange::parse(r) {
                Some(r) if r.index == 1 => r,
                _ => return error(417, "06", "InvalidHeaderChunks"),
            },
        };
        if !self.mailboxes.contains_key(&to) {
            return error(417, "12", "Unregistered to address");
        }
        let content = match decode(req) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        if content.is_empty() {
            return error(417, "02", "Data file is missing or inaccessible");
        }
        let headers = req
            .headers
            .iter()
            .filter(|(k, _)| k.as_str() != "authorization")
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned()))
            .collect();
        let id = self.new_id();
        let mut chunks = vec![None; range.total as usize];
        chunks[0] = Some(content.clone());
        let complete = range.total == 1;
        self.messages.push(StoredMessage {
            message_id: id.clone(),
            from: mailbox.to_owned(),
            to,
            headers,
            content: if complete { content } else { Bytes::new() },
            message_type: "DATA".into(),
            status: if complete { "accepted" } else { "uploading" }.into(),
            total_chunks: range.total,
            chunks,
        });
        ResponseTemplate::new(202).set_body_json(json!({ "message_id": id }))
    }

    fn chunk(&mut self, req: &Request, mailbox: &str, id: &str, chunk: &str) -> ResponseTemplate {
        let content = match decode(req) {
            Ok(c) => c,
            Err(r) => return *r,
        };
        let Some(m) = self.messages.iter_mut().find(|m| m.message_id == id) else {
            return ResponseTemplate::new(404);
        };
        if m.from != mailbox {
            return ResponseTemplate::new(403);
        }
        if m.status != "uploading" {
            return ResponseTemplate::new(423);
        }
        let range = header(req, "mex-chunk-range").and_then(ChunkRange::parse);
        match (range, chunk.parse::<u32>()) {
            (Some(r), Ok(k)) if r.index == k && r.total == m.total_chunks && k >= 2 => {
                m.chunks[(k - 1) as usize] = Some(content);
            }
            _ => return error(417, "06", "InvalidHeaderChunks"),
        }
        if m.chunks.iter().all(Option::is_some) {
            let mut all = Vec::new();
            for c in m.chunks.iter().flatten() {
                all.extend_from_slice(c);
            }
            m.content = all.into();
            m.status = "accepted".into();
        }
        ResponseTemplate::new(202).set_body_json(json!({ "message_id": id, "blocks_received": chunk }))
    }

    fn inbox(&self, req: &Request, mailbox: &str) -> ResponseTemplate {
        let query: BTreeMap<String, String> = req.url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        let max = query.get("max_results").and_then(|m| m.parse().ok()).unwrap_or(500usize);
        let filter = query.get("workflow_filter").map(String::as_str).unwrap_or_default();
        let (negate, pattern) = filter.strip_prefix('!').map_or((false, filter), |p| (true, p));
        let matches = |w: &str| {
            let hit = match (pattern.strip_prefix('*'), pattern.strip_suffix('*')) {
                _ if pattern.is_empty() => return true,
                (Some(inner), _) => w.contains(inner.trim_end_matches('*')),
                (None, Some(prefix)) => w.starts_with(prefix),
                (None, None) => w == pattern,
            };
            hit != negate
        };
        let waiting: Vec<&str> = self
            .messages
            .iter()
            .filter(|m| m.to == mailbox && m.status == "accepted")
            .filter(|m| matches(m.headers.get("mex-workflowid").map(String::as_str).unwrap_or_default()))
            .map(|m| m.message_id.as_str())
            .skip_while(|id| query.get("continue_from").is_some_and(|c| c.as_str() >= *id))
            .collect();
        let page: Vec<&str> = waiting.iter().take(max).copied().collect();
        let mut links = json!({ "self": format!("/messageexchange/{mailbox}/inbox") });
        if waiting.len() > max {
            links["next"] = json!(format!(
                "/messageexchange/{mailbox}/inbox?max_results={max}&continue_from={}",
                page.last().expect("a full page")
            ));
        }
        ResponseTemplate::new(200)
            .set_body_json(json!({ "messages": page, "approx_inbox_count": waiting.len(), "links": links }))
    }

    fn download(&self, mailbox: &str, id: &str, chunk: &str) -> ResponseTemplate {
        let Some(m) = self.messages.iter().find(|m| m.message_id == id) else {
            return ResponseTemplate::new(404);
        };
        if m.to != mailbox {
            return ResponseTemplate::new(403);
        }
        if m.status == "uploading" {
            return ResponseTemplate::new(410);
        }
        let Ok(k) = chunk.parse::<u32>() else { return ResponseTemplate::new(404) };
        if k == 0 || k > m.total_chunks {
            return ResponseTemplate::new(404);
        }
        let content = if m.total_chunks == 1 {
            m.content.clone()
        } else {
            m.chunks[(k - 1) as usize].clone().unwrap_or_default()
        };
        let status = if k < m.total_chunks { 206 } else { 200 };
        let mut resp = ResponseTemplate::new(status)
            .insert_header("mex-messageid", m.message_id.as_str())
            .insert_header("mex-messagetype", m.message_type.as_str())
            .insert_header("mex-chunk-range", format!("{k}:{}", m.total_chunks).as_str())
            .insert_header("mex-to", m.to.as_str())
            .set_body_raw(content.to_vec(), "application/octet-stream");
        if !m.from.is_empty() {
            resp = resp.insert_header("mex-from", m.from.as_str());
        }
        for (name, value) in &m.headers {
            let passes = name.starts_with("mex-")
                && !matches!(name.as_str(), "mex-to" | "mex-from" | "mex-chunk-range")
                && !name.starts_with("mex-os")
                && name != "mex-clientversion";
            if passes {
                resp = resp.insert_header(name.as_str(), value.as_str());
            }
        }
        resp
    }
}
