//! `mailctl serve`'s HTTP (80) and HTTPS (443) listeners: ACME challenge answers for
//! `cert issue` (HTTP-01 files, TLS-ALPN-01 certificates, both from the data dir) and the
//! MTA-STS policy of each served domain at `https://mta-sts.<domain>/.well-known/mta-sts.txt`
//! (RFC 8461 §3.3). Everything else is 404.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;

use super::Shared;
use crate::cert::challenge::{Request, http01_answer, serve_web};

pub async fn run(shared: Arc<Shared>, tls: bool, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    // TLS-ALPN-01 answers are logged by the certificate resolver.
    if !serve_web(tcp, tls.then(|| shared.tls.https_acceptor()), async |r: &Request| answer(&shared, r).await).await {
        tracing::debug!(%peer, "https: handshake failed");
    }
}

async fn answer(shared: &Shared, r: &Request) -> Option<String> {
    let cfg = shared.config();
    if let Some(a) = http01_answer(&cfg.data_dir, r) {
        tracing::info!(host = %r.host, "answered an ACME HTTP-01 challenge");
        return Some(a);
    }
    if r.path == "/.well-known/mta-sts.txt" {
        let domain = r.host.strip_prefix("mta-sts.")?;
        let mut conn = shared.store().pool.acquire().await.ok()?;
        if !crate::store::domains::exists(&mut conn, domain).await.ok()? {
            return None;
        }
        return Some(crate::dns::records::mta_sts_policy(&cfg.hostname, &cfg.dns));
    }
    None
}
