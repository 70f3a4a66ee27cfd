//! Writing results: JSON for scripts, comfy-table tables for people. Every write returns an
//! I/O result so that a closed pipe (`| head -1`) ends the command quietly (main maps
//! BrokenPipe to success) instead of panicking as `println!` would.

use std::io::{self, BufWriter, Write};

use comfy_table::{Table, presets};
use serde::Serialize;

pub struct Out {
    w: BufWriter<io::Stdout>,
    pub json: bool,
}

impl Out {
    pub fn new(json: bool) -> Out {
        Out { w: BufWriter::with_capacity(1 << 16, io::stdout()), json }
    }

    pub fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        // Serialise first, then write: a write error (a closed pipe) stays an io::Error.
        let mut buf = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
        buf.push(b'\n');
        self.w.write_all(&buf)
    }

    /// A JSON array, written element by element (large listings never build one big string).
    pub fn json_array<T: Serialize>(&mut self, items: &[T]) -> io::Result<()> {
        self.w.write_all(b"[")?;
        let mut buf = Vec::with_capacity(512);
        for (i, item) in items.iter().enumerate() {
            buf.clear();
            buf.extend_from_slice(if i == 0 { b"\n  " } else { b",\n  " });
            serde_json::to_writer(&mut buf, item).map_err(io::Error::other)?;
            self.w.write_all(&buf)?;
        }
        self.w.write_all(if items.is_empty() { b"]\n" } else { b"\n]\n" })
    }

    pub fn line(&mut self, text: impl AsRef<str>) -> io::Result<()> {
        self.w.write_all(text.as_ref().as_bytes())?;
        self.w.write_all(b"\n")
    }

    /// Bytes as they are (a signed message).
    pub fn raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)
    }

    pub fn table(&mut self, table: Table) -> io::Result<()> {
        writeln!(self.w, "{table}")
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.w.flush()
    }
}

/// A plain table: a header row and columns, no borders (easy to read and to grep).
pub fn table(header: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    t.set_header(header.iter().map(|h| h.to_uppercase()));
    t
}

/// A key/value table for `show` commands.
pub fn kv_table(rows: &[(&str, String)]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING);
    for (k, v) in rows {
        t.add_row(vec![format!("{k}:"), v.clone()]);
    }
    t
}

/// A Unix time as `YYYY-MM-DD HH:MM` UTC, or `-`.
pub fn time(t: Option<i64>) -> String {
    t.and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}
