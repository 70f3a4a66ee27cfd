//! Shell completions and man pages, generated from the clap definitions, and the config
//! reference, generated from the key table. `mailctl generate-docs --out .` rewrites
//! `completions/`, `man/` and `docs/CONFIG.md`; a test checks they are current.

use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use super::output::Out;
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The directory that holds completions/ and man/
    #[arg(long, default_value = ".")]
    pub out: PathBuf,
}

pub fn completions(args: CompletionsArgs, mut out: Out) -> Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "mailctl", &mut buf);
    out.line(String::from_utf8_lossy(&buf).trim_end())?;
    out.flush()?;
    Ok(())
}

/// Every generated file: (relative path, contents).
pub fn render() -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    for (shell, name) in [(Shell::Bash, "mailctl.bash"), (Shell::Zsh, "_mailctl"), (Shell::Fish, "mailctl.fish")] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "mailctl", &mut buf);
        files.push((Path::new("completions").join(name), buf));
    }
    let mut cmd = Cli::command();
    cmd.build();
    man_pages(&cmd, "mailctl", &mut files);
    files.push((Path::new("docs").join("CONFIG.md"), config_reference().into_bytes()));
    files
}

/// Every config key by section: type, default and help, as `docs/CONFIG.md`.
pub fn config_reference() -> String {
    use crate::config::{KEYS, ValueType};
    // Markdown would read `<host>` as an HTML tag.
    let md = |s: &str| s.replace('<', "\\<").replace('|', "\\|");
    let mut out = String::from(
        "# Configuration keys\n\n\
         Generated from `src/config/keys.rs` by `mailctl generate-docs --out .`; do not edit by hand.\n\
         Set a key with `mailctl config set KEY VALUE`; `mailctl config show` lists the effective values.\n",
    );
    let mut sections: Vec<&str> = Vec::new();
    for k in KEYS {
        if !sections.contains(&k.section) {
            sections.push(k.section);
        }
    }
    for section in sections {
        out.push_str(&format!(
            "\n## {section}\n\n| key | type | default | what it is for |\n| --- | --- | --- | --- |\n"
        ));
        for k in KEYS.iter().filter(|k| k.section == section) {
            let ty = match k.ty {
                ValueType::Text => "text",
                ValueType::Integer => "integer",
                ValueType::Bool => "boolean",
            };
            let default = (k.default)().map(|d| md(&d)).unwrap_or_else(|| "(none)".into());
            out.push_str(&format!("| `{}` | {ty} | {default} | {} |\n", k.name, md(k.about)));
        }
    }
    out
}

fn man_pages(cmd: &clap::Command, name: &str, files: &mut Vec<(PathBuf, Vec<u8>)>) {
    let mut buf = Vec::new();
    let page = cmd.clone().name(clap::builder::Str::from(name.to_string().leak() as &str));
    clap_mangen::Man::new(page).render(&mut buf).expect("rendering to memory");
    files.push((Path::new("man").join(format!("{name}.1")), buf));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set() && s.get_name() != "help") {
        man_pages(sub, &format!("{name}-{}", sub.get_name()), files);
    }
}

pub fn generate(args: GenerateArgs) -> Result<()> {
    for dir in ["completions", "man"] {
        let d = args.out.join(dir);
        if d.exists() {
            std::fs::remove_dir_all(&d).map_err(|e| Error::io("clearing", &d, e))?;
        }
    }
    for (rel, data) in render() {
        let path = args.out.join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| Error::io("creating", p, e))?;
        }
        std::fs::write(&path, data).map_err(|e| Error::io("writing", &path, e))?;
    }
    Ok(())
}
