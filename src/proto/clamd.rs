//! clamd's `zINSTREAM` command (clamd(8)): the command, then the message in chunks each
//! preceded by its length (4 bytes, network order), then a zero length; the reply is one
//! NUL-terminated line: `stream: OK`, `stream: NAME FOUND`, or `... ERROR`. Sans I/O.

/// The command that starts a scan.
pub const INSTREAM: &[u8] = b"zINSTREAM\0";

/// The most reply bytes read.
pub const MAX_REPLY: usize = 4096;

/// One chunk as sent: its length, then its bytes. An empty chunk ends the stream.
pub fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + bytes.len());
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
    out
}

/// What clamd said about the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scan {
    Clean,
    Found(String),
    /// Not scanned (the size limit, an error): never to be taken as clean.
    Error(String),
}

pub fn parse_reply(bytes: &[u8]) -> Scan {
    let text = String::from_utf8_lossy(bytes);
    let line = text.trim_end_matches(['\0', '\n', '\r']).trim();
    let rest = line.strip_prefix("stream:").map(str::trim).unwrap_or(line);
    if rest == "OK" {
        Scan::Clean
    } else if let Some(name) = rest.strip_suffix(" FOUND") {
        Scan::Found(name.trim().to_string())
    } else if line.is_empty() {
        Scan::Error("clamd sent an empty reply".into())
    } else {
        Scan::Error(format!("clamd: {}", line.chars().take(200).collect::<String>()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_its_length_in_network_order_then_its_bytes() {
        assert_eq!(chunk(b"abc"), vec![0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(chunk(b""), vec![0, 0, 0, 0]);
    }

    #[test]
    fn replies_are_clean_found_or_an_error_never_clean_by_default() {
        let rows: &[(&[u8], Scan)] = &[
            (b"stream: OK\0", Scan::Clean),
            (b"stream: Local.EICAR.Body.UNOFFICIAL FOUND\0", Scan::Found("Local.EICAR.Body.UNOFFICIAL".into())),
            (
                b"INSTREAM size limit exceeded. ERROR\0",
                Scan::Error("clamd: INSTREAM size limit exceeded. ERROR".into()),
            ),
            (b"", Scan::Error("clamd sent an empty reply".into())),
            (b"stream: OKAY\0", Scan::Error("clamd: stream: OKAY".into())),
        ];
        for (input, want) in rows {
            assert_eq!(&parse_reply(input), want, "{input:?}");
        }
    }
}
