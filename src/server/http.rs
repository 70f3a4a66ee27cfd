//! `mailctl serve`'s HTTP (80) and HTTPS (443) listeners: ACME challenge answers for
//! `cert issue` (HTTP-01 files, TLS-ALPN-01 certificates, both from the data dir) and the
//! MTA-STS policy of each served domain at `https://mta-sts.<domain>/.well-known/mta-sts.txt`
//! (RFC 8461 §3.3). Everything else is 404.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use super::Shared;
use crate::cert::challenge::{ACME_TLS_ALPN, Request, http01_answer, serve_http};

pub async fn run(shared: Arc<Shared>, tls: bool, tcp: TcpStream, peer: SocketAddr) {
    let _ = tcp.set_nodelay(true);
    if !tls {
        return serve_http(tcp, async |r: &Request| answer(&shared, r).await).await;
    }
    let acceptor = shared.tls.https_acceptor();
    let Ok(Ok(mut stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await else {
        tracing::debug!(%peer, "https: handshake failed");
        return;
    };
    // TLS-ALPN-01: the handshake was the answer (RFC 8737 §3); the resolver logged it.
    if stream.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN) {
        let _ = stream.shutdown().await;
        return;
    }
    serve_http(stream, async |r: &Request| answer(&shared, r).await).await;
}

async fn answer(shared: &Shared, r: &Request) -> Option<String> {
    let cfg = shared.config();
    if let Some(a) = http01_answer(&cfg.data_dir, r) {
        tracing::info!(host = %r.host, "answered an ACME HTTP-01 challenge");
        return Some(a);
    }
    if r.path == "/.well-known/mta-sts.txt" {
        let domain = r.host.strip_prefix("mta-sts.")?;
        let mut conn = shared.store.pool.acquire().await.ok()?;
        if !crate::store::domains::exists(&mut conn, domain).await.ok()? {
            return None;
        }
        let i = crate::dns::records::Inputs { domain, host: &cfg.hostname, dns: &cfg.dns, dkim: &[], now: 0 };
        return Some(crate::dns::records::mta_sts_policy(&i));
    }
    None
}
