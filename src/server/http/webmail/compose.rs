//! Writing mail: the composer (empty, or a reply, reply to all, or forward filled in from the
//! message) and sending it through `ops::submit`, the rules of port 587: From is the account
//! or one of its aliases, the recipients routed as for an authenticated client, DKIM and the
//! outbound queue for other domains, a copy in Sent. The message is built by mail-builder.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Multipart, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use mail_parser::MessageParser;
use serde::Deserialize;

use super::pages::{self, ComposePage, Draft};
use super::{CSS_PATH, Member, checked, failed, page, see_other};
use crate::error::Kind;
use crate::httpd::Transport;
use crate::ops::webmail::preferences;
use crate::server::Shared;
use crate::store::identities::Identity;

/// What the composer is asked to fill in.
#[derive(Deserialize)]
pub struct Start {
    folder: Option<String>,
    reply: Option<i64>,
    all: Option<u8>,
    forward: Option<i64>,
    /// Forward as an attachment (message/rfc822) rather than inline.
    attach: Option<u8>,
    /// Reopen this message of Drafts.
    draft: Option<i64>,
}

/// The addresses of a header as (display name, address) pairs; entries without an address
/// (a group's name) are left out.
fn pairs(a: Option<&mail_parser::Address<'_>>) -> Vec<(Option<String>, String)> {
    a.map(|a| {
        a.iter()
            .filter_map(|x| Some((x.name().map(str::to_string), x.address()?.trim().to_string())))
            .filter(|(_, a)| !a.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// The addresses in a header's value ("Ann <ann@example.com>, bob@example.org"), parsed by
/// mail-parser as the To field.
fn addresses(value: &str) -> Vec<(Option<String>, String)> {
    let header = format!("To: {}\r\n\r\n", value.replace(['\r', '\n'], " "));
    MessageParser::new().parse_headers(header.as_bytes()).map(|m| pairs(m.to())).unwrap_or_default()
}

fn shown(list: &[(Option<String>, String)]) -> String {
    list.iter()
        .map(|(n, a)| match n {
            Some(n) if !n.is_empty() => format!("{n} <{a}>"),
            _ => a.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A saved draft, back in the composer as it was written.
fn reopened(raw: &[u8], uid: i64) -> Draft {
    let Some(m) = MessageParser::default().parse(raw) else { return Draft::default() };
    let text = |v: Option<&str>| v.unwrap_or_default().to_string();
    let refs: Vec<String> =
        m.references().as_text_list().map(|l| l.iter().map(|r| format!("<{r}>")).collect()).unwrap_or_default();
    Draft {
        to: shown(&pairs(m.to())),
        cc: shown(&pairs(m.cc())),
        bcc: shown(&pairs(m.bcc())),
        subject: text(m.subject()),
        body: m.body_text(0).map(|t| t.trim_end_matches('\n').to_string()).unwrap_or_default(),
        in_reply_to: m.in_reply_to().as_text().map(|r| format!("<{r}>")).unwrap_or_default(),
        references: refs.join(" "),
        draft_uid: Some(uid),
        ..Draft::default()
    }
}

/// A reply or forward of a message, filled in.
fn prefilled(raw: &[u8], me: &str, reply: bool, all: bool) -> Draft {
    let Some(m) = MessageParser::default().parse(raw) else { return Draft::default() };
    let subject = m.subject().unwrap_or_default().to_string();
    let from = pairs(m.from());
    let text = m.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let date = m.date().map(|d| d.to_rfc822()).unwrap_or_default();
    let mut d = Draft::default();
    if reply {
        let reply_to = pairs(m.reply_to());
        let to = if reply_to.is_empty() { from.clone() } else { reply_to };
        d.to = shown(&to);
        if all {
            let mut cc: Vec<_> = pairs(m.to()).into_iter().chain(pairs(m.cc())).collect();
            cc.retain(|(_, a)| !a.eq_ignore_ascii_case(me) && !to.iter().any(|(_, t)| t.eq_ignore_ascii_case(a)));
            d.cc = shown(&cc);
        }
        let lower = subject.to_ascii_lowercase();
        d.subject = if lower.starts_with("re:") { subject.clone() } else { format!("Re: {subject}") };
        let quoted: String = text.lines().map(|l| format!("> {l}\n")).collect();
        d.body = format!("\n\nOn {date}, {} wrote:\n{quoted}", shown(&from));
        if let Some(id) = m.message_id() {
            d.in_reply_to = id.to_string();
            let mut refs: Vec<String> =
                m.references().as_text_list().map(|l| l.iter().map(|r| r.to_string()).collect()).unwrap_or_default();
            refs.push(id.to_string());
            d.references = refs.join(" ");
        }
    } else {
        let lower = subject.to_ascii_lowercase();
        d.subject = if lower.starts_with("fwd:") { subject.clone() } else { format!("Fwd: {subject}") };
        d.body = format!(
            "\n\n---------- Forwarded message ----------\nFrom: {}\nDate: {date}\nSubject: {subject}\nTo: {}\n\n{text}",
            shown(&from),
            shown(&pairs(m.to()))
        );
    }
    d
}

pub async fn compose(State(shared): State<Arc<Shared>>, member: Member, Query(q): Query<Start>) -> Response {
    let store = shared.store();
    let folders = match crate::ops::webmail::folders(&store, &member.account).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let ids = match preferences::identities(&store, &member.account).await {
        Ok(i) => i,
        Err(e) => return failed(e),
    };
    let mut draft = Draft { from: member.account.address.clone(), ..Draft::default() };
    if let Some(uid) = q.draft {
        match crate::ops::webmail::open(&store, &member.account, crate::store::maildir::DRAFTS, uid).await {
            Ok(o) => {
                let from = MessageParser::default()
                    .parse_headers(&o.raw)
                    .and_then(|m| m.from().and_then(|f| f.first()).and_then(|a| a.address()).map(str::to_string));
                draft = Draft { from: from.unwrap_or(draft.from), ..reopened(&o.raw, uid) };
            }
            Err(e) => return failed(e),
        }
    } else if let (Some(folder), Some(uid)) = (&q.folder, q.reply.or(q.forward)) {
        match crate::ops::webmail::open(&store, &member.account, folder, uid).await {
            Ok(o) if q.forward.is_some() && q.attach == Some(1) => {
                let subject =
                    MessageParser::default().parse_headers(&o.raw).and_then(|m| m.subject().map(str::to_string));
                draft.subject = format!("Fwd: {}", subject.unwrap_or_default());
                draft.attach = Some((folder.clone(), uid));
            }
            Ok(o) => {
                draft = Draft {
                    from: member.account.address.clone(),
                    ..prefilled(&o.raw, &member.account.address, q.reply.is_some(), q.all == Some(1))
                }
            }
            Err(e) => return failed(e),
        }
    }
    if q.draft.is_none() {
        let sig = ids.iter().find(|i| i.address == draft.from).map(|i| i.signature.as_str()).unwrap_or_default();
        draft.body = signed(&draft.body, sig);
    }
    let limit = shared.config().server.message_size_limit;
    composer(StatusCode::OK, &member, &folders, &ids, &draft, None, limit)
}

/// The answer to the composer's script saving a draft: `{"draft": uid}`, or a problem.
fn saved(outcome: Result<Option<i64>, String>) -> Response {
    use axum::response::IntoResponse;
    match outcome {
        Ok(uid) => axum::Json(serde_json::json!({ "draft": uid })).into_response(),
        Err(e) => {
            let body = serde_json::json!({ "title": "The draft was not saved", "detail": e });
            let mut r = (StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response();
            r.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static("application/problem+json"),
            );
            r
        }
    }
}

/// A new text with the signature above what it quotes or forwards, after the "-- " line
/// (RFC 3676 §4.3) that lets readers' programs tell it apart.
fn signed(body: &str, signature: &str) -> String {
    if signature.is_empty() { body.to_string() } else { format!("\n\n-- \n{signature}{body}") }
}

/// The composer page.
fn composer(
    status: StatusCode,
    member: &Member,
    folders: &[crate::ops::webmail::Folder],
    identities: &[Identity],
    draft: &Draft,
    error: Option<&str>,
    limit: u64,
) -> Response {
    let p = ComposePage { chrome: member.chrome(folders), identities, draft, error, limit };
    page(status, pages::compose(&CSS_PATH, &p))
}

/// An uploaded file.
struct Upload {
    name: String,
    content_type: String,
    data: Vec<u8>,
}

/// Read the composer's form: its fields and files, within `limit` bytes of files in all.
async fn read_form(mut form: Multipart, limit: u64) -> Result<(Draft, String, Vec<Upload>), String> {
    let (mut d, mut csrf, mut files, mut total) = (Draft::default(), String::new(), Vec::new(), 0u64);
    while let Some(field) = form.next_field().await.map_err(|e| format!("the form could not be read: {e}"))? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "attachment" {
            let file = field.file_name().unwrap_or_default().to_string();
            let ct = field.content_type().unwrap_or("application/octet-stream").to_string();
            let data = field.bytes().await.map_err(|e| format!("an attachment could not be read: {e}"))?;
            if file.is_empty() && data.is_empty() {
                continue;
            }
            // Base64 in the message: four bytes for every three.
            total += (data.len() as u64).div_ceil(3) * 4;
            if total > limit {
                return Err(format!("the attachments are larger than {}", crate::size::human(limit)));
            }
            files.push(Upload { name: file, content_type: ct, data: data.to_vec() });
            continue;
        }
        let text = field.text().await.map_err(|e| format!("the form could not be read: {e}"))?;
        match name.as_str() {
            "csrf" => csrf = text,
            "from" => d.from = text,
            "to" => d.to = text,
            "cc" => d.cc = text,
            "bcc" => d.bcc = text,
            "subject" => d.subject = text,
            "body" => d.body = text,
            "in_reply_to" => d.in_reply_to = text,
            "references" => d.references = text,
            "save" => d.save = text == "draft",
            "autosave" => d.autosave = text == "1",
            "draft" => d.draft_uid = text.parse().ok(),
            "attach_folder" => d.attach = Some((text, d.attach.as_ref().map_or(0, |a| a.1))),
            "attach_uid" => {
                let uid = text.parse().unwrap_or(0);
                d.attach = Some((d.attach.take().map(|a| a.0).unwrap_or_default(), uid));
            }
            _ => {}
        }
    }
    Ok((d, csrf, files))
}

/// The message as written: headers, the text, the attachments.
/// `name` is the display name the member set for the From address.
fn build(
    d: &Draft,
    name: Option<&str>,
    files: &[Upload],
    forwarded: Option<&[u8]>,
    hostname: &str,
) -> std::io::Result<Vec<u8>> {
    use mail_builder::MessageBuilder;
    use mail_builder::headers::address::Address;
    let list = |v: &str| -> Vec<Address<'static>> {
        addresses(v).into_iter().map(|(n, a)| Address::new_address(n, a)).collect()
    };
    let mut m = MessageBuilder::new()
        .from(Address::new_address(name.filter(|n| !n.is_empty()).map(str::to_string), d.from.clone()))
        .subject(d.subject.replace(['\r', '\n'], " "))
        .message_id(format!("{}@{hostname}", crate::ids::new_id()))
        .date(chrono::Utc::now().timestamp())
        .text_body(d.body.replace("\r\n", "\n"));
    let to = list(&d.to);
    if !to.is_empty() {
        m = m.to(to);
    }
    let cc = list(&d.cc);
    if !cc.is_empty() {
        m = m.cc(cc);
    }
    // A message id's characters only (RFC 5322 msg-id: atext, '.', '@', brackets): a line
    // break or anything else in these hidden fields never reaches the header.
    let strip = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '(' | ')' | ',' | ';' | ':' | '\\'))
            .collect::<String>()
    };
    if !d.in_reply_to.trim().is_empty() {
        m = m.in_reply_to(strip(&d.in_reply_to));
    }
    let refs: Vec<String> = d.references.split_whitespace().map(strip).filter(|r| !r.is_empty()).collect();
    if !refs.is_empty() {
        m = m.references(refs);
    }
    for f in files {
        m = m.attachment(f.content_type.clone(), f.name.clone(), f.data.clone());
    }
    if let Some(raw) = forwarded {
        // RFC 2046 §5.2.1: a message/rfc822 body is never base64 or quoted-printable; it goes
        // as it is, 8bit when it has 8-bit bytes.
        let cte = if raw.is_ascii() { "7bit" } else { "8bit" };
        let part = mail_builder::mime::MimePart::new("message/rfc822", raw.to_vec())
            .attachment("forwarded.eml")
            .transfer_encoding(cte);
        m.attachments.get_or_insert_with(Vec::new).push(part);
    }
    m.write_to_vec()
}

pub async fn send(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Extension(transport): Extension<Transport>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    let cfg = shared.config();
    let limit = cfg.server.message_size_limit;
    let store = shared.store();
    if !super::same_origin(&headers) {
        return super::problem(
            StatusCode::FORBIDDEN,
            "Refused",
            "the form did not come from this site: reload the page",
        );
    }
    let (draft, csrf, files, problem) = match read_form(form, limit).await {
        Ok((d, c, f)) => (d, c, f, None),
        Err(e) => (Draft::default(), String::new(), Vec::new(), Some(e)),
    };
    if problem.is_none()
        && let Some(r) = checked(&member, &headers, &csrf)
    {
        return r;
    }
    let outcome: Result<(), String> = match problem {
        Some(p) => Err(p),
        None => {
            let rcpts: Vec<String> =
                [&draft.to, &draft.cc, &draft.bcc].iter().flat_map(|v| addresses(v)).map(|(_, a)| a).collect();
            // The message forwarded as an attachment, read again (it is the member's own).
            let forwarded = match &draft.attach {
                Some((folder, uid)) => match crate::ops::webmail::open(&store, &member.account, folder, *uid).await {
                    Ok(o) => Some(o.raw),
                    Err(e) => return failed(e),
                },
                None => None,
            };
            let ids = match preferences::identities(&store, &member.account).await {
                Ok(i) => i,
                Err(e) => return failed(e),
            };
            let name = ids.iter().find(|i| i.address.eq_ignore_ascii_case(&draft.from)).map(|i| &*i.display_name);
            match build(&draft, name, &files, forwarded.as_deref(), &cfg.hostname) {
                Err(e) => Err(format!("the message could not be built: {e}")),
                Ok(data) if draft.save => {
                    match crate::ops::webmail::save_draft(&store, &member.account, &cfg.hostname, data).await {
                        Ok(uid) => {
                            if let Some(old) = draft.draft_uid
                                && let Err(e) = crate::ops::webmail::discard_draft(&store, &member.account, old).await
                            {
                                return if draft.autosave { saved(Err(e.one_line())) } else { failed(e) };
                            }
                            if draft.autosave {
                                return saved(Ok(uid));
                            }
                            return see_other("/webmail/f/Drafts");
                        }
                        Err(e) if draft.autosave => return saved(Err(e.message)),
                        Err(e) if e.kind == Kind::OverQuota => Err(e.message),
                        Err(e) => return failed(e),
                    }
                }
                Ok(data) => {
                    let client = transport.peer.ip().to_string();
                    let out = crate::ops::submit::Outgoing { from: draft.from.clone(), to: rcpts, data };
                    match crate::ops::submit::submit(&store, &cfg, &member.account, out, &client).await {
                        Ok(sent) => {
                            tracing::info!(id = %sent.id, "webmail: sent");
                            if let Some(old) = draft.draft_uid
                                && let Err(e) = crate::ops::webmail::discard_draft(&store, &member.account, old).await
                            {
                                tracing::warn!(error = %e.one_line(), "webmail: sent, but the draft stays");
                            }
                            return see_other("/webmail/f/Sent");
                        }
                        Err(e) if matches!(e.kind, Kind::Invalid | Kind::Permission | Kind::OverQuota) => {
                            Err(e.message)
                        }
                        Err(e) => return failed(e),
                    }
                }
            }
        }
    };
    let error = outcome.err();
    if draft.autosave {
        return saved(Err(error.unwrap_or_default()));
    }
    let folders = crate::ops::webmail::folders(&store, &member.account).await.unwrap_or_default();
    let ids = preferences::identities(&store, &member.account)
        .await
        .unwrap_or_else(|_| vec![Identity { address: member.account.address.clone(), ..Identity::default() }]);
    composer(StatusCode::UNPROCESSABLE_ENTITY, &member, &folders, &ids, &draft, error.as_deref(), limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_lists_are_parsed_as_mail_headers() {
        let cases: &[(&str, &[&str])] = &[
            ("ann@example.com", &["ann@example.com"]),
            ("Ann <ann@example.com>, bob@example.org", &["ann@example.com", "bob@example.org"]),
            ("\"Doe, Jane\" <jane@example.com>", &["jane@example.com"]),
            ("", &[]),
        ];
        for (input, want) in cases {
            let got: Vec<String> = addresses(input).into_iter().map(|(_, a)| a).collect();
            assert_eq!(got, *want, "{input:?}");
        }
    }

    #[test]
    fn a_line_break_in_a_field_never_makes_a_header_of_its_own() {
        let d = Draft {
            from: "ann@example.com".into(),
            to: "bob@example.com\r\nBcc: evil@example.org".into(),
            subject: "hi\r\nBcc: evil@example.org".into(),
            body: "text".into(),
            ..Draft::default()
        };
        let raw = String::from_utf8(build(&d, None, &[], None, "mail.example.com").unwrap()).unwrap();
        assert!(!raw.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{raw}");
        let d = Draft {
            from: "ann@example.com".into(),
            to: "bob@example.com".into(),
            in_reply_to: "x@y>\r\nFrom: ceo@example.com\r\nX-A: <z".into(),
            references: "<a@b>\r\nFrom: ceo@example.com".into(),
            ..Draft::default()
        };
        let raw = String::from_utf8(build(&d, None, &[], None, "mail.example.com").unwrap()).unwrap();
        assert_eq!(raw.lines().filter(|l| l.to_ascii_lowercase().starts_with("from:")).count(), 1, "{raw}");
    }

    #[test]
    fn a_reply_quotes_the_text_and_threads_and_a_reply_to_all_leaves_me_out() {
        let raw = b"From: Bob <bob@example.org>\r\nTo: ann@example.com, carol@example.net\r\n\
                    Subject: Lunch\r\nMessage-ID: <m1@example.org>\r\nReferences: <m0@example.org>\r\n\r\nNoon?\r\n";
        let d = prefilled(raw, "ann@example.com", true, true);
        assert_eq!(d.to, "Bob <bob@example.org>");
        assert_eq!(d.cc, "carol@example.net");
        assert_eq!(d.subject, "Re: Lunch");
        assert!(d.body.contains("> Noon?"), "{}", d.body);
        assert_eq!(d.in_reply_to, "m1@example.org");
        assert_eq!(d.references, "m0@example.org m1@example.org");
        let f = prefilled(raw, "ann@example.com", false, false);
        assert_eq!((f.subject.as_str(), f.to.as_str()), ("Fwd: Lunch", ""));
        assert!(f.body.contains("Forwarded message") && f.body.contains("Noon?"));
    }

    #[test]
    fn a_message_forwarded_as_an_attachment_goes_as_written_never_base64() {
        let d = Draft { from: "ann@example.com".into(), to: "bob@example.com".into(), ..Draft::default() };
        let original = b"From: carol@example.org\r\nSubject: caf\xc3\xa9\r\n\r\nbody line\r\n";
        let raw = String::from_utf8(build(&d, None, &[], Some(original), "mail.example.com").unwrap()).unwrap();
        let part = raw.split("Content-Type: message/rfc822").nth(1).expect("a message/rfc822 part");
        assert!(part.contains("Content-Transfer-Encoding: 8bit"), "{raw}");
        assert!(part.contains("Subject: café\r\n\r\nbody line"), "{raw}");
    }
}
