//! What a `tracing_subscriber::fmt` subscriber writes, kept in memory, for the tests that
//! check the SDK's logs for personal data (`.with_writer(move || logs.clone())`).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Captured log output; clones share one buffer.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
