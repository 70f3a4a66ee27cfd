//! DNS messages over TCP (RFC 1035 §4.2.2: each message after its two-byte length), for the
//! RFC 2136 provider and the DNSSEC-aware queries of [`super::secure`]. `who` starts every
//! error message ("rfc2136", "DNSSEC lookup").

use std::time::Duration;

use hickory_proto::op::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::error::{Error, Kind, Result};

/// Connect to a server, within `limit`.
pub async fn connect(server: &str, who: &str, limit: Duration) -> Result<TcpStream> {
    let fail = |what: String| Error::new(Kind::Unavailable, format!("{who}: {what}"));
    match tokio::time::timeout(limit, TcpStream::connect(server)).await {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(fail(format!("cannot connect to {server}: {e}"))),
        Err(_) => Err(fail(format!("connecting to {server} timed out"))),
    }
}

/// Send one message, framed.
pub async fn send(conn: &mut TcpStream, msg: &Message, who: &str, limit: Duration) -> Result<()> {
    let bytes = msg.to_vec().map_err(|e| Error::new(Kind::Internal, format!("{who}: encoding: {e}")))?;
    let len =
        u16::try_from(bytes.len()).map_err(|_| Error::invalid(format!("{who}: the message is larger than 64 KiB")))?;
    let mut frame = len.to_be_bytes().to_vec();
    frame.extend_from_slice(&bytes);
    tokio::time::timeout(limit, conn.write_all(&frame))
        .await
        .map_err(|_| Error::new(Kind::Unavailable, format!("{who}: sending timed out")))?
        .map_err(|e| Error::new(Kind::Unavailable, format!("{who}: sending: {e}")))
}

/// Read one framed message's bytes.
pub async fn recv(conn: &mut TcpStream, who: &str, limit: Duration) -> Result<Vec<u8>> {
    let read = async {
        let mut len = [0u8; 2];
        conn.read_exact(&mut len).await?;
        let mut buf = vec![0u8; u16::from_be_bytes(len) as usize];
        conn.read_exact(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    tokio::time::timeout(limit, read)
        .await
        .map_err(|_| Error::new(Kind::Unavailable, format!("{who}: no reply from the server")))?
        .map_err(|e| Error::new(Kind::Unavailable, format!("{who}: reading the reply: {e}")))
}
