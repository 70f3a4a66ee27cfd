//! `mailctl client-config ADDRESS`: the settings a help desk gives out, from `dns::client`
//! (the same source as the SRV records and the HTTP auto-configuration).

use crate::config::Config;
use crate::dns::client::Settings;
use crate::error::Result;
use crate::names::Address;
use crate::store::Store;

/// The settings of an existing account.
pub async fn for_account(cfg: &Config, store: &Store, address: &str) -> Result<Settings> {
    let addr = Address::parse(address)?;
    let mut conn = store.pool.acquire().await?;
    let account = crate::ops::require_account(&mut conn, &addr).await?;
    Ok(Settings::new(&cfg.hostname, &account.domain, Some(&account.address)))
}

/// The profile signed with the server's certificate.
pub fn signed_mobileconfig(cfg: &Config, s: &Settings) -> Result<Vec<u8>> {
    crate::cert::cms::sign_with_files(&cfg.server.tls_cert, &cfg.server.tls_key, s.mobileconfig().as_bytes())
}
