//! Handshake: validate the mailbox (`POST /messageexchange/{mailbox_id}`), at least once a
//! day.

use chrono::{DateTime, Utc};
use http::{HeaderValue, Method};

use super::client::MeshRequest;
use super::error::MeshError;
use super::{MeshClient, MeshOperation, MexHeader};

/// How often MESH asks for a handshake: at least once every 24 hours. A little under,
/// so that a daily poll at a fixed hour never runs late.
pub const HANDSHAKE_INTERVAL: chrono::TimeDelta = chrono::TimeDelta::hours(23);

impl MeshClient {
    /// Validates the mailbox and the credentials ("handshake"). MESH asks for one at
    /// least every 24 hours; it is also a cheap check of the configuration.
    ///
    /// Sends `POST /messageexchange/{mailbox_id}` with `mex-ClientVersion`, `mex-OSName`,
    /// `mex-OSVersion`, `mex-OSArchitecture` and `mex-JavaVersion: N/A`.
    ///
    /// # Errors
    /// `Error::Messaging` with status 403 for wrong credentials. Safe to retry.
    pub async fn handshake(&self) -> crate::Result<()> {
        let req = self.handshake_request()?;
        self.execute_empty(&req).await?;
        *self.inner.last_handshake.lock().unwrap_or_else(|e| e.into_inner()) = Some(Utc::now());
        Ok(())
    }

    /// When this client's last handshake succeeded (`None` before the first). Kept in
    /// memory: clones of the client share it, a restart forgets it.
    pub fn last_handshake(&self) -> Option<DateTime<Utc>> {
        *self.inner.last_handshake.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a handshake is due at `now`: none has succeeded yet, or the last one is
    /// [`HANDSHAKE_INTERVAL`] or more before `now` (MESH asks for one at least every
    /// 24 hours). Call it from the polling loop:
    ///
    /// ```no_run
    /// # async fn demo(mesh: gpconnect_core::mesh::MeshClient) -> gpconnect_core::Result<()> {
    /// if mesh.handshake_due(chrono::Utc::now()) {
    ///     mesh.handshake().await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn handshake_due(&self, now: DateTime<Utc>) -> bool {
        self.last_handshake().is_none_or(|last| now - last >= HANDSHAKE_INTERVAL)
    }

    fn handshake_request(&self) -> Result<MeshRequest, MeshError> {
        let info = &self.config().client_info;
        let mut req = MeshRequest::new(MeshOperation::Handshake, Method::POST, self.mailbox_path(&[]));
        for (h, v) in [
            (MexHeader::ClientVersion, info.client_version.as_str()),
            (MexHeader::OsName, info.os_name.as_str()),
            (MexHeader::OsVersion, info.os_version.as_str()),
            (MexHeader::OsArchitecture, info.os_architecture.as_str()),
            (MexHeader::JavaVersion, "N/A"),
        ] {
            let value = HeaderValue::from_str(v).unwrap_or_else(|_| HeaderValue::from_static("unknown"));
            req.headers.insert(h.name(), value);
        }
        Ok(req)
    }
}
