//! The webmail, under `/webmail/` on the HTTPS listener (and at `/` of `webmail_host`):
//! sign-in through the same login path, limiter and credential cache as IMAP; the folder tree,
//! a folder's messages newest first, a message with its HTML made safe, attachments, flags,
//! moving (Trash, Junk and Not junk teach the spam filter as IMAP moves do). Pages are
//! rendered on the server (`pages.rs`) without script; sessions and CSRF in `session.rs`;
//! a message's HTML in `safe_html.rs`. Every page is served with a strict
//! Content-Security-Policy, `nosniff`, no referrer, and never cached.

mod compose;
mod events;
mod folders;
mod pages;
mod safe_html;
mod search;
mod session;
mod settings;

use std::sync::{Arc, LazyLock};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Form, FromRequestParts, Path, Query, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST, LOCATION, REFERRER_POLICY,
    RETRY_AFTER, SET_COOKIE, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use mail_parser::{MessageParser, MimeHeaders};
use maud::Markup;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::super::{Login, Shared};
use crate::error::Kind;
use crate::httpd::Transport;
use crate::ops::webmail as ops;
use crate::store::Account;
use crate::store::maildir::Flag;
use crate::store::webmail_sessions::Session;

const CSS: &str = include_str!("webmail.css");
/// The style sheet's path names its content, so it is cached for a year and a new binary's
/// sheet is fetched at once.
static CSS_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/webmail/static/webmail.{}.css", &crate::backup::hex(&Sha256::digest(CSS))[..16]));
const JS: &str = include_str!("webmail.js");
/// The script's path names its content too.
pub(super) static JS_PATH: LazyLock<String> =
    LazyLock::new(|| format!("/webmail/static/webmail.{}.js", &crate::backup::hex(&Sha256::digest(JS))[..16]));
/// The policy of every page but a message's frame: our own style sheet and script (never
/// inline), our own frames and connections, forms to ourselves, never framed by anyone.
const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; \
                        img-src 'self' data:; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; \
                        base-uri 'none'";
/// Messages on a page of a folder.
const PAGE_SIZE: i64 = 50;
/// Most messages one form changes (a page of conversations can hold many).
const MOST_AT_ONCE: usize = 5000;

pub fn routes(shared: Arc<Shared>) -> Router {
    let send_limit =
        usize::try_from(shared.config().server.message_size_limit).unwrap_or(usize::MAX).saturating_add(1 << 20);
    Router::new()
        .route("/", get(root))
        .route("/webmail", get(|| async { see_other("/webmail/") }))
        .route("/webmail/", get(home))
        .route("/webmail/login", get(login_page).post(login))
        .route("/webmail/logout", post(logout))
        .route("/webmail/f/{folder}", get(folder))
        .route("/webmail/f/{folder}/{uid}", get(message))
        .route("/webmail/f/{folder}/{uid}/html", get(message_html))
        .route("/webmail/f/{folder}/{uid}/part/{n}", get(attachment))
        .route("/webmail/f/{folder}/{uid}/flag", post(flag))
        .route("/webmail/f/{folder}/{uid}/move", post(move_message))
        .route("/webmail/f/{folder}/bulk", post(bulk))
        .route("/webmail/f/{folder}/empty", post(empty))
        .route("/webmail/static/{file}", get(static_file))
        .route("/webmail/search", get(search::search))
        .route("/webmail/events", get(events::events))
        .route("/webmail/compose", get(compose::compose))
        .route("/webmail/settings", get(settings::settings))
        .route("/webmail/settings/password", post(settings::password))
        .route("/webmail/settings/vacation", post(settings::vacation))
        .route("/webmail/settings/identity", post(settings::identity))
        .route("/webmail/settings/trusted", post(settings::trusted))
        .route("/webmail/f/{folder}/{uid}/trust", post(trust))
        .route("/webmail/f/{folder}/{uid}/conversation", get(conversation))
        .route("/webmail/addresses", get(addresses))
        .route("/webmail/folders", get(folders::folders).post(folders::change))
        .layer(DefaultBodyLimit::max(64 * 1024))
        // A message with attachments: the size limit, and room for the form's encoding.
        .route("/webmail/send", post(compose::send).layer(DefaultBodyLimit::max(send_limit)))
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(shared)
}

/// Headers every webmail answer carries (a handler's own policy is kept).
async fn secure_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.entry(CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(PAGE_CSP));
    h.entry(X_FRAME_OPTIONS).or_insert(HeaderValue::from_static("DENY"));
    h.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    r
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response()
}

fn page(status: StatusCode, m: Markup) -> Response {
    (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], m.into_string()).into_response()
}

fn problem(status: StatusCode, title: &str, detail: &str) -> Response {
    page(status, pages::problem(&CSS_PATH, title, detail))
}

/// An error of an `ops` call as a page: what was not found is 404, the rest 503 (and logged).
fn failed(e: crate::error::Error) -> Response {
    match e.kind {
        Kind::NotFound => problem(StatusCode::NOT_FOUND, "Not found", &e.message),
        Kind::NoInput => problem(StatusCode::NOT_FOUND, "Not found", "the message is gone"),
        Kind::OverQuota => problem(StatusCode::INSUFFICIENT_STORAGE, "Your mailbox is full", &e.message),
        _ => {
            tracing::error!(error = %e.one_line(), "webmail");
            problem(StatusCode::SERVICE_UNAVAILABLE, "Try again later", "the mail store could not answer")
        }
    }
}

/// HTTPS, or plain HTTP from loopback in dev mode: the cookie is `Secure`, and passwords
/// never cross a network in clear.
fn transport_ok(parts: &Parts, shared: &Shared) -> bool {
    parts
        .extensions
        .get::<Transport>()
        .is_some_and(|t| t.tls || (shared.config().dev_mode && t.peer.ip().is_loopback()))
}

/// A state-changing request comes from our own pages: the browser's `Sec-Fetch-Site`, else
/// its `Origin`, names this site (a request with neither is not a browser's, and the CSRF
/// token still guards it).
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match (headers.get("origin").and_then(|v| v.to_str().ok()), headers.get(HOST).and_then(|v| v.to_str().ok())) {
        (None, _) => true,
        (Some(origin), Some(host)) => origin.strip_prefix("https://").or(origin.strip_prefix("http://")) == Some(host),
        (Some(_), None) => false,
    }
}

/// A signed-in member: their session and account. Without one, GETs go to the sign-in page.
struct Member {
    session: Session,
    account: Account,
}

impl Member {
    /// The frame of a page for this member.
    fn chrome<'a>(&'a self, folders: &'a [ops::Folder]) -> pages::Chrome<'a> {
        pages::Chrome { account: &self.account, csrf: &self.session.csrf, folders }
    }
}

impl FromRequestParts<Arc<Shared>> for Member {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Arc<Shared>) -> Result<Member, Response> {
        if !transport_ok(parts, shared) {
            return Err(problem(StatusCode::FORBIDDEN, "The webmail needs HTTPS", "use https:// in the address"));
        }
        let Some(cookie) = session::cookie(&parts.headers) else { return Err(see_other("/webmail/login")) };
        match session::find(&shared.store(), &cookie).await {
            Ok(Some((session, account))) => Ok(Member { session, account }),
            Ok(None) => Err(see_other("/webmail/login")),
            Err(e) => Err(failed(e)),
        }
    }
}

/// `/` on the webmail host opens the webmail; elsewhere it is not ours.
async fn root(State(shared): State<Arc<Shared>>, req: axum::extract::Request) -> Response {
    let host = crate::httpd::host(&req);
    match &shared.config().dns.webmail_host {
        Some(w) if host.eq_ignore_ascii_case(w) => see_other("/webmail/"),
        _ => (StatusCode::NOT_FOUND, [(CONTENT_TYPE, "text/plain")], "not found\n").into_response(),
    }
}

async fn home(member: Member) -> Response {
    let _ = member;
    see_other("/webmail/f/INBOX")
}

async fn static_file(Path(file): Path<String>) -> Response {
    let path = format!("/webmail/static/{file}");
    let (kind, body) = if path == *CSS_PATH {
        ("text/css; charset=utf-8", CSS)
    } else if path == *JS_PATH {
        ("text/javascript; charset=utf-8", JS)
    } else {
        return problem(StatusCode::NOT_FOUND, "Not found", "no such file");
    };
    ([(CONTENT_TYPE, kind), (CACHE_CONTROL, "public, max-age=31536000, immutable")], body).into_response()
}

async fn login_page(State(shared): State<Arc<Shared>>, parts: Parts) -> Response {
    if !transport_ok(&parts, &shared) {
        return problem(StatusCode::FORBIDDEN, "The webmail needs HTTPS", "use https:// in the address");
    }
    page(StatusCode::OK, pages::login(&CSS_PATH, None, ""))
}

#[derive(Deserialize)]
struct SignIn {
    address: String,
    password: String,
}

async fn login(
    State(shared): State<Arc<Shared>>,
    parts: Parts,
    form: Result<Form<SignIn>, axum::extract::rejection::FormRejection>,
) -> Response {
    if !transport_ok(&parts, &shared) {
        return problem(StatusCode::FORBIDDEN, "The webmail needs HTTPS", "use https:// in the address");
    }
    if !same_origin(&parts.headers) {
        return problem(StatusCode::FORBIDDEN, "Refused", "the sign-in did not come from this site");
    }
    let Ok(Form(f)) = form else {
        return page(StatusCode::BAD_REQUEST, pages::login(&CSS_PATH, Some("Fill in both fields."), ""));
    };
    let Some(peer) = parts.extensions.get::<Transport>().map(|t| t.peer) else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Internal error", "no connection");
    };
    let account = match shared.login(peer, "webmail", f.address.trim(), &f.password).await {
        Login::Ok(a) if a.tier.has_mailbox() => a,
        Login::Ok(_) | Login::Denied => {
            return page(
                StatusCode::UNAUTHORIZED,
                pages::login(&CSS_PATH, Some("Wrong address or password."), &f.address),
            );
        }
        Login::Locked => {
            let mut r = page(
                StatusCode::TOO_MANY_REQUESTS,
                pages::login(
                    &CSS_PATH,
                    Some("Too many failed sign-ins from your address: try again in a few minutes."),
                    &f.address,
                ),
            );
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from_static("300"));
            return r;
        }
        Login::Unavailable => {
            return problem(StatusCode::SERVICE_UNAVAILABLE, "Try again later", "the mail store could not answer");
        }
    };
    let store = shared.store();
    if let Err(e) = crate::ops::mailbox::sync_folders(&store, &account).await {
        return failed(e);
    }
    let old = session::cookie(&parts.headers);
    match session::begin(&store, &account, old.as_deref(), &peer.ip().to_string()).await {
        Ok(value) => {
            let mut r = see_other("/webmail/f/INBOX");
            if let Ok(v) = HeaderValue::from_str(&session::set_cookie(&value)) {
                r.headers_mut().insert(SET_COOKIE, v);
            }
            r
        }
        Err(e) => failed(e),
    }
}

#[derive(Deserialize)]
struct Csrf {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    everywhere: Option<String>,
}

/// The checks of every state-changing form: from our pages, with the session's token. The
/// refusal when they fail.
fn checked(member: &Member, headers: &HeaderMap, csrf: &str) -> Option<Response> {
    (!same_origin(headers) || !session::csrf_ok(&member.session, csrf)).then(|| {
        problem(StatusCode::FORBIDDEN, "Refused", "the form is stale or did not come from this site: reload the page")
    })
}

async fn logout(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Form(f): Form<Csrf>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    if let Err(e) = session::end(&shared.store(), &member.session, f.everywhere.is_some()).await {
        return failed(e);
    }
    let mut r = see_other("/webmail/login");
    if let Ok(v) = HeaderValue::from_str(&session::clear_cookie()) {
        r.headers_mut().insert(SET_COOKIE, v);
    }
    r
}

#[derive(Deserialize)]
struct Before {
    before: Option<i64>,
    /// `threads`: the conversations view.
    view: Option<String>,
}

async fn folder(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Path(folder): Path<String>,
    Query(q): Query<Before>,
) -> Response {
    let store = shared.store();
    let folders = match ops::folders(&store, &member.account).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    if q.view.as_deref() == Some("threads") {
        let (list, next) =
            match ops::conversations::page(&store, &member.account, &folder, q.before, PAGE_SIZE as usize).await {
                Ok(p) => p,
                Err(e) => return failed(e),
            };
        let p = pages::FolderPage {
            chrome: member.chrome(&folders),
            folder: &folder,
            messages: &[],
            conversations: Some(&list),
            next,
        };
        return page(StatusCode::OK, pages::folder(&CSS_PATH, &p));
    }
    let (_, messages, next) = match ops::page(&store, &member.account, &folder, q.before, PAGE_SIZE).await {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let p = pages::FolderPage {
        chrome: member.chrome(&folders),
        folder: &folder,
        messages: &messages,
        conversations: None,
        next,
    };
    page(StatusCode::OK, pages::folder(&CSS_PATH, &p))
}

async fn conversation(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Path((folder, uid)): Path<(String, i64)>,
) -> Response {
    let store = shared.store();
    let folders = match ops::folders(&store, &member.account).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    let messages = match ops::conversations::of(&store, &member.account, &folder, uid).await {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let p = pages::ConversationPage { chrome: member.chrome(&folders), folder: &folder, messages: &messages };
    page(StatusCode::OK, pages::conversation(&CSS_PATH, &p))
}

#[derive(Deserialize)]
struct Typed {
    #[serde(default)]
    q: String,
}

/// Address suggestions for the composer, as a JSON list of addresses.
async fn addresses(State(shared): State<Arc<Shared>>, member: Member, Query(t): Query<Typed>) -> Response {
    match ops::correspondents::suggest(&shared.store(), &member.account, &t.q, SUGGESTIONS).await {
        Ok(list) => axum::Json(list).into_response(),
        Err(e) => failed(e),
    }
}

/// Addresses suggested at a time.
const SUGGESTIONS: usize = 10;

#[derive(Deserialize)]
struct Remote {
    remote: Option<u8>,
}

/// The message's HTML part, if it has a real one (not text that the parser turned to HTML).
fn html_of(m: &mail_parser::Message<'_>) -> Option<String> {
    let mut html = m.html_part(0).filter(|p| p.is_text_html()).and_then(|_| m.body_html(0))?.into_owned();
    if html.len() > MAX_HTML {
        let mut cut = MAX_HTML;
        while !html.is_char_boundary(cut) {
            cut -= 1;
        }
        html.truncate(cut);
    }
    Some(html)
}

/// Our own verdict on the message: the topmost Authentication-Results header (the one we add
/// at delivery, above any other; forged copies of ours were removed), when its authserv-id
/// is exactly ours.
fn verdict(m: &mail_parser::Message<'_>, authserv_id: &str) -> Option<String> {
    let text = m.header_values("Authentication-Results").filter_map(|v| v.as_text()).next()?;
    let mut tokens = text.split(|c: char| c == ';' || c.is_whitespace()).filter(|t| !t.is_empty());
    if !tokens.next()?.eq_ignore_ascii_case(authserv_id) {
        return None;
    }
    tokens.find_map(|t| t.strip_prefix("dmarc=")).map(|r| format!("DMARC {r}"))
}

/// Whether a message's From address may be believed, so that a trusted sender's remote
/// content is shown: only when our own DMARC check passed; when this server does not check
/// senders (`inbound_auth = false`), the administrator chose to believe them.
fn sender_believed(verdict: Option<&str>, checking: bool) -> bool {
    match verdict {
        Some(v) => v.eq_ignore_ascii_case("DMARC pass"),
        None => !checking,
    }
}

/// The most HTML a message view cleans (the rest is cut: a message is read, not archived here).
const MAX_HTML: usize = 2 << 20;

/// What the message page shows of a message.
struct View {
    headers: Vec<(&'static str, String)>,
    text: Option<String>,
    has_html: bool,
    blocked: usize,
    attachments: Vec<pages::Attachment>,
    verdict: Option<String>,
    /// The first From address, lower case.
    sender: Option<String>,
}

/// The first From address of a message, lower case.
fn sender_of(m: &mail_parser::Message<'_>) -> Option<String> {
    m.from().and_then(|f| f.first()).and_then(|a| a.address()).map(str::to_lowercase)
}

fn view(raw: &[u8], authserv_id: &str) -> Option<View> {
    let m = MessageParser::default().parse(raw)?;
    let addresses = |a: Option<&mail_parser::Address<'_>>| {
        a.map(|a| {
            a.iter()
                .map(|x| match (x.name(), x.address()) {
                    (Some(n), Some(ad)) => format!("{n} <{ad}>"),
                    (None, Some(ad)) => ad.to_string(),
                    (Some(n), None) => n.to_string(),
                    _ => String::new(),
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
    };
    let mut headers = vec![
        ("Subject", m.subject().unwrap_or_default().to_string()),
        ("From", addresses(m.from())),
        ("To", addresses(m.to())),
    ];
    if m.cc().is_some() {
        headers.push(("Cc", addresses(m.cc())));
    }
    if let Some(d) = m.date() {
        headers.push(("Date", d.to_rfc3339()));
    }
    let html = html_of(&m);
    let blocked = html.as_deref().map(|h| safe_html::clean(h, false).blocked).unwrap_or(0);
    let attachments = m
        .attachments()
        .enumerate()
        .map(|(index, a)| pages::Attachment {
            index,
            name: a.attachment_name().map(str::to_string).unwrap_or_else(|| format!("attachment-{}", index + 1)),
            content_type: content_type(a),
            size: a.len(),
        })
        .collect();
    Some(View {
        headers,
        text: m.body_text(0).map(|t| t.into_owned()),
        has_html: html.is_some(),
        blocked,
        attachments,
        verdict: verdict(&m, authserv_id),
        sender: sender_of(&m),
    })
}

async fn message(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Path((folder, uid)): Path<(String, i64)>,
    Query(q): Query<Remote>,
) -> Response {
    let store = shared.store();
    let opened = match ops::open(&store, &member.account, &folder, uid).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    if !opened.flags.has(Flag::SEEN)
        && let Err(e) = ops::set_flag(&store, &member.account, &opened.mailbox, &[uid], Flag::SEEN, true).await
    {
        tracing::warn!(error = %e.one_line(), "webmail: marking a message read");
    }
    let folders = match ops::folders(&store, &member.account).await {
        Ok(f) => f,
        Err(e) => return failed(e),
    };
    // Parsing and cleaning a large message is CPU work: off the async threads.
    let authserv_id = shared.filters().authserv_id().to_string();
    let viewed = crate::store::blocking(move || Ok(view(&opened.raw, &authserv_id).map(|v| (v, opened.flags)))).await;
    let Ok(Some((v, flags))) = viewed else {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "This message cannot be read", "it is not a mail message");
    };
    // A sender the member trusts has its remote content shown, unless our own DMARC check
    // failed (the From address is then likely forged).
    let trusted = match &v.sender {
        Some(sender) if v.blocked > 0 && sender_believed(v.verdict.as_deref(), shared.config().filter.inbound_auth) => {
            match ops::preferences::trusts(&store, &member.account, sender).await {
                Ok(t) => t,
                Err(e) => return failed(e),
            }
        }
        _ => false,
    };
    let remote = q.remote == Some(1) || trusted;
    let p = pages::MessagePage {
        chrome: member.chrome(&folders),
        folder: &folder,
        uid,
        headers: v.headers,
        text: v.text,
        has_html: v.has_html,
        remote,
        blocked: v.blocked,
        attachments: v.attachments,
        flagged: flags.has(Flag::FLAGGED),
        verdict: v.verdict,
        sender: v.sender,
        trusted,
        draft: folder == crate::store::maildir::DRAFTS && flags.has(Flag::DRAFT),
    };
    page(StatusCode::OK, pages::message(&CSS_PATH, &p))
}

/// A part's declared type, if it is a plain `type/subtype` (else octet-stream).
fn content_type(p: &mail_parser::MessagePart<'_>) -> String {
    let t = p
        .content_type()
        .map(|c| format!("{}/{}", c.ctype(), c.subtype().unwrap_or("octet-stream")).to_ascii_lowercase())
        .unwrap_or_else(|| "application/octet-stream".into());
    let plain = t.len() <= 100 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"/.+-_".contains(&b));
    // Nothing a page of ours could load as script, style or markup from our own origin.
    let active = ["script", "html", "xml", "css", "svg"].iter().any(|a| t.contains(a));
    if plain && !active { t } else { "application/octet-stream".into() }
}

async fn message_html(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Path((folder, uid)): Path<(String, i64)>,
    Query(q): Query<Remote>,
) -> Response {
    let opened = match ops::open(&shared.store(), &member.account, &folder, uid).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let remote = q.remote == Some(1);
    let cleaned = crate::store::blocking(move || {
        let html = MessageParser::default().parse(&opened.raw).as_ref().and_then(html_of).unwrap_or_default();
        Ok(safe_html::clean(&html, remote))
    })
    .await;
    let Ok(cleaned) = cleaned else { return problem(StatusCode::SERVICE_UNAVAILABLE, "Try again later", "busy") };
    let csp = format!("{}; frame-ancestors 'self'", if remote { safe_html::CSP_REMOTE } else { safe_html::CSP });
    let mut r = (StatusCode::OK, [(CONTENT_TYPE, "text/html; charset=utf-8")], safe_html::document(&cleaned.html))
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut().insert(CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut().insert(X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    r
}

async fn attachment(
    State(shared): State<Arc<Shared>>,
    member: Member,
    Path((folder, uid, n)): Path<(String, i64, usize)>,
) -> Response {
    let opened = match ops::open(&shared.store(), &member.account, &folder, uid).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let Some(m) = MessageParser::default().parse(&opened.raw) else {
        return problem(StatusCode::NOT_FOUND, "Not found", "no such attachment");
    };
    let Some(a) = m.attachments().nth(n) else {
        return problem(StatusCode::NOT_FOUND, "Not found", "no such attachment");
    };
    let name = a.attachment_name().map(str::to_string).unwrap_or_else(|| format!("attachment-{}", n + 1));
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    let encoded = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let mut r = (StatusCode::OK, a.contents().to_vec()).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type(a)) {
        h.insert(CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    r
}

/// "Always show remote content from this sender": the message's own From address.
async fn trust(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Path((folder, uid)): Path<(String, i64)>,
    Form(f): Form<Csrf>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    let store = shared.store();
    let opened = match ops::open(&store, &member.account, &folder, uid).await {
        Ok(o) => o,
        Err(e) => return failed(e),
    };
    let Some(sender) = MessageParser::new().parse_headers(&opened.raw).as_ref().and_then(sender_of) else {
        return problem(StatusCode::UNPROCESSABLE_ENTITY, "Refused", "the message names no sender");
    };
    match ops::preferences::trust(&store, &member.account, &sender).await {
        Ok(()) => see_other(&format!("/webmail/f/{}/{uid}", pages::seg(&folder))),
        Err(e) if e.kind == Kind::Invalid => problem(StatusCode::UNPROCESSABLE_ENTITY, "Refused", &e.message),
        Err(e) => failed(e),
    }
}

/// What a form asks to do with messages.
enum Action {
    Flag(Flag, bool),
    Move(String),
}

impl Action {
    /// A button's value: `read`, `unread`, `flagged`, `unflagged`, or `move` (to `to`).
    fn parse(name: &str, to: Option<&str>) -> Option<Action> {
        Some(match name {
            "read" => Action::Flag(Flag::SEEN, true),
            "unread" => Action::Flag(Flag::SEEN, false),
            "flagged" => Action::Flag(Flag::FLAGGED, true),
            "unflagged" => Action::Flag(Flag::FLAGGED, false),
            "move" => Action::Move(to.filter(|t| !t.is_empty())?.to_string()),
            _ => return None,
        })
    }
}

/// Apply `action` to messages of a folder; moving into or out of Junk teaches the spam filter
/// as IMAP's moves do.
async fn apply(shared: &Arc<Shared>, member: &Member, folder: &str, uids: &[i64], action: Action) -> Option<Response> {
    let store = shared.store();
    let mailbox = match ops::mailbox(&store, &member.account, folder).await {
        Ok(m) => m,
        Err(e) => return Some(failed(e)),
    };
    match action {
        Action::Flag(flag, on) => {
            ops::set_flag(&store, &member.account, &mailbox, uids, flag, on).await.err().map(failed)
        }
        Action::Move(to) => {
            let moved = match ops::move_to(&store, &member.account, &mailbox, uids, &to).await {
                Ok(m) => m,
                Err(e) => return Some(failed(e)),
            };
            let filters = shared.filters();
            if let Some(spam) = crate::ops::filter::training(Some(folder), &to)
                && filters.learns()
                && !moved.is_empty()
            {
                let account = member.account.clone();
                tokio::spawn(async move {
                    crate::ops::filter::learn(&store, &filters, &account, &to, moved, spam).await;
                });
            }
            None
        }
    }
}

#[derive(Deserialize)]
struct FlagForm {
    #[serde(default)]
    csrf: String,
    set: String,
}

async fn flag(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Path((folder, uid)): Path<(String, i64)>,
    Form(f): Form<FlagForm>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    let Some(action) = Action::parse(&f.set, None) else {
        return problem(StatusCode::BAD_REQUEST, "Refused", "unknown change");
    };
    if let Some(r) = apply(&shared, &member, &folder, &[uid], action).await {
        return r;
    }
    let back = pages::seg(&folder);
    // Marked unread: back to the list (opening it again would mark it read).
    if f.set == "unread" {
        see_other(&format!("/webmail/f/{back}"))
    } else {
        see_other(&format!("/webmail/f/{back}/{uid}"))
    }
}

#[derive(Deserialize)]
struct MoveForm {
    #[serde(default)]
    csrf: String,
    to: String,
}

async fn move_message(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Path((folder, uid)): Path<(String, i64)>,
    Form(f): Form<MoveForm>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    if let Some(r) = apply(&shared, &member, &folder, &[uid], Action::Move(f.to)).await {
        return r;
    }
    see_other(&format!("/webmail/f/{}", pages::seg(&folder)))
}

/// Messages ticked in a folder's list, and what to do with them (`action`: read, unread,
/// flagged, unflagged, move with `to`). At most [`MOST_AT_ONCE`] at a time.
async fn bulk(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Path(folder): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (mut csrf, mut action, mut to, mut uids) = (String::new(), String::new(), None, Vec::new());
    for (k, v) in form_urlencoded::parse(&body) {
        match &*k {
            "csrf" => csrf = v.into_owned(),
            "action" => action = v.into_owned(),
            "to" => to = Some(v.into_owned()),
            // A conversation's row carries all its UIDs, comma-separated.
            "uid" => uids.extend(v.split(',').filter_map(|u| u.trim().parse::<i64>().ok()).take(MOST_AT_ONCE + 1)),
            _ => {}
        }
    }
    if let Some(r) = checked(&member, &headers, &csrf) {
        return r;
    }
    if uids.len() > MOST_AT_ONCE {
        return problem(StatusCode::BAD_REQUEST, "Refused", "too many messages at once");
    }
    let Some(action) = Action::parse(&action, to.as_deref()) else {
        return problem(StatusCode::BAD_REQUEST, "Refused", "unknown change");
    };
    if !uids.is_empty()
        && let Some(r) = apply(&shared, &member, &folder, &uids, action).await
    {
        return r;
    }
    see_other(&format!("/webmail/f/{}", pages::seg(&folder)))
}

/// Empty Trash or Junk for good.
async fn empty(
    State(shared): State<Arc<Shared>>,
    member: Member,
    headers: HeaderMap,
    Path(folder): Path<String>,
    Form(f): Form<Csrf>,
) -> Response {
    if let Some(r) = checked(&member, &headers, &f.csrf) {
        return r;
    }
    if !matches!(folder.as_str(), crate::store::maildir::TRASH | crate::store::maildir::JUNK) {
        return problem(StatusCode::BAD_REQUEST, "Refused", "only Trash and Junk can be emptied");
    }
    let store = shared.store();
    let emptied = match ops::mailbox(&store, &member.account, &folder).await {
        Ok(m) => ops::empty(&store, &member.account, &m).await,
        Err(e) => Err(e),
    };
    match emptied {
        Ok(_) => see_other(&format!("/webmail/f/{}", pages::seg(&folder))),
        Err(e) => failed(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trusted_sender_is_believed_only_when_our_dmarc_check_passed() {
        let cases = [
            (None, true, false),
            (None, false, true),
            (Some("DMARC pass"), true, true),
            (Some("DMARC none"), true, false),
            (Some("DMARC fail"), true, false),
            (Some("DMARC fail"), false, false),
            (Some("DMARC temperror"), true, false),
            (Some("DMARC permerror"), true, false),
        ];
        for (verdict, checking, believed) in cases {
            assert_eq!(sender_believed(verdict, checking), believed, "{verdict:?} checking={checking}");
        }
    }

    #[test]
    fn a_state_changing_request_from_another_site_is_refused() {
        let h = |pairs: &[(&'static str, &str)]| {
            let mut m = HeaderMap::new();
            for (k, v) in pairs {
                m.insert(*k, HeaderValue::from_str(v).unwrap());
            }
            m
        };
        let cases: &[(&[(&'static str, &str)], bool)] = &[
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "cross-site"), ("origin", "https://mail.test"), ("host", "mail.test")], false),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("origin", "https://mail.test"), ("host", "mail.test")], true),
            (&[("origin", "https://evil.test"), ("host", "mail.test")], false),
            (&[("origin", "null"), ("host", "mail.test")], false),
            (&[], true),
        ];
        for (headers, ok) in cases {
            assert_eq!(same_origin(&h(headers)), *ok, "{headers:?}");
        }
    }
}
