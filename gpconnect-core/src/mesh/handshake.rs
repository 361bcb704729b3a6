//! Handshake: validate the mailbox (`POST /messageexchange/{mailbox_id}`), at least once a
//! day.

use http::{HeaderValue, Method};

use super::client::MeshRequest;
use super::error::MeshError;
use super::{MeshClient, MeshOperation, MexHeader};

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
        Ok(())
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
