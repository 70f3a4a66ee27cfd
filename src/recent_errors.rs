//! The errors a `mailctl serve` logged lately, kept in its data dir for `doctor`: a tracing
//! layer appends one line per ERROR event to `serve.errors` (`UNIX_TIME<TAB>MESSAGE FIELDS`,
//! the newest last). At [`LIMIT`] bytes the file becomes `serve.errors.1` (the one before is
//! dropped), so the two never hold more than twice that. Best effort: a line that cannot be
//! written is lost, the server goes on. What is written is what the log already says, so no
//! secret is in it.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// When `serve.errors` is moved aside.
pub const LIMIT: u64 = 64 * 1024;
/// The longest line kept (longer ones are cut).
const LINE_LIMIT: usize = 1000;

/// `serve.errors` in the data dir.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("serve.errors")
}

fn older(data_dir: &Path) -> PathBuf {
    data_dir.join("serve.errors.1")
}

/// The layer that records ERROR events of a server on `data_dir`.
pub struct Recorder {
    data_dir: PathBuf,
    /// Held while a line is written and the file maybe moved aside.
    turn: Mutex<()>,
}

impl Recorder {
    pub fn new(data_dir: &Path) -> Recorder {
        Recorder { data_dir: data_dir.to_path_buf(), turn: Mutex::new(()) }
    }

    fn append(&self, line: &str) {
        let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
        let file = path(&self.data_dir);
        if std::fs::metadata(&file).is_ok_and(|m| m.len() >= LIMIT) {
            let _ = std::fs::rename(&file, older(&self.data_dir));
        }
        use std::os::unix::fs::OpenOptionsExt;
        if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).mode(0o640).open(&file) {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// An event's message and fields on one line: `message key=value …`.
#[derive(Default)]
struct OneLine(String);

impl Visit for OneLine {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // Where a `log` crate record came from (log.target, log.file…): noise here.
        if field.name().starts_with("log.") {
            return;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() != Level::ERROR {
            return;
        }
        let mut text = OneLine::default();
        event.record(&mut text);
        let mut text: String = text.0.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        if text.len() > LINE_LIMIT {
            let mut cut = LINE_LIMIT;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        self.append(&format!("{now}\t{text}\n"));
    }
}

/// One recorded error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub at: i64,
    pub text: String,
}

/// The errors recorded on `data_dir` at or after `since` (unix time), oldest first.
#[derive(Debug, Default)]
pub struct Recent {
    pub errors: Vec<Logged>,
    /// Older lines of that time were dropped when the files were moved aside: there were more.
    pub cut: bool,
}

/// What was recorded at or after `since`. No file yet is no errors; a file that cannot be
/// read is an error.
pub fn since(data_dir: &Path, since: i64) -> std::io::Result<Recent> {
    let mut out = Recent::default();
    for (i, p) in [older(data_dir), path(data_dir)].iter().enumerate() {
        let text = match std::fs::read_to_string(p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e),
        };
        let lines: Vec<Logged> = text
            .lines()
            .filter_map(|l| {
                let (at, text) = l.split_once('\t')?;
                Some(Logged { at: at.parse().ok()?, text: text.to_string() })
            })
            .collect();
        // The older file's first line is where the record begins: one before it was dropped.
        if i == 0 && lines.first().is_some_and(|l| l.at >= since) {
            out.cut = true;
        }
        out.errors.extend(lines.into_iter().filter(|l| l.at >= since));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn only_errors_are_recorded_one_line_each_and_the_file_is_moved_aside_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let subscriber = tracing_subscriber::registry().with(Recorder::new(dir.path()));
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("a warning is not recorded");
            tracing::error!(error = "disk full\nsecond line", "spool file quarantined");
        });
        let got = since(dir.path(), 0).unwrap().errors;
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].text, "spool file quarantined error=\"disk full\\nsecond line\"");
        assert!(since(dir.path(), got[0].at + 1).unwrap().errors.is_empty());
        // Past the limit: moved aside, and both files still read.
        std::fs::write(path(dir.path()), format!("1\t{}\n", "x".repeat(LIMIT as usize))).unwrap();
        let subscriber = tracing_subscriber::registry().with(Recorder::new(dir.path()));
        tracing::subscriber::with_default(subscriber, || tracing::error!("after the move"));
        assert!(older(dir.path()).exists());
        let all = since(dir.path(), 0).unwrap();
        assert_eq!(all.errors.first().map(|l| l.at), Some(1));
        assert_eq!(all.errors.last().map(|l| l.text.as_str()), Some("after the move"));
        assert!(all.cut, "lines before the moved file's first may have been dropped");
        assert!(!since(dir.path(), 2).unwrap().cut);
    }
}
