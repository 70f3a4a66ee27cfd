//! Editing the config file: `config set` and `init` change one key at a time through
//! toml_edit, so comments and layout survive (`fsutil::write_atomic` writes it).

use std::path::Path;

use super::{ValueType, key, parse};
use crate::error::{Error, Result};

/// Is the key set in the file (as opposed to defaulted)?
pub fn is_set(path: &Path, name: &str) -> bool {
    set_keys(path).contains(name)
}

/// The keys the config file at `path` sets (none when it cannot be read or parsed).
pub fn set_keys(path: &Path) -> std::collections::BTreeSet<String> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| t.parse::<toml_edit::DocumentMut>().ok())
        .map(|d| d.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// Set `name = value` in the config text, keeping comments and layout, and validate the result.
pub fn edit(text: &str, name: &str, value: &str) -> Result<String> {
    let key = key(name)?;
    (key.check)(value).map_err(|e| Error::invalid(format!("invalid value for {name}: {:?}: {}", value, e.message)))?;
    let mut doc: toml_edit::DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| Error::config(format!("invalid TOML: {}", e.message())))?;
    let item = match key.ty {
        ValueType::Bool => toml_edit::value(value == "true"),
        ValueType::Integer => toml_edit::value(value.parse::<i64>().unwrap_or(0)),
        ValueType::Text => toml_edit::value(value),
    };
    match doc.get_mut(name) {
        // Keep the existing decor (comments before and after the value).
        Some(toml_edit::Item::Value(v)) => {
            let decor = v.decor().clone();
            doc[name] = item;
            if let Some(v) = doc[name].as_value_mut() {
                *v.decor_mut() = decor;
            }
        }
        _ => doc[name] = item,
    }
    let out = doc.to_string();
    parse(&out)?;
    Ok(out)
}

/// The config file `init` writes, with comments.
pub fn template(domain: &str, hostname: &str, data_dir: &Path, database: Option<&str>) -> String {
    let db = match database {
        Some(url) => format!("database = {}\n", toml_edit::value(url)),
        None => "# database = \"postgres://mailctl@localhost/mailctl\"   # default: SQLite in data_dir\n".into(),
    };
    format!(
        "# mailctl configuration. Edit with `mailctl config set KEY VALUE`; see `mailctl config show`.\n\
         \n\
         # The domain this instance was set up for; more with `mailctl domain add`.\n\
         primary_domain = {}\n\
         \n\
         # The mail host's name, used in the SMTP banner, EHLO and certificates.\n\
         hostname = {}\n\
         \n\
         # Mail, keys and the SQLite database. Relative paths are relative to this file.\n\
         data_dir = {}\n\
         \n\
         {db}",
        toml_edit::value(domain),
        toml_edit::value(hostname),
        toml_edit::value(data_dir.display().to_string()),
    )
}
