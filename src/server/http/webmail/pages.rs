//! The webmail's pages, rendered on the server with maud (every value is HTML-escaped unless
//! marked otherwise, and nothing from a message is ever marked otherwise: a message's HTML
//! only reaches the browser through the sandboxed frame of `safe_html`). No script: forms and
//! links do everything, so the pages work with a keyboard, a screen reader and a phone.

use maud::{DOCTYPE, Markup, html};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use crate::ops::webmail::conversations::Conversation;
use crate::ops::webmail::{Folder, Found, Summary};
use crate::store::Account;
use crate::store::identities::Identity;
use crate::store::maildir::Flag;

/// A folder name as one path segment.
pub fn seg(name: &str) -> String {
    utf8_percent_encode(name, NON_ALPHANUMERIC).to_string()
}

/// A page. `live` names the folder a signed-in page shows ("" for none): the script then
/// listens for changes and refreshes the folder tree, and the list when that folder changed.
fn layout(title: &str, css: &str, live: Option<&str>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " - mailctl webmail" }
                link rel="stylesheet" href=(css);
                script src=(super::JS_PATH.as_str()) defer {}
            }
            @if let Some(folder) = live { body data-live="" data-folder=(folder) { (body) } } @else { body { (body) } }
        }
    }
}

pub fn login(css: &str, error: Option<&str>, address: &str) -> Markup {
    layout(
        "Sign in",
        css,
        None,
        html! {
            main class="signin" {
                h1 { "Sign in to your mail" }
                @if let Some(e) = error { p class="error" role="alert" { (e) } }
                form method="post" action="/webmail/login" {
                    label for="address" { "Email address" }
                    input id="address" name="address" type="email" autocomplete="username" required value=(address);
                    label for="password" { "Password" }
                    input id="password" name="password" type="password" autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
        },
    )
}

/// What every signed-in page shows around its content: who is signed in, the session's CSRF
/// token (for sign-out), and the folder tree.
#[derive(Clone, Copy)]
pub struct Chrome<'a> {
    pub account: &'a Account,
    pub csrf: &'a str,
    pub folders: &'a [Folder],
}

/// The bar and folder tree every signed-in page has.
fn frame(css: &str, title: &str, chrome: &Chrome<'_>, current: &str, main: Markup) -> Markup {
    let Chrome { account, csrf, folders } = *chrome;
    layout(
        title,
        css,
        Some(current),
        html! {
            header {
                a href="/webmail/" class="brand" { "mailctl" }
                a href="/webmail/compose" class="write" { "Write" }
                a href="/webmail/settings" { "Settings" }
                form role="search" method="get" action="/webmail/search" class="inline search" {
                    label for="q" class="visually-hidden" { "Search mail" }
                    input type="search" id="q" name="q" placeholder="Search mail";
                    button type="submit" { "Search" }
                }
                span class="who" { (account.address) }
                form method="post" action="/webmail/logout" class="inline" {
                    input type="hidden" name="csrf" value=(csrf);
                    button type="submit" { "Sign out" }
                    button type="submit" name="everywhere" value="1" { "Sign out everywhere" }
                }
            }
            div class="columns" {
                nav aria-label="Folders" {
                    ul {
                        @for f in folders {
                            li class=[(f.name == current).then_some("current")] {
                                a href={ "/webmail/f/" (seg(&f.name)) } data-special-use=[f.special_use] {
                                    (f.name)
                                    @if f.unseen > 0 { " " span class="unread" aria-label="unread" { (f.unseen) } }
                                }
                            }
                        }
                    }
                    p { a href="/webmail/folders" { "Manage folders" } }
                    @if let Some(q) = account.quota_bytes {
                        p class="quota" { (crate::size::human(account.used_bytes)) " of " (crate::size::human(q)) " used" }
                    }
                }
                main { (main) }
            }
            p id="live" role="status" class="visually-hidden" {}
        },
    )
}

fn when(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

pub struct FolderPage<'a> {
    pub chrome: Chrome<'a>,
    pub folder: &'a str,
    pub messages: &'a [Summary],
    /// The conversations view: these instead of `messages`.
    pub conversations: Option<&'a [Conversation]>,
    pub next: Option<i64>,
}

/// One row of a list: the link, who, what, when, and its marks.
fn row(href: &str, m: &Summary, count: usize, flagged: bool, folder: Option<&str>) -> Markup {
    html! {
        a href=(href) {
            span class="from" { (m.from) }
            span class="subject" {
                @if m.subject.is_empty() { "(no subject)" } @else { (m.subject) }
                @if count > 1 { " " span class="count" aria-label={ (count) " messages" } { "(" (count) ")" } }
            }
            span class="date" { (when(m.date)) }
            @if let Some(f) = folder { span class="folder" { (f) } }
            @if flagged { span class="mark" aria-label="flagged" { "★" } }
            @if m.attachments { span class="mark" aria-label="has attachments" { "📎" } }
        }
    }
}

pub fn folder(css: &str, p: &FolderPage<'_>) -> Markup {
    let base = format!("/webmail/f/{}", seg(p.folder));
    let threads = p.conversations.is_some();
    let empty = p.conversations.map_or(p.messages.is_empty(), <[Conversation]>::is_empty);
    frame(
        css,
        p.folder,
        &p.chrome,
        p.folder,
        html! {
            h1 { (p.folder) }
            nav class="views" aria-label="View" {
                a href=(base) aria-current=[(!threads).then_some("page")] { "Messages" }
                " · "
                a href={ (base) "?view=threads" } aria-current=[threads.then_some("page")] { "Conversations" }
            }
            @if matches!(p.folder, "Trash" | "Junk") && !empty {
                form method="post" action={ (base) "/empty" } class="inline" {
                    input type="hidden" name="csrf" value=(p.chrome.csrf);
                    button type="submit" { "Empty " (p.folder) }
                }
            }
            @if empty { p { "No messages." } }
            form method="post" action={ (base) "/bulk" } id="bulk" {
                input type="hidden" name="csrf" value=(p.chrome.csrf);
                @if !empty {
                    div class="actions" role="group" aria-label="With the selected messages" {
                        button type="submit" name="action" value="read" { "Mark read" }
                        button type="submit" name="action" value="unread" { "Mark unread" }
                        button type="submit" name="action" value="flagged" { "Flag" }
                        label for="bulk-to" class="visually-hidden" { "Move selected to" }
                        select id="bulk-to" name="to" {
                            @for f in p.chrome.folders { @if f.name != p.folder { option value=(f.name) { (f.name) } } }
                        }
                        button type="submit" name="action" value="move" { "Move" }
                    }
                }
                ol class="messages" {
                    @if let Some(list) = p.conversations {
                        @for c in list {
                            @let ids = c.uids.iter().map(|u| u.to_string()).collect::<Vec<_>>().join(",");
                            @let href = if c.uids.len() > 1 { format!("{base}/{}/conversation", c.newest.uid) } else { format!("{base}/{}", c.newest.uid) };
                            li class=[(c.unseen > 0).then_some("unread")] {
                                input type="checkbox" name="uid" value=(ids) aria-label={ "Select " (c.newest.subject) };
                                (row(&href, &c.newest, c.uids.len(), c.flagged, None))
                            }
                        }
                    } @else {
                        @for m in p.messages {
                            li class=[(!m.flags.has(Flag::SEEN)).then_some("unread")] {
                                input type="checkbox" name="uid" value=(m.uid) aria-label={ "Select " (m.subject) };
                                (row(&format!("{base}/{}", m.uid), m, 1, m.flags.has(Flag::FLAGGED), None))
                            }
                        }
                    }
                }
            }
            @if let Some(n) = p.next {
                a class="more" href={ (base) "?before=" (n) @if threads { "&view=threads" } } { "Older messages" }
            }
        },
    )
}

pub struct SearchPage<'a> {
    pub chrome: Chrome<'a>,
    /// The form's fields as sent (shown again as they were).
    pub fields: &'a [(&'static str, &'static str, String)],
    /// The folder searched; empty: every folder.
    pub folder: &'a str,
    pub found: Option<&'a [Found]>,
    /// More matched than are shown.
    pub more: bool,
    pub error: Option<&'a str>,
}

pub fn search(css: &str, p: &SearchPage<'_>) -> Markup {
    frame(
        css,
        "Search",
        &p.chrome,
        "",
        html! {
            h1 { "Search" }
            form method="get" action="/webmail/search" class="search-form" {
                @for (name, label, value) in p.fields {
                    @let kind = if matches!(*name, "since" | "before") { "date" } else { "text" };
                    label for={ "s-" (name) } { (label) }
                    input type=(kind) id={ "s-" (name) } name=(name) value=(value);
                }
                label for="s-folder" { "In" }
                select id="s-folder" name="folder" {
                    option value="" selected[p.folder.is_empty()] { "All folders" }
                    @for f in p.chrome.folders { option value=(f.name) selected[f.name == p.folder] { (f.name) } }
                }
                button type="submit" { "Search" }
            }
            @if let Some(e) = p.error { p class="error" role="alert" { (e) } }
            @if let Some(found) = p.found {
                p role="status" {
                    @if found.is_empty() { "Nothing found." }
                    @else { (found.len()) @if p.more { "+" } " found" @if p.more { " (the newest shown; narrow the search)" } "." }
                }
                ol class="messages" {
                    @for f in found {
                        @let m = &f.summary;
                        li class=[(!m.flags.has(Flag::SEEN)).then_some("unread")] {
                            (row(&format!("/webmail/f/{}/{}", seg(&f.folder), m.uid), m, 1, m.flags.has(Flag::FLAGGED), Some(&f.folder)))
                        }
                    }
                }
            }
        },
    )
}

pub struct ConversationPage<'a> {
    pub chrome: Chrome<'a>,
    pub folder: &'a str,
    pub messages: &'a [Summary],
}

/// The messages of one conversation in a folder, oldest first.
pub fn conversation(css: &str, p: &ConversationPage<'_>) -> Markup {
    let base = format!("/webmail/f/{}", seg(p.folder));
    let subject = p.messages.first().map(|m| m.subject.as_str()).unwrap_or_default();
    frame(
        css,
        subject,
        &p.chrome,
        p.folder,
        html! {
            h1 { @if subject.is_empty() { "(no subject)" } @else { (subject) } }
            p { (p.messages.len()) " messages in " a href={ (base) "?view=threads" } { (p.folder) } }
            ol class="messages conversation" {
                @for m in p.messages {
                    li class=[(!m.flags.has(Flag::SEEN)).then_some("unread")] {
                        (row(&format!("{base}/{}", m.uid), m, 1, m.flags.has(Flag::FLAGGED), None))
                    }
                }
            }
        },
    )
}

pub struct Attachment {
    pub index: usize,
    pub name: String,
    pub content_type: String,
    pub size: usize,
}

pub struct MessagePage<'a> {
    pub chrome: Chrome<'a>,
    pub folder: &'a str,
    pub uid: i64,
    pub headers: Vec<(&'static str, String)>,
    pub text: Option<String>,
    pub has_html: bool,
    pub remote: bool,
    pub blocked: usize,
    pub attachments: Vec<Attachment>,
    pub flagged: bool,
    pub verdict: Option<String>,
    /// The first From address.
    pub sender: Option<String>,
    /// Remote content is shown because the member trusts the sender.
    pub trusted: bool,
    /// A draft of the member's (in Drafts, flagged \Draft): it can be opened in the composer.
    pub draft: bool,
}

pub fn message(css: &str, p: &MessagePage<'_>) -> Markup {
    let base = format!("/webmail/f/{}/{}", seg(p.folder), p.uid);
    let subject = p.headers.iter().find(|(k, _)| *k == "Subject").map(|(_, v)| v.clone()).unwrap_or_default();
    frame(
        css,
        &subject,
        &p.chrome,
        p.folder,
        html! {
            article {
                h1 { @if subject.is_empty() { "(no subject)" } @else { (subject) } }
                dl class="headers" {
                    @for (k, v) in &p.headers { @if *k != "Subject" { dt { (k) } dd { (v) } } }
                    @if let Some(v) = &p.verdict { dt { "Authentication" } dd class="verdict" { (v) } }
                }
                div class="actions" {
                    a class="button" href={ "/webmail/compose?folder=" (seg(p.folder)) "&reply=" (p.uid) } { "Reply" }
                    a class="button" href={ "/webmail/compose?folder=" (seg(p.folder)) "&reply=" (p.uid) "&all=1" } { "Reply all" }
                    a class="button" href={ "/webmail/compose?folder=" (seg(p.folder)) "&forward=" (p.uid) } { "Forward" }
                    a class="button" href={ "/webmail/compose?folder=" (seg(p.folder)) "&forward=" (p.uid) "&attach=1" } { "Forward as attachment" }
                    @if p.draft { a class="button" href={ "/webmail/compose?draft=" (p.uid) } { "Edit draft" } }
                    form method="post" action={ (base) "/flag" } class="inline" {
                        input type="hidden" name="csrf" value=(p.chrome.csrf);
                        button type="submit" name="set" value="unread" { "Mark unread" }
                        @if p.flagged { button type="submit" name="set" value="unflagged" { "Unflag" } }
                        @else { button type="submit" name="set" value="flagged" { "Flag" } }
                    }
                    form method="post" action={ (base) "/move" } class="inline" {
                        input type="hidden" name="csrf" value=(p.chrome.csrf);
                        @if p.folder != "Trash" { button type="submit" name="to" value="Trash" { "Delete" } }
                        @if p.folder == "Junk" { button type="submit" name="to" value="INBOX" { "Not junk" } }
                        @else { button type="submit" name="to" value="Junk" { "Junk" } }
                    }
                    form method="post" action={ (base) "/move" } class="inline" {
                        input type="hidden" name="csrf" value=(p.chrome.csrf);
                        label for="move-to" class="visually-hidden" { "Move to folder" }
                        select id="move-to" name="to" {
                            @for f in p.chrome.folders { @if f.name != p.folder { option value=(f.name) { (f.name) } } }
                        }
                        button type="submit" { "Move" }
                    }
                }
                @if p.has_html {
                    @if p.blocked > 0 && !p.remote {
                        div class="notice" {
                            "Remote content (" (p.blocked) ") was blocked. "
                            a href={ (base) "?remote=1" } { "Show remote content" }
                            @if let Some(s) = &p.sender {
                                " "
                                form method="post" action={ (base) "/trust" } class="inline" {
                                    input type="hidden" name="csrf" value=(p.chrome.csrf);
                                    button type="submit" { "Always show from " (s) }
                                }
                            }
                        }
                    }
                    @if p.trusted {
                        p class="notice" {
                            "Remote content is shown: you trust " (p.sender.as_deref().unwrap_or_default()) ". "
                            a href="/webmail/settings" { "Change" }
                        }
                    }
                    iframe title="Message" class="body" sandbox="allow-popups allow-popups-to-escape-sandbox"
                        referrerpolicy="no-referrer"
                        src={ (base) "/html" @if p.remote { "?remote=1" } } {}
                } @else if let Some(t) = &p.text {
                    pre class="body" { (t) }
                }
                @if !p.attachments.is_empty() {
                    h2 { "Attachments" }
                    ul class="attachments" {
                        @for a in &p.attachments {
                            li { a href={ (base) "/part/" (a.index) } download { (a.name) } " " span class="meta" { (a.content_type) ", " (crate::size::human(a.size as u64)) } }
                        }
                    }
                }
            }
        },
    )
}

/// A short page for an error inside the webmail.
pub fn problem(css: &str, title: &str, detail: &str) -> Markup {
    layout(
        title,
        css,
        None,
        html! { main class="signin" { h1 { (title) } p { (detail) } p { a href="/webmail/" { "Back to your mail" } } } },
    )
}

/// What the composer shows: empty, or a reply or forward filled in, or a refused message
/// with the member's words kept.
#[derive(Default)]
pub struct Draft {
    pub from: String,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub body: String,
    pub in_reply_to: String,
    pub references: String,
    /// "Save draft" was pressed rather than "Send".
    pub save: bool,
    /// The composer's script saved it as it was written: the answer is JSON, not a page.
    pub autosave: bool,
    /// The UID in Drafts this draft was opened from (removed when it is sent or saved again).
    pub draft_uid: Option<i64>,
    /// A message forwarded as an attachment: its folder and UID.
    pub attach: Option<(String, i64)>,
}

/// How long after the first change the composer saves the draft by itself.
const AUTOSAVE_MS: u32 = 3000;

pub struct ComposePage<'a> {
    pub chrome: Chrome<'a>,
    pub identities: &'a [Identity],
    pub draft: &'a Draft,
    pub error: Option<&'a str>,
    pub limit: u64,
}

pub fn compose(css: &str, p: &ComposePage<'_>) -> Markup {
    let d = p.draft;
    frame(
        css,
        "Write",
        &p.chrome,
        "",
        html! {
            h1 { "Write" }
            @if let Some(e) = p.error { p class="error" role="alert" { (e) } }
            form method="post" action="/webmail/send" enctype="multipart/form-data" class="compose" data-autosave=(AUTOSAVE_MS) {
                input type="hidden" name="csrf" value=(p.chrome.csrf);
                input type="hidden" name="in_reply_to" value=(d.in_reply_to);
                input type="hidden" name="references" value=(d.references);
                @if let Some(u) = d.draft_uid { input type="hidden" name="draft" value=(u); }
                @if let Some((f, u)) = &d.attach {
                    input type="hidden" name="attach_folder" value=(f);
                    input type="hidden" name="attach_uid" value=(u);
                }
                label for="from" { "From" }
                select id="from" name="from" {
                    @for i in p.identities {
                        option value=(i.address) selected[i.address.eq_ignore_ascii_case(&d.from)] {
                            @if i.display_name.is_empty() { (i.address) } @else { (i.display_name) " <" (i.address) ">" }
                        }
                    }
                }
                label for="to" { "To" }
                input id="to" name="to" type="text" autocomplete="off" list="addresses" data-complete="" value=(d.to);
                label for="cc" { "Cc" }
                input id="cc" name="cc" type="text" autocomplete="off" list="addresses" data-complete="" value=(d.cc);
                label for="bcc" { "Bcc" }
                input id="bcc" name="bcc" type="text" autocomplete="off" list="addresses" data-complete="" value=(d.bcc);
                datalist id="addresses" {}
                label for="subject" { "Subject" }
                input id="subject" name="subject" type="text" value=(d.subject);
                label for="body" { "Message" }
                textarea id="body" name="body" rows="16" { (d.body) }
                label for="attachments" { "Attachments (up to " (crate::size::human(p.limit)) " in all)" }
                input id="attachments" name="attachment" type="file" multiple;
                @if let Some((f, u)) = &d.attach {
                    p class="attached" { "The message " (f) " #" (u) " goes with it as an attachment." }
                }
                div class="buttons" {
                    button type="submit" { "Send" }
                    button type="submit" name="save" value="draft" { "Save draft" }
                    span id="autosave-status" class="meta" role="status" {}
                }
            }
        },
    )
}

pub struct FoldersPage<'a> {
    pub chrome: Chrome<'a>,
    pub notice: Option<&'a str>,
}

pub fn folders(css: &str, p: &FoldersPage<'_>) -> Markup {
    let csrf = p.chrome.csrf;
    frame(
        css,
        "Folders",
        &p.chrome,
        "",
        html! {
            h1 { "Folders" }
            @if let Some(n) = p.notice { p class="notice" role="status" { (n) } }
            form method="post" action="/webmail/folders" class="compose" {
                input type="hidden" name="csrf" value=(csrf);
                label for="new-folder" { "New folder" }
                input id="new-folder" name="name" type="text" required maxlength="200";
                div class="buttons" { button type="submit" name="action" value="create" { "Create" } }
            }
            table class="folders" {
                thead { tr { th scope="col" { "Folder" } th scope="col" { "Messages" } th scope="col" { "Change" } } }
                tbody {
                    @for (n, f) in p.chrome.folders.iter().enumerate() {
                        tr {
                            td { (f.name) }
                            td { (f.messages) }
                            td {
                                @if f.name != "INBOX" && f.special_use.is_none() {
                                    form method="post" action="/webmail/folders" class="inline" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="name" value=(f.name);
                                        label for={ "rename-" (n) } class="visually-hidden" { "New name for " (f.name) }
                                        input id={ "rename-" (n) } name="to" type="text" value=(f.name) maxlength="200";
                                        button type="submit" name="action" value="rename" { "Rename" }
                                    }
                                    form method="post" action="/webmail/folders" class="inline" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="name" value=(f.name);
                                        @if f.messages > 0 {
                                            input id={ "confirm-" (n) } name="confirm" type="checkbox" value="1";
                                            label for={ "confirm-" (n) } { "with its " (f.messages) " messages" }
                                        }
                                        button type="submit" name="action" value="delete" { "Delete " (f.name) }
                                    }
                                } @else { "standard folder" }
                            }
                        }
                    }
                }
            }
        },
    )
}

pub struct SettingsPage<'a> {
    pub chrome: Chrome<'a>,
    pub vacation: &'a crate::store::vacations::Vacation,
    pub identities: &'a [Identity],
    pub trusted: &'a [String],
    /// What the last change did, or why it was refused.
    pub notice: Option<&'a str>,
}

fn day(t: Option<i64>) -> String {
    t.and_then(|t| chrono::DateTime::from_timestamp(t, 0)).map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

pub fn settings(css: &str, p: &SettingsPage<'_>) -> Markup {
    let v = p.vacation;
    frame(
        css,
        "Settings",
        &p.chrome,
        "",
        html! {
            h1 { "Settings" }
            @if let Some(n) = p.notice { p class="notice" role="status" { (n) } }
            h2 { "Password" }
            form method="post" action="/webmail/settings/password" class="compose" {
                input type="hidden" name="csrf" value=(p.chrome.csrf);
                label for="old" { "Current password" }
                input id="old" name="old" type="password" autocomplete="current-password" required;
                label for="new" { "New password" }
                input id="new" name="new" type="password" autocomplete="new-password" required;
                label for="again" { "New password again" }
                input id="again" name="again" type="password" autocomplete="new-password" required;
                div class="buttons" { button type="submit" { "Change password" } }
            }
            h2 { "Your addresses" }
            @for (n, i) in p.identities.iter().enumerate() {
                form method="post" action="/webmail/settings/identity" class="compose" aria-label={ "Name and signature of " (i.address) } {
                    input type="hidden" name="csrf" value=(p.chrome.csrf);
                    input type="hidden" name="address" value=(i.address);
                    h3 { (i.address) }
                    label for={ "name-" (n) } { "Name shown to recipients" }
                    input id={ "name-" (n) } name="name" type="text" maxlength="100" value=(i.display_name);
                    label for={ "signature-" (n) } { "Signature" }
                    textarea id={ "signature-" (n) } name="signature" rows="3" { (i.signature) }
                    div class="buttons" { button type="submit" { "Save" } }
                }
            }
            h2 { "Senders whose remote content is shown" }
            @if p.trusted.is_empty() {
                p { "None. A message's page offers to always show a sender's images." }
            } @else {
                ul class="trusted" {
                    @for t in p.trusted {
                        li {
                            form method="post" action="/webmail/settings/trusted" class="inline" {
                                input type="hidden" name="csrf" value=(p.chrome.csrf);
                                (t) " "
                                button type="submit" name="remove" value=(t) aria-label={ "Stop showing remote content from " (t) } { "Remove" }
                            }
                        }
                    }
                }
            }
            h2 { "Vacation reply" }
            form method="post" action="/webmail/settings/vacation" class="compose" {
                input type="hidden" name="csrf" value=(p.chrome.csrf);
                label for="enabled" { "Reply while away" }
                input id="enabled" name="enabled" type="checkbox" value="1" checked[v.enabled];
                label for="start" { "From (day)" }
                input id="start" name="start" type="date" value=(day(v.start_at));
                label for="end" { "Until (day, not included)" }
                input id="end" name="end" type="date" value=(day(v.end_at));
                label for="vsubject" { "Subject" }
                input id="vsubject" name="subject" type="text" value=(v.subject) placeholder="Auto: (their subject)";
                label for="vbody" { "Message" }
                textarea id="vbody" name="body" rows="6" { (v.body) }
                label for="days" { "Answer each sender once every (days)" }
                input id="days" name="days" type="number" min="1" max="365" value=(v.days.max(1));
                div class="buttons" { button type="submit" { "Save" } }
            }
        },
    )
}
