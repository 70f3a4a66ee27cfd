//! `mailctl config show|get|set`

use clap::Subcommand;
use serde::Serialize;

use super::Ctx;
use super::output::table;
use crate::config::{self, KEYS, Location, edit, key, set_keys};
use crate::error::{Error, Result};
use crate::fsutil::write_atomic;

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// Every key with its effective value (like `postconf`)
    Show {
        /// Only keys set in the file (like `postconf -n`)
        #[arg(short = 'n', long)]
        non_default: bool,
    },
    /// Print one key's effective value
    Get { key: String },
    /// Set a key in the config file, keeping its comments
    Set { key: String, value: String },
}

#[derive(Serialize)]
struct Entry {
    key: &'static str,
    value: String,
    set: bool,
    help: String,
}

pub async fn run(cmd: ConfigCmd, ctx: &mut Ctx) -> Result<()> {
    let file = match &ctx.location {
        Location::File(p) => Some(p.clone()),
        Location::Dev => None,
    };
    match cmd {
        ConfigCmd::Show { non_default } => {
            let in_file = file.as_deref().map(set_keys).unwrap_or_default();
            let entries: Vec<Entry> = KEYS
                .iter()
                .map(|k| Entry {
                    key: k.name,
                    value: ctx.config.get(k.name).unwrap_or_default(),
                    set: in_file.contains(k.name),
                    help: k.help(),
                })
                .filter(|e| e.set || !non_default)
                .collect();
            if ctx.out.json {
                ctx.out.json_array(&entries)?;
            } else {
                if file.is_none() {
                    ctx.note("no config file: these are the dev instance's defaults");
                }
                let mut t = table(&["key", "value", "source"]);
                for e in &entries {
                    t.add_row(vec![e.key.to_string(), e.value.clone(), if e.set { "file" } else { "default" }.into()]);
                }
                ctx.out.table(t)?;
            }
        }
        ConfigCmd::Get { key: name } => {
            key(&name)?;
            let value = ctx.config.get(&name).unwrap_or_default();
            if ctx.out.json {
                ctx.out.json(&serde_json::json!({ "key": name, "value": value }))?;
            } else {
                ctx.out.line(value)?;
            }
        }
        ConfigCmd::Set { key: name, value } => set(&ctx.location, &name, &value, ctx.quiet)?,
    }
    Ok(())
}

/// `config set` works on the file's text, so it can also repair a config that does not load.
pub fn set(location: &Location, name: &str, value: &str, quiet: bool) -> Result<()> {
    let Location::File(path) = location else {
        return Err(Error::new(crate::error::Kind::NoInput, "no config file to edit (this is the dev instance)")
            .with_hint("create one with `mailctl init --domain example.com`"));
    };
    let text = std::fs::read_to_string(path).map_err(|e| Error::io("reading config", path, e))?;
    let new = edit(&text, name, value)?;
    let mode = std::fs::metadata(path)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777)
        .unwrap_or(0o600);
    write_atomic(path, new.as_bytes(), mode)?;
    if !quiet {
        let shown = if name == "database" { config::redact_url(value) } else { value.to_string() };
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "{name} = {shown}");
    }
    Ok(())
}
