//! Delivery status notifications (RFC 3464, multipart/report per RFC 6522): the bounce a
//! sender gets for recipients that could not take a message we accepted.

use std::fmt::Write;

/// One recipient that failed.
pub struct Failed<'a> {
    pub recipient: &'a str,
    /// Enhanced status code (RFC 3463), e.g. "5.2.2".
    pub status: &'a str,
    /// The diagnostic, as an SMTP reply would say it.
    pub diagnostic: &'a str,
}

/// The header section of a message (up to the first empty line), for text/rfc822-headers.
pub fn headers(original: &[u8]) -> &[u8] {
    let fields = crate::proto::mime::header::fields_only(original);
    &fields[..fields.len().min(64 * 1024)]
}

/// Build the DSN message (CRLF line ends). `id` makes the boundary and Message-ID unique.
pub fn build(hostname: &str, id: &str, to: &str, arrival: i64, failed: &[Failed<'_>], original: &[u8]) -> Vec<u8> {
    let date = chrono::Utc::now().format("%a, %d %b %Y %H:%M:%S +0000").to_string();
    let arrived = chrono::DateTime::from_timestamp(arrival, 0)
        .map(|d| d.format("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_else(|| date.clone());
    let boundary = format!("mailctl-dsn-{id}");
    // All 4.x.x: a delay warning (RFC 3464 Action: delayed), the message is still queued.
    let delayed = !failed.is_empty() && failed.iter().all(|f| f.status.starts_with('4'));
    let (subject, intro, action) = if delayed {
        (
            "Delayed Mail (still being retried)",
            "Your message has not been delivered yet to these recipients; delivery will be retried:",
            "delayed",
        )
    } else {
        ("Undelivered Mail Returned to Sender", "Your message could not be delivered to these recipients:", "failed")
    };
    let mut m = String::new();
    let _ = write!(
        m,
        "From: Mail Delivery System <MAILER-DAEMON@{hostname}>\r\n\
         To: <{to}>\r\n\
         Subject: {subject}\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}.dsn@{hostname}>\r\n\
         Auto-Submitted: auto-replied\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: multipart/report; report-type=delivery-status; boundary=\"{boundary}\"\r\n\
         \r\n\
         This is a delivery status notification (RFC 3464).\r\n\
         \r\n\
         --{boundary}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         {intro}\r\n\r\n"
    );
    for f in failed {
        let _ = write!(m, "  <{}>: {}\r\n", f.recipient, f.diagnostic);
    }
    let _ = write!(
        m,
        "\r\n--{boundary}\r\n\
         Content-Type: message/delivery-status\r\n\
         \r\n\
         Reporting-MTA: dns; {hostname}\r\n\
         X-Mailctl-Queue-ID: {id}\r\n\
         Arrival-Date: {arrived}\r\n"
    );
    for f in failed {
        let _ = write!(
            m,
            "\r\nFinal-Recipient: rfc822; {}\r\nAction: {action}\r\nStatus: {}\r\nDiagnostic-Code: smtp; {}\r\n",
            f.recipient, f.status, f.diagnostic
        );
    }
    let _ = write!(m, "\r\n--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n");
    let mut out = m.into_bytes();
    out.extend_from_slice(headers(original));
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_shape() {
        let original = b"Subject: hello\r\nFrom: a@b.example\r\n\r\nsecret body\r\n";
        let f = [Failed { recipient: "x@example.com", status: "5.2.2", diagnostic: "552 5.2.2 mailbox full" }];
        let dsn = String::from_utf8(build("mx.example.com", "abc", "a@b.example", 0, &f, original)).unwrap();
        assert!(
            dsn.contains("Content-Type: multipart/report; report-type=delivery-status; boundary=\"mailctl-dsn-abc\"")
        );
        assert!(dsn.contains("Final-Recipient: rfc822; x@example.com\r\nAction: failed\r\nStatus: 5.2.2"));
        assert!(dsn.contains("Subject: hello") && !dsn.contains("secret body"), "headers only");
        assert!(dsn.ends_with("--mailctl-dsn-abc--\r\n"));
        assert!(!dsn.replace("\r\n", "").contains('\n'), "CRLF only");
    }
}
