//! One HTTP connection served with hyper (HTTP/1.1 and HTTP/2, chosen by ALPN under TLS and
//! by the preface in clear) and an axum `Router`: the glue that `mailctl serve`'s web
//! listeners and `cert issue`'s standalone challenge listener share. Limits: the TLS handshake
//! and each request head within [`HEAD_TIMEOUT`], heads of at most [`MAX_HEAD`] bytes, at most
//! [`MAX_STREAMS`] concurrent HTTP/2 streams; bodies are bounded by the routes' extractors.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower::ServiceExt;

/// Time for the TLS handshake, and for each request's head.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest request head (request line and header fields).
pub const MAX_HEAD: usize = 16 * 1024;
/// Concurrent streams of one HTTP/2 connection.
pub const MAX_STREAMS: u32 = 64;

/// The ALPN names of HTTP; a TLS client that negotiated anything else (ACME's `acme-tls/1`)
/// got its answer in the handshake.
pub const HTTP_ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// How a request reached us; every request carries it as an extension.
#[derive(Debug, Clone, Copy)]
pub struct Transport {
    pub peer: SocketAddr,
    pub tls: bool,
}

/// How a connection ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Served {
    /// Requests were served (or the client left).
    Http,
    /// The TLS handshake failed or timed out.
    HandshakeFailed,
    /// A TLS handshake whose ALPN was not HTTP: it was the whole exchange (RFC 8737 §3).
    AlpnOnly,
}

/// Serve one accepted connection until the client leaves or `shutdown` turns true (then the
/// requests in flight finish and the connection closes).
pub async fn serve(
    tcp: TcpStream,
    peer: SocketAddr,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    shutdown: Option<watch::Receiver<bool>>,
) -> Served {
    let _ = tcp.set_nodelay(true);
    let Some(acceptor) = tls else {
        serve_stream(tcp, Transport { peer, tls: false }, app, shutdown).await;
        return Served::Http;
    };
    let Ok(Ok(mut stream)) = tokio::time::timeout(HEAD_TIMEOUT, acceptor.accept(tcp)).await else {
        return Served::HandshakeFailed;
    };
    if let Some(p) = stream.get_ref().1.alpn_protocol()
        && !HTTP_ALPN.contains(&p)
    {
        let _ = stream.shutdown().await;
        return Served::AlpnOnly;
    }
    serve_stream(stream, Transport { peer, tls: true }, app, shutdown).await;
    Served::Http
}

async fn serve_stream<S>(stream: S, transport: Transport, app: Router, shutdown: Option<watch::Receiver<bool>>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(transport);
        app.clone().oneshot(req)
    });
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(HEAD_TIMEOUT).max_buf_size(MAX_HEAD.max(8192));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(MAX_STREAMS)
        .max_header_list_size(MAX_HEAD as u32)
        .keep_alive_interval(Some(Duration::from_secs(60)));
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let Some(mut stop) = shutdown else {
        let _ = conn.await;
        return;
    };
    tokio::select! {
        _ = conn.as_mut() => {}
        () = async { drop(stop.wait_for(|s| *s).await) } => {
            conn.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(HEAD_TIMEOUT, conn).await;
        }
    }
}

/// The request's host, lowercase, without port or trailing dot: the `Host` field (HTTP/1.1)
/// or the URI's authority (HTTP/2). Empty when there is none.
pub fn host<B>(req: &hyper::Request<B>) -> String {
    let raw = req
        .uri()
        .host()
        .map(str::to_string)
        .or_else(|| req.headers().get(hyper::header::HOST).and_then(|h| h.to_str().ok()).map(str::to_string))
        .unwrap_or_default();
    strip_host(&raw)
}

/// `Host` field value -> the name: no port, no trailing dot, lowercase.
pub fn strip_host(v: &str) -> String {
    let v = v.trim();
    let v = if v.starts_with('[') {
        v.split_once(']').map(|(h, _)| &h[1..]).unwrap_or(v)
    } else {
        v.rsplit_once(':').map(|(h, _)| h).unwrap_or(v)
    };
    v.trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_values_lose_port_dot_and_case() {
        for (given, want) in [
            ("Mail.Example.com:80", "mail.example.com"),
            ("mta-sts.example.org.", "mta-sts.example.org"),
            ("[::1]:8080", "::1"),
            ("", ""),
        ] {
            assert_eq!(strip_host(given), want, "{given}");
        }
    }
}
