//! `mailctl filter test`

use std::net::IpAddr;
use std::path::PathBuf;

use clap::Subcommand;

use super::Ctx;
use crate::error::Result;
use crate::ops::filter as ops;

#[derive(Debug, Subcommand)]
pub enum FilterCmd {
    /// Run a message file through the inbound filters (blocklists, SPF/DKIM/DMARC/ARC, spam and
    /// virus scanners, the decision) as if a client had sent it on port 25; nothing is delivered
    Test {
        /// The message (RFC 5322; LF or CRLF line ends)
        file: PathBuf,
        /// The client's address
        #[arg(long, default_value = "127.0.0.1")]
        ip: IpAddr,
        /// The client's EHLO name
        #[arg(long, default_value = "localhost")]
        helo: String,
        /// The envelope sender (empty: the null sender)
        #[arg(long, default_value = "")]
        from: String,
        /// An envelope recipient (repeat for more)
        #[arg(long, required = true)]
        to: Vec<String>,
    },
}

pub async fn run(cmd: FilterCmd, ctx: &mut Ctx) -> Result<()> {
    match cmd {
        FilterCmd::Test { file, ip, helo, from, to } => {
            let env = ops::Envelope { ip, helo, from, to };
            let trial = ops::test(&ctx.config, &file, &env).await?;
            let j = ops::to_json(&trial);
            if ctx.out.json {
                ctx.out.json(&j)?;
                return Ok(());
            }
            let mut lines = vec![format!("action: {}", j["action"].as_str().unwrap_or(""))];
            if let Some(r) = j["reply"].as_str() {
                lines.push(format!("reply:  {r}"));
            }
            lines.push(format!("reason: {}", j["reason"].as_str().unwrap_or("")));
            if let Some(c) = &trial.checked {
                lines.push(String::new());
                lines.push(c.headers.trim_end().replace("\r\n", "\n"));
            }
            for l in lines {
                ctx.out.line(l)?;
            }
            Ok(())
        }
    }
}
