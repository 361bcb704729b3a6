//! The bounds on one download (a leaf: the download and its errors both name them).

/// Bounds on one download, checked as the bytes arrive (a sender controls what it
/// sends: a gzip body that expands a thousandfold must not fill the disk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadLimits {
    /// Decoded content bytes in all (default 20 GB, the largest message MESH carries).
    pub max_bytes: u64,
    /// Chunks in all (default 10,000).
    pub max_chunks: u32,
    /// Decoded bytes per byte received, once a chunk has decoded more than 16 MiB
    /// (default 200: text and XML compress 5 to 30 times).
    pub max_expansion: u32,
}

impl Default for DownloadLimits {
    fn default() -> Self {
        DownloadLimits { max_bytes: 20 * 1000 * 1000 * 1000, max_chunks: 10_000, max_expansion: 200 }
    }
}

/// Which of the [`DownloadLimits`] a message broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DownloadLimit {
    /// More decoded bytes than [`DownloadLimits::max_bytes`].
    Bytes(u64),
    /// More chunks than [`DownloadLimits::max_chunks`].
    Chunks(u32),
    /// A compressed chunk expanding more than [`DownloadLimits::max_expansion`] times.
    Expansion(u32),
}

impl std::fmt::Display for DownloadLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownloadLimit::Bytes(n) => write!(f, "larger than the limit of {n} bytes"),
            DownloadLimit::Chunks(n) => write!(f, "more than the limit of {n} chunks"),
            DownloadLimit::Expansion(n) => write!(f, "its compressed content expands more than {n} times"),
        }
    }
}
