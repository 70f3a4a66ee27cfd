//! `outbound25`: can this host open connections to port 25 elsewhere? A bounded connect to
//! `doctor_probe_mx`; many providers block it, and mail then waits in the queue.

use std::time::Duration;

use super::{Check, Ctx};

const LIMIT: Duration = Duration::from_secs(5);

pub async fn run(ctx: &Ctx<'_>) -> Vec<Check> {
    let target = ctx.cfg.server.doctor_probe_mx.clone();
    if target.is_empty() {
        return vec![Check::unknown("outbound25", "doctor_probe_mx is empty: no host to try")];
    }
    let with_port = if target.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        target.clone()
    } else {
        format!("{target}:25")
    };
    vec![match tokio::time::timeout(LIMIT, tokio::net::TcpStream::connect(&with_port)).await {
        Ok(Ok(_)) => Check::pass("outbound25", format!("connected to {with_port}")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => Check::warn(
            "outbound25",
            format!("{with_port} refused the connection"),
            "mailctl config set doctor_probe_mx <a mail server that answers on 25>",
        ),
        Ok(Err(e)) => Check::unknown("outbound25", format!("{with_port}: {e}")),
        Err(_) => Check::fail(
            "outbound25",
            format!("no connection to {with_port} within 5 s: outbound port 25 blocked by the provider?"),
            "ask your provider to open outbound port 25, or send through a relay: mailctl config set relayhost [smtp.provider.net]:587",
        ),
    }]
}
