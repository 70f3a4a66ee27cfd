//! Shell completions and man pages, generated from the clap definitions.
//! `mailctl generate-docs --out .` rewrites `completions/` and `man/`; a test checks they
//! are current.

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
    files
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
