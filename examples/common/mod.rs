//! Shared by the examples: a provider handle from `GPCONNECT_*` environment variables
//! (or, when `GPCONNECT_SSP_URL` is not set, the in-process testkit mock), and one way of
//! telling a person what went wrong and what to do about it.
#![allow(dead_code)]

use std::env;
use std::error::Error as StdError;
use std::fmt;
use std::process::ExitCode;

use gpconnect::error::ConfigError;
use gpconnect::sds::SdsConfig;
use gpconnect::{
    Asid, Capability, Client, Consumer, Device, Error, ErrorKind, GpcCode, Identity, NhsNumber, Provider, ServiceRoot,
    SspConfig, User,
};
use gpconnect_testkit::MockSpine;

/// Installs a `tracing` subscriber that prints to stderr what `RUST_LOG` asks for, such as
/// `RUST_LOG=gpconnect_core=debug` (every request's span: interaction, ODS code, ASID,
/// trace id, status, elapsed time) or `RUST_LOG=gpconnect_core=trace`; errors only when it
/// is not set. What the SDK logs carries no personal data (the leak test checks it at
/// TRACE). Every example calls it first.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::from_default_env();
    // A second call (or another subscriber already set) keeps the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .try_init();
}

/// What an example's `run` returns: any error, reported by [`exit`].
pub type Failure = Box<dyn StdError>;

/// What an example works with.
pub struct Setup {
    /// The provider handle, with the requesting user set.
    pub provider: Provider,
    /// The patient to look up.
    pub nhs_number: NhsNumber,
    /// The mock, kept alive while the example runs (None against a real SSP).
    pub mock: Option<MockSpine>,
}

/// A configuration variable, what it is for and what NHS onboarding calls it.
pub struct Variable {
    /// The environment variable.
    pub name: &'static str,
    /// Needed whenever `GPCONNECT_SSP_URL` is set.
    pub required: bool,
    /// What goes in it.
    pub meaning: &'static str,
    /// Whether its value may be printed (never for keys).
    pub secret: bool,
}

const fn variable(name: &'static str, required: bool, meaning: &'static str) -> Variable {
    Variable { name, required, meaning, secret: false }
}

/// Every variable the examples read, in the order the README lists them.
pub const VARIABLES: &[Variable] = &[
    variable("GPCONNECT_SSP_URL", true, "the Spine Security Proxy base URL (https)"),
    variable("GPCONNECT_CONSUMER_ASID", true, "your system's ASID (from NHS onboarding)"),
    variable("GPCONNECT_CONSUMER_ODS", true, "your organisation's ODS code"),
    variable("GPCONNECT_PROVIDER_ODS", true, "the GP practice's ODS code"),
    variable("GPCONNECT_CLIENT_CERT", false, "PEM file: the client certificate NHS onboarding issued"),
    variable("GPCONNECT_CLIENT_KEY", false, "PEM file: the private key of that certificate"),
    variable("GPCONNECT_CA_CERT", false, "PEM file: the Spine root and sub CA certificates"),
    variable("GPCONNECT_SDS_URL", false, "the SDS FHIR API base URL, to find providers"),
    Variable { name: "GPCONNECT_SDS_API_KEY", required: false, meaning: "the SDS API key", secret: true },
    variable("GPCONNECT_PROVIDER_ASID", false, "the provider's ASID, to configure it by hand instead of SDS"),
    variable("GPCONNECT_PROVIDER_ENDPOINT", false, "its Foundations and Appointments service root"),
    variable("GPCONNECT_STRUCTURED_ENDPOINT", false, "its Access Record Structured service root"),
    variable("GPCONNECT_DOCUMENTS_ENDPOINT", false, "its Access Document service root"),
    variable("GPCONNECT_ALLOW_HTTP", false, "1 allows a plain http SSP (local tests only)"),
    variable("GPCONNECT_NHS_NUMBER", false, "the test patient (default: a spec test patient)"),
    variable("GPCONNECT_USER_ID", false, "the requesting user's local id"),
    variable("GPCONNECT_USER_FAMILY", false, "the requesting user's family name"),
    variable("GPCONNECT_SDS_USER_ID", false, "the requesting user's SDS user id"),
    variable("GPCONNECT_SDS_ROLE_PROFILE_ID", false, "the requesting user's SDS role profile id"),
];

/// The variable holding a capability's service root when it is configured by hand.
pub fn endpoint_variable(capability: Capability) -> &'static str {
    match capability {
        Capability::Structured => "GPCONNECT_STRUCTURED_ENDPOINT",
        Capability::Documents => "GPCONNECT_DOCUMENTS_ENDPOINT",
        _ => "GPCONNECT_PROVIDER_ENDPOINT",
    }
}

/// A variable's value, if set and not blank.
pub fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A configuration variable that is missing or unusable.
#[derive(Debug)]
pub struct VarError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong with its value, or `None` when it is not set.
    pub problem: Option<Box<dyn StdError>>,
}

impl VarError {
    fn missing(name: &'static str) -> Self {
        Self { name, problem: None }
    }

    fn invalid(name: &'static str, problem: impl Into<Box<dyn StdError>>) -> Self {
        Self { name, problem: Some(problem.into()) }
    }
}

impl fmt::Display for VarError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(problem) = &self.problem else {
            let meaning = VARIABLES.iter().find(|v| v.name == self.name).map_or("", |v| v.meaning);
            return write!(
                f,
                "{} is not set; it is needed when GPCONNECT_SSP_URL is set: {meaning} \
                 (unset GPCONNECT_SSP_URL to run against the built-in mock)",
                self.name
            );
        };
        write!(f, "{} is not usable: {problem}", self.name)?;
        match problem.downcast_ref::<Error>().and_then(hint) {
            Some(fix) => write!(f, "\n  fix: {fix}"),
            None => Ok(()),
        }
    }
}

impl StdError for VarError {}

fn required(name: &'static str) -> Result<String, VarError> {
    var(name).ok_or_else(|| VarError::missing(name))
}

/// Parses a variable's value, naming the variable if it is not usable.
fn parse<T>(name: &'static str, value: &str) -> Result<T, VarError>
where
    T: std::str::FromStr,
    T::Err: Into<Box<dyn StdError>>,
{
    value.parse().map_err(|e: T::Err| VarError::invalid(name, e))
}

/// Wraps an SDK error in the variable it came from.
fn from_var(name: &'static str) -> impl FnOnce(ConfigError) -> VarError {
    move |e| VarError::invalid(name, Error::from(e))
}

/// Whether `GPCONNECT_SSP_URL` is set, so the examples talk to a real SSP.
pub fn configured() -> bool {
    var("GPCONNECT_SSP_URL").is_some()
}

/// The patient to look up: `GPCONNECT_NHS_NUMBER` or a spec test patient.
pub fn nhs_number() -> Result<NhsNumber, VarError> {
    parse("GPCONNECT_NHS_NUMBER", &var("GPCONNECT_NHS_NUMBER").unwrap_or_else(|| "9690937286".into()))
}

/// Connects from the environment, or starts the testkit mock.
pub async fn connect() -> Result<Setup, VarError> {
    let nhs_number = nhs_number()?;
    if !configured() {
        eprintln!("GPCONNECT_SSP_URL not set: using the in-process testkit mock (no credentials needed)");
        let mock = MockSpine::start().await;
        return Ok(Setup { provider: mock.provider(), nhs_number, mock: Some(mock) });
    }
    Ok(Setup { provider: configured_provider()?, nhs_number, mock: None })
}

/// The SSP configuration from the environment (no connection is made).
pub fn ssp_config() -> Result<SspConfig, VarError> {
    let ssp_url = required("GPCONNECT_SSP_URL")?;
    let consumer_asid: Asid = parse("GPCONNECT_CONSUMER_ASID", &required("GPCONNECT_CONSUMER_ASID")?)?;
    let mut ssp = SspConfig::new(ssp_url, consumer_asid)
        .http(|h| h.allow_http(var("GPCONNECT_ALLOW_HTTP").as_deref() == Some("1")));
    match (var("GPCONNECT_CLIENT_CERT"), var("GPCONNECT_CLIENT_KEY")) {
        (Some(cert), Some(key)) => {
            ssp = ssp.identity(Identity::from_pem_files(cert, key).map_err(from_var("GPCONNECT_CLIENT_CERT"))?);
        }
        (Some(_), None) => return Err(VarError::missing("GPCONNECT_CLIENT_KEY")),
        (None, Some(_)) => return Err(VarError::missing("GPCONNECT_CLIENT_CERT")),
        (None, None) => {}
    }
    if let Some(ca) = var("GPCONNECT_CA_CERT") {
        let pem = std::fs::read(ca).map_err(|e| VarError::invalid("GPCONNECT_CA_CERT", e))?;
        ssp = ssp.try_http(|h| h.add_ca_pem(&pem)).map_err(from_var("GPCONNECT_CA_CERT"))?;
    }
    Ok(ssp)
}

/// The provider handle from the environment: SDS and/or service roots set by hand.
pub fn configured_provider() -> Result<Provider, VarError> {
    let ssp = ssp_config()?;
    let device = Device::builder()
        .system("https://consumer.example.nhs.uk/Id/device")
        .value("gpconnect-rust-example")
        .model("gpconnect examples")
        .version(env!("CARGO_PKG_VERSION"))
        .build()
        .expect("the example's device is complete");
    let consumer = Consumer::builder()
        .ods(parse("GPCONNECT_CONSUMER_ODS", &required("GPCONNECT_CONSUMER_ODS")?)?)
        .organisation_name(var("GPCONNECT_CONSUMER_NAME").unwrap_or_else(|| "GP Connect Rust SDK example".into()))
        .issuer(var("GPCONNECT_CONSUMER_ISSUER").unwrap_or_else(|| "https://consumer.example.nhs.uk/".into()))
        .device(device)
        .build()
        .map_err(|e| match e {
            ConfigError::Consumer { field: "organisation_name", .. } => from_var("GPCONNECT_CONSUMER_NAME")(e),
            _ => from_var("GPCONNECT_CONSUMER_ISSUER")(e),
        })?;
    let mut client = Client::builder().ssp(ssp).consumer(consumer);
    match (var("GPCONNECT_SDS_URL"), var("GPCONNECT_SDS_API_KEY")) {
        (Some(url), Some(key)) => client = client.sds(SdsConfig::new(url, key)),
        (Some(_), None) => return Err(VarError::missing("GPCONNECT_SDS_API_KEY")),
        (None, Some(_)) => return Err(VarError::missing("GPCONNECT_SDS_URL")),
        (None, None) => {}
    }
    let client = client.build().map_err(|e| {
        let sds = matches!(&e, Error::Config(ConfigError::NotHttps { what: "sds" } | ConfigError::Url { what: "sds" }));
        VarError::invalid(if sds { "GPCONNECT_SDS_URL" } else { "GPCONNECT_SSP_URL" }, e)
    })?;
    let user = User::new(
        var("GPCONNECT_USER_ID").unwrap_or_else(|| "example-user".into()),
        var("GPCONNECT_USER_FAMILY").unwrap_or_else(|| "Example".into()),
    )
    .sds_user_id(var("GPCONNECT_SDS_USER_ID").unwrap_or_else(|| "UNK".into()))
    .sds_role_profile_id(var("GPCONNECT_SDS_ROLE_PROFILE_ID").unwrap_or_else(|| "UNK".into()));
    let ods = parse("GPCONNECT_PROVIDER_ODS", &required("GPCONNECT_PROVIDER_ODS")?)?;
    let mut provider = client.provider(&ods).with_user(user);
    let asid = var("GPCONNECT_PROVIDER_ASID");
    for capability in [Capability::Foundations, Capability::Structured, Capability::Documents] {
        let name = endpoint_variable(capability);
        let Some(url) = var(name) else { continue };
        let asid = asid.as_deref().ok_or_else(|| VarError::missing("GPCONNECT_PROVIDER_ASID"))?;
        let asid = parse("GPCONNECT_PROVIDER_ASID", asid)?;
        provider = provider.with_root(capability, ServiceRoot::new(url, asid).map_err(from_var(name))?);
    }
    Ok(provider)
}

/// What to do about an SDK error, in terms of the examples' variables, where known.
pub fn hint(e: &Error) -> Option<String> {
    let capability = e.interaction().map(|i| i.capability()).unwrap_or(Capability::Foundations);
    Some(match e {
        Error::Config(ConfigError::NotHttps { .. }) => {
            "use an https:// URL; for a local test against a mock, set GPCONNECT_ALLOW_HTTP=1".into()
        }
        Error::Config(ConfigError::Url { .. }) => "give a full URL such as https://host:port/path".into(),
        Error::Directory(_) if e.kind() == ErrorKind::Configuration => format!(
            "set GPCONNECT_PROVIDER_ASID and {}, or GPCONNECT_SDS_URL and GPCONNECT_SDS_API_KEY to look it up in SDS",
            endpoint_variable(capability)
        ),
        Error::Directory(_) if e.kind() == ErrorKind::Authentication => {
            "check GPCONNECT_SDS_API_KEY (the SDS API key from your onboarding)".into()
        }
        Error::Directory(_) if e.kind() == ErrorKind::NotFound => format!(
            "check GPCONNECT_PROVIDER_ODS, or configure the provider by hand: GPCONNECT_PROVIDER_ASID and {}",
            endpoint_variable(capability)
        ),
        Error::Directory(_) if e.kind() == ErrorKind::Transport => "check GPCONNECT_SDS_URL and the network".into(),
        Error::Transport { .. } | Error::Timeout { .. } => {
            "check GPCONNECT_SSP_URL and, for TLS, GPCONNECT_CLIENT_CERT, GPCONNECT_CLIENT_KEY and GPCONNECT_CA_CERT \
             (the preflight example checks each)"
                .into()
        }
        _ => match e.code() {
            Some(GpcCode::SspSenderNotAuthorised) => {
                "check GPCONNECT_CONSUMER_ASID: the SSP does not know this ASID for the interaction".into()
            }
            Some(GpcCode::SspReceiverNotAuthorised | GpcCode::SspTargetUrlVaries) => format!(
                "check GPCONNECT_PROVIDER_ASID and {} against SDS, or let SDS find them",
                endpoint_variable(capability)
            ),
            Some(GpcCode::InvalidNhsNumber | GpcCode::PatientNotFound) => {
                "check GPCONNECT_NHS_NUMBER: use a patient registered at the provider".into()
            }
            _ => return None,
        },
    })
}

/// The kind, code, HTTP status and trace id of an SDK error, where it has them.
pub fn facts(e: &Error) -> String {
    let mut facts = vec![format!("kind: {}", e.kind())];
    if let Some(code) = e.code() {
        facts.push(format!("code: {code}"));
    }
    if let Some(status) = e.status() {
        facts.push(format!("HTTP status: {status}"));
    }
    if let Some(trace) = e.trace_id() {
        facts.push(format!("Ssp-TraceID: {trace}"));
    }
    facts.join("; ")
}

/// Everything a person needs about a failure: what went wrong, its kind, code and trace
/// id where there is one, and what to do. Never `Debug`.
pub fn report(e: &(dyn StdError + 'static)) -> String {
    let mut out = format!("error: {e}");
    let sdk = e.downcast_ref::<Error>().or_else(|| {
        e.downcast_ref::<VarError>().and_then(|v| v.problem.as_deref()).and_then(|p| p.downcast_ref::<Error>())
    });
    if let Some(sdk) = sdk {
        out.push_str(&format!("\n  {}", facts(sdk)));
        if matches!(sdk, Error::Transport { .. }) {
            // The innermost cause says it best ("Connection refused", a TLS alert).
            let mut cause = sdk.source();
            while let Some(next) = cause.and_then(StdError::source) {
                cause = Some(next);
            }
            if let Some(root) = cause {
                out.push_str(&format!("\n  because: {root}"));
            }
        }
        if e.downcast_ref::<VarError>().is_none() {
            if let Some(fix) = hint(sdk) {
                out.push_str(&format!("\n  fix: {fix}"));
            }
        }
    }
    out
}

/// Reports an example's outcome: nothing on success, else [`report`] on stderr and a
/// non-zero exit status.
pub fn exit(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", report(&*e));
            ExitCode::FAILURE
        }
    }
}
