//! A client connection: plain TCP or TLS, an input buffer, an output buffer (flushed before we
//! wait for input, which is what PIPELINING needs), and the idle and session deadlines.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Only during the STARTTLS handshake.
    Upgrading,
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Stream::Upgrading => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Stream::Upgrading => Poll::Ready(Err(io::ErrorKind::NotConnected.into())),
        }
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Stream::Upgrading => Poll::Ready(Ok(())),
        }
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Stream::Upgrading => Poll::Ready(Ok(())),
        }
    }
}

/// What waiting for input brought.
pub enum Input {
    /// More bytes are in `input`.
    Data,
    /// The client closed the connection, or it failed.
    Closed,
    /// The idle or session timeout passed.
    TimedOut,
    /// The server is shutting down.
    Shutdown,
}

pub struct Conn {
    pub stream: Stream,
    /// Bytes read and not yet consumed.
    pub input: Vec<u8>,
    output: Vec<u8>,
    idle: Duration,
    deadline: Instant,
    /// Buffer space offered to the last read, and what it brought.
    last_want: usize,
    last_read: usize,
}

const READ_CHUNK: usize = 16 * 1024;
/// What an idle connection offers the kernel to read into (commands are short).
const SMALL_READ: usize = 2048;
/// A TLS handshake that has not finished by then is abandoned.
const TLS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

impl Conn {
    pub fn new(stream: Stream, idle: Duration, session: Duration) -> Conn {
        Conn {
            stream,
            input: Vec::new(),
            output: Vec::new(),
            idle,
            deadline: Instant::now() + session,
            last_want: SMALL_READ,
            last_read: 0,
        }
    }

    /// Change the idle timeout (IMAP: longer once logged in).
    pub fn set_idle(&mut self, idle: Duration) {
        self.idle = idle;
    }

    pub fn is_tls(&self) -> bool {
        matches!(self.stream, Stream::Tls(_))
    }

    /// "TLSv1_3 TLS13_AES_256_GCM_SHA384" for the Received: header.
    pub fn tls_description(&self) -> Option<String> {
        match &self.stream {
            Stream::Tls(s) => {
                let (_, c) = s.get_ref();
                let v = c.protocol_version().map(|v| format!("{v:?}")).unwrap_or_default();
                let cs = c.negotiated_cipher_suite().map(|s| format!("{:?}", s.suite())).unwrap_or_default();
                Some(format!("{v} {cs}"))
            }
            _ => None,
        }
    }

    pub fn queue(&mut self, text: &str) {
        self.output.extend_from_slice(text.as_bytes());
    }

    /// Bytes queued and not yet sent.
    pub fn pending(&self) -> usize {
        self.output.len()
    }

    /// Queue a buffer, without a copy when nothing else is queued.
    pub fn queue_vec(&mut self, bytes: Vec<u8>) {
        if self.output.is_empty() {
            self.output = bytes;
        } else {
            self.output.extend_from_slice(&bytes);
        }
    }

    pub fn queue_bytes(&mut self, bytes: &[u8]) {
        self.output.extend_from_slice(bytes);
    }

    /// Time left for one wait: the idle timeout, capped by the session deadline.
    fn wait(&self) -> Duration {
        self.idle.min(self.deadline.saturating_duration_since(Instant::now()))
    }

    pub async fn flush(&mut self) -> io::Result<()> {
        if !self.output.is_empty() {
            let out = std::mem::take(&mut self.output);
            // Both under one timeout: with TLS, write_all only fills rustls's buffer and the
            // flush is what waits on a client that does not read.
            let wait = self.wait();
            let stream = &mut self.stream;
            tokio::time::timeout(wait, async {
                stream.write_all(&out).await?;
                stream.flush().await
            })
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        }
        Ok(())
    }

    /// Read more input. Ok(0) is end of stream; a timeout (idle or session) is TimedOut.
    /// Cancel-safe.
    pub async fn fill(&mut self) -> io::Result<usize> {
        self.flush().await?;
        let wait = self.wait();
        // An idle connection keeps a small buffer; one that is streaming data gets bigger
        // reads (the last read filled what was offered).
        let want = if self.last_read >= self.last_want { (self.last_want * 2).min(READ_CHUNK * 4) } else { SMALL_READ };
        if self.input.is_empty() && self.input.capacity() > want * 2 {
            self.input = Vec::new();
        }
        self.input.reserve(want);
        self.last_want = self.input.capacity() - self.input.len();
        // read_buf appends only what arrived, so dropping this future (shutdown) loses nothing.
        let r = match tokio::time::timeout(wait, self.stream.read_buf(&mut self.input)).await {
            Ok(r) => r,
            Err(_) => Err(io::ErrorKind::TimedOut.into()),
        };
        self.last_read = *r.as_ref().unwrap_or(&0);
        r
    }

    /// Send what is queued, then wait for input or shutdown. The flush is not raced with
    /// shutdown, so a reply is never cut in half; replies go out before we wait (PIPELINING).
    pub async fn wait_for_input(&mut self, shutdown: &mut tokio::sync::watch::Receiver<bool>) -> Input {
        if self.flush().await.is_err() {
            return Input::Closed;
        }
        let r = tokio::select! {
            r = self.fill() => r,
            _ = shutdown.changed() => return Input::Shutdown,
        };
        match r {
            Ok(0) => Input::Closed,
            Ok(_) => Input::Data,
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Input::TimedOut,
            Err(_) => Input::Closed,
        }
    }

    /// Read one line of at most `max` bytes (protocol continuations: AUTH responses). None
    /// when the connection ends or the line is too long.
    pub async fn read_line(&mut self, max: usize) -> Option<String> {
        use crate::proto::line::{Line, next_line};
        loop {
            match next_line(&self.input, max) {
                Line::Complete { len, consumed } => {
                    let s = String::from_utf8_lossy(&self.input[..len]).into_owned();
                    self.input.drain(..consumed);
                    return Some(s);
                }
                Line::TooLong => {
                    self.input.clear();
                    return None;
                }
                Line::Incomplete => match self.fill().await {
                    Ok(0) | Err(_) => return None,
                    Ok(_) => {}
                },
            }
        }
    }

    /// Upgrade to TLS. Input already buffered is discarded first: bytes a client pipelined
    /// after STARTTLS must never run inside the TLS session (CVE-2011-0411). Returns how many
    /// bytes were discarded.
    pub async fn start_tls(&mut self, acceptor: &TlsAcceptor) -> io::Result<usize> {
        self.flush().await?;
        let discarded = self.input.len();
        self.input.clear();
        let Stream::Plain(tcp) = std::mem::replace(&mut self.stream, Stream::Upgrading) else {
            return Err(io::ErrorKind::InvalidInput.into());
        };
        let tls = tokio::time::timeout(TLS_HANDSHAKE_TIMEOUT.min(self.wait()), acceptor.accept(tcp))
            .await
            .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))??;
        self.stream = Stream::Tls(Box::new(tls));
        Ok(discarded)
    }

    pub async fn close(&mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            let _ = self.flush().await;
            let _ = self.stream.shutdown().await;
        })
        .await;
    }
}
