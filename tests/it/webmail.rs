//! The webmail against a running `serve`: over HTTPS with Python's requests (the session
//! cookie's flags, CSRF, a hostile message made safe, attachments, flags and moves seen over
//! IMAP, sign-out everywhere, the shared login limiter), and in a real Chromium driven by
//! Selenium (no script runs and nothing remote loads until asked, on a desktop and a
//! phone-sized window).

use crate::server::{Server, python, skip_without};
use crate::util::Env;

/// A hostile HTML message with a remote image, an attachment, and a plain one; sent on port
/// 25 by smtplib. `remote` is where the "remote" content would be fetched from.
fn send_mail(srv: &Server, remote: &str) {
    python(
        r#"
import smtplib, sys
from email.message import EmailMessage
host, port, remote = sys.argv[1], int(sys.argv[2]), sys.argv[3]
hostile = EmailMessage()
hostile["From"] = "Mallory <mallory@example.org>"
hostile["To"] = "ann@example.com"
hostile["Subject"] = "Hostile HTML"
hostile.set_content("the plain part")
hostile.add_alternative(f"""<html><head><meta http-equiv="refresh" content="0;url={remote}/refresh">
<style>@import url({remote}/import.css); body {{ background: url({remote}/css-bg) }}</style>
<script src="{remote}/script.js"></script><script>fetch("{remote}/inline-script")</script></head>
<body><p>Hello <b>Ann</b></p>
<img src="{remote}/pixel.gif" alt="pixel">
<img src="x" onerror="fetch('{remote}/onerror')">
<a href="javascript:fetch('{remote}/js-link')">click</a>
<svg><script>fetch("{remote}/svg")</script></svg>
<form action="{remote}/form"><input name="p"></form>
<div style="background:url({remote}/style-attr)">styled</div>
</body></html>""", subtype="html")
hostile.add_attachment(b"%PDF-1.4 not really", maintype="application", subtype="pdf", filename="report <1>.pdf")
plain = EmailMessage()
plain["From"] = "bob@example.org"
plain["To"] = "ann@example.com"
plain["Subject"] = "Plain hello"
plain.set_content("<b>not bold</b> & plain")
with smtplib.SMTP(host, port, timeout=20) as s:
    s.send_message(plain, from_addr="bob@example.org", to_addrs=["ann@example.com"])
    s.send_message(hostile, from_addr="mallory@example.org", to_addrs=["ann@example.com"])
"#,
        &[&srv.smtp.ip().to_string(), &srv.smtp.port().to_string(), remote],
    );
}

fn signs_in_reads_hostile_mail_safely_writes_through_submission_and_refuses_forms_without_the_token(env: Env) {
    env.create("ann@example.com", "vip");
    env.create("bob@example.com", "vip");
    env.serve_config(&[]);
    let srv = env.start_server();
    send_mail(&srv, "https://remote.test");
    let https = srv.https.expect("an https listener");
    let imap = srv.imap;
    let out = python(
        r#"
import imaplib, re, sys, requests, urllib3
urllib3.disable_warnings()
base, imap_port = sys.argv[1], int(sys.argv[2])
def new():
    s = requests.Session(); s.verify = False; s.trust_env = False; return s
s = new()
r = s.get(base + "/webmail/login")
assert r.status_code == 200, r.status_code
csp = r.headers["content-security-policy"]
assert "default-src 'none'" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp, csp
assert "unsafe" not in csp, csp
assert r.headers["x-content-type-options"] == "nosniff" and r.headers["cache-control"] == "no-store"
# Unknown address and wrong password read alike.
for who, pw in [("nobody@example.com", "password123"), ("ann@example.com", "wrong-password")]:
    r = s.post(base + "/webmail/login", data={"address": who, "password": pw}, allow_redirects=False)
    assert r.status_code == 401 and "Wrong address or password" in r.text, (r.status_code, r.text)
# A sign-in posted from another site is refused.
r = s.post(base + "/webmail/login", data={"address": "ann@example.com", "password": "password123"},
           headers={"Sec-Fetch-Site": "cross-site"}, allow_redirects=False)
assert r.status_code == 403, r.status_code
r = s.post(base + "/webmail/login", data={"address": "ann@example.com", "password": "password123"}, allow_redirects=False)
assert r.status_code == 303 and r.headers["location"] == "/webmail/f/INBOX", (r.status_code, r.text)
cookie = r.headers["set-cookie"]
for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/webmail"]:
    assert flag in cookie, cookie
first = s.cookies.get("mailctl_webmail")
# Signing in again rotates the cookie, and the old one is dead.
r = s.post(base + "/webmail/login", data={"address": "ann@example.com", "password": "password123"}, allow_redirects=False)
assert s.cookies.get("mailctl_webmail") != first
stale = new(); stale.cookies.set("mailctl_webmail", first)
assert stale.get(base + "/webmail/f/INBOX", allow_redirects=False).headers["location"] == "/webmail/login"

page = s.get(base + "/webmail/f/INBOX").text
assert "Hostile HTML" in page and "Plain hello" in page, page
uids = re.findall(r'href="/webmail/f/INBOX/(\d+)"', page)
assert len(uids) == 2, uids
hostile_uid, plain_uid = uids  # newest first
csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

msg = s.get(f"{base}/webmail/f/INBOX/{hostile_uid}").text
assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in msg, msg
assert "Remote content (1) was blocked" in msg, msg
assert "report &lt;1&gt;.pdf" in msg and "application/pdf" in msg, msg
frame = s.get(f"{base}/webmail/f/INBOX/{hostile_uid}/html")
fcsp = frame.headers["content-security-policy"]
assert "sandbox" in fcsp and "img-src data:;" in fcsp and "frame-ancestors 'self'" in fcsp, fcsp
body = frame.text.lower()
for bad in ["<script", "onerror", "javascript:", "<svg", "<form", "<style", "refresh", "remote.test", "style="]:
    assert bad not in body, (bad, body)
assert "<b>ann</b>" in body, body
shown = s.get(f"{base}/webmail/f/INBOX/{hostile_uid}/html?remote=1")
assert "https://remote.test/pixel.gif" in shown.text and "img-src data: https:" in shown.headers["content-security-policy"]
assert "<script" not in shown.text.lower() and "onerror" not in shown.text.lower()
att = s.get(f"{base}/webmail/f/INBOX/{hostile_uid}/part/0")
assert att.content == b"%PDF-1.4 not really", att.content
assert att.headers["content-disposition"].startswith("attachment;"), att.headers
assert att.headers["x-content-type-options"] == "nosniff"
plain = s.get(f"{base}/webmail/f/INBOX/{plain_uid}").text
assert "&lt;b&gt;not bold&lt;/b&gt; &amp; plain" in plain, plain

# Search: by text, by sender, in one folder or all, with the IMAP rule; a bad date is named.
r = s.get(f"{base}/webmail/search", params={"q": "plain", "folder": "INBOX"})
assert r.status_code == 200 and "2 found" in r.text, r.text
r = s.get(f"{base}/webmail/search", params={"from": "bob@example", "q": "PLAIN"})
assert "1 found" in r.text and f'href="/webmail/f/INBOX/{plain_uid}"' in r.text, r.text
r = s.get(f"{base}/webmail/search", params={"q": "<script>alert(1)</script>"})
assert "Nothing found." in r.text and "<script>alert" not in r.text, r.text
r = s.get(f"{base}/webmail/search", params={"q": "plain", "since": "yesterday"})
assert r.status_code == 400 and "Since: &quot;yesterday&quot; is not a day (YYYY-MM-DD)" in r.text, (r.status_code, r.text)
r = s.get(f"{base}/webmail/search", params={"q": "plain", "folder": "NoSuchFolder"})
assert r.status_code == 404, r.status_code

# Forms without the token, or from another site, change nothing.
r = s.post(f"{base}/webmail/f/INBOX/{plain_uid}/flag", data={"set": "flagged"}, allow_redirects=False)
assert r.status_code == 403, r.status_code
r = s.post(f"{base}/webmail/f/INBOX/{plain_uid}/move", data={"csrf": csrf, "to": "Junk"},
           headers={"Origin": "https://evil.test"}, allow_redirects=False)
assert r.status_code == 403, r.status_code
r = s.post(f"{base}/webmail/f/INBOX/{plain_uid}/flag", data={"csrf": csrf, "set": "flagged"}, allow_redirects=False)
assert r.status_code == 303, r.status_code
r = s.post(f"{base}/webmail/f/INBOX/{hostile_uid}/move", data={"csrf": csrf, "to": "Junk"}, allow_redirects=False)
assert r.status_code == 303, r.status_code

# IMAP sees what the webmail did: read, flagged, moved to Junk.
m = imaplib.IMAP4("127.0.0.1", imap_port)
m.starttls(ssl_context=__import__("ssl")._create_unverified_context())
m.login("ann@example.com", "password123")
m.select("INBOX")
typ, data = m.uid("FETCH", plain_uid, "(FLAGS)")
assert b"\\Seen" in data[0] and b"\\Flagged" in data[0], data
typ, data = m.select("Junk")
assert data == [b"1"], data
m.logout()

# Writing: a reply is filled in; a message with an attachment goes through submission's
# rules to another account (read over IMAP) and a copy lands in Sent.
reply = s.get(f"{base}/webmail/compose", params={"folder": "INBOX", "reply": plain_uid}).text
assert 'value="Re: Plain hello"' in reply and "bob@example.org" in reply and "&gt; &lt;b&gt;not bold" in reply, reply
def send(fields, files=None, csrf_token=csrf):
    data = {"csrf": csrf_token, "from": "ann@example.com", "cc": "", "bcc": "", "in_reply_to": "", "references": ""}
    data.update(fields)
    return s.post(base + "/webmail/send", data=data, files=files or {"attachment": ("", b"")}, allow_redirects=False)
r = send({"to": "Bob <bob@example.com>", "subject": "With attachment", "body": "see attached"},
         files={"attachment": ("notes.txt", b"hello notes", "text/plain")})
assert r.status_code == 303 and r.headers["location"] == "/webmail/f/Sent", (r.status_code, r.text)
for fields, says in [
    ({"to": "nobody@example.com", "subject": "x", "body": "x"}, "recipient nobody@example.com: no such user here"),
    ({"to": "bob@example.com", "subject": "x", "body": "x", "from": "bob@example.com"}, "may not send as bob@example.com"),
    ({"to": "", "subject": "x", "body": "x"}, "no recipients"),
]:
    r = send(fields)
    assert r.status_code == 422 and says in r.text, (fields, r.status_code, r.text)
    assert 'value="x"' in r.text, "the member's words are kept"
r = send({"to": "bob@example.com", "subject": "x", "body": "x"}, csrf_token="forged")
assert r.status_code == 403, r.status_code
b = imaplib.IMAP4("127.0.0.1", imap_port)
b.starttls(ssl_context=__import__("ssl")._create_unverified_context())
b.login("bob@example.com", "password123")
typ, data = b.select("INBOX")
assert data == [b"1"], data
typ, data = b.fetch("1", "(BODY.PEEK[])")
raw = data[0][1]
assert b"Subject: With attachment" in raw and b'filename="notes.txt"' in raw and b"Received: from [127.0.0.1]" in raw, raw
b.logout()
# A draft is kept in Drafts; ticked messages move together; Trash empties for good.
r = send({"to": "", "subject": "draft one", "body": "unfinished", "save": "draft"})
assert r.status_code == 303 and r.headers["location"] == "/webmail/f/Drafts", (r.status_code, r.text)
# The draft opens in the composer as written; saving it again replaces it.
page = s.get(f"{base}/webmail/f/Drafts/1").text
assert 'href="/webmail/compose?draft=1"' in page, page
page = s.get(f"{base}/webmail/compose", params={"draft": "1"}).text
assert 'value="draft one"' in page and "unfinished" in page and 'name="draft" value="1"' in page, page
r = send({"to": "", "subject": "draft two", "body": "still unfinished", "save": "draft", "draft": "1"})
assert r.status_code == 303, (r.status_code, r.text)
# Forward as an attachment: the original goes whole, as message/rfc822.
page = s.get(f"{base}/webmail/compose", params={"folder": "INBOX", "forward": plain_uid, "attach": "1"}).text
assert 'value="Fwd: Plain hello"' in page and 'name="attach_uid" value="%s"' % plain_uid in page, page
r = send({"to": "bob@example.com", "subject": "Fwd: Plain hello", "body": "FYI", "attach_folder": "INBOX",
          "attach_uid": plain_uid})
assert r.status_code == 303, (r.status_code, r.text)
b = imaplib.IMAP4("127.0.0.1", imap_port)
b.starttls(ssl_context=__import__("ssl")._create_unverified_context())
b.login("bob@example.com", "password123")
typ, data = b.select("INBOX")
assert data == [b"2"], data
typ, data = b.fetch("2", "(BODY.PEEK[])")
raw = data[0][1]
assert b"Content-Type: message/rfc822" in raw and b"Subject: Plain hello" in raw and b"FYI" in raw, raw
b.logout()
r = s.post(f"{base}/webmail/f/INBOX/bulk", data=[("csrf", csrf), ("uid", plain_uid), ("action", "move"), ("to", "Trash")],
           allow_redirects=False)
assert r.status_code == 303, (r.status_code, r.text)
r = s.post(f"{base}/webmail/f/INBOX/bulk", data=[("uid", plain_uid), ("action", "read")], allow_redirects=False)
assert r.status_code == 403, "a bulk change without the token"
m = imaplib.IMAP4("127.0.0.1", imap_port)
m.starttls(ssl_context=__import__("ssl")._create_unverified_context())
m.login("ann@example.com", "password123")
typ, data = m.select("Sent")
assert data == [b"2"], data
typ, data = m.select("Drafts")
assert data == [b"1"], data
typ, data = m.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
assert b"\\Draft" in data[0][0] and b"draft two" in data[0][1], data
typ, data = m.select("INBOX")
assert data == [b"0"], data
typ, data = m.select("Trash")
assert data == [b"1"], data
m.close()
r = s.post(f"{base}/webmail/f/Trash/empty", data={"csrf": csrf}, allow_redirects=False)
assert r.status_code == 303, (r.status_code, r.text)
typ, data = m.select("Trash")
assert data == [b"0"], data
m.logout()

# Settings: the password needs the current one; the vacation reply is kept.
def change(old, new_pw, again):
    return s.post(base + "/webmail/settings/password", data={"csrf": csrf, "old": old, "new": new_pw, "again": again})
r = change("wrong-password", "new-password-456", "new-password-456")
assert r.status_code == 403 and "The current password is wrong." in r.text, r.status_code
r = change("password123", "new-password-456", "other-password-789")
assert r.status_code == 422 and "The new passwords differ." in r.text, r.status_code
r = change("password123", "short", "short")
assert r.status_code == 422 and "Not changed: password too short" in r.text, (r.status_code, r.text)
r = change("password123", "new-password-456", "new-password-456")
assert r.status_code == 200 and "Password changed; other sessions were signed out." in r.text, (r.status_code, r.text)
r = s.post(base + "/webmail/settings/vacation", data={"csrf": csrf, "enabled": "1", "start": "", "end": "2099-01-01",
           "subject": "", "body": "Away until Monday.", "days": "7"})
assert r.status_code == 200 and "Vacation reply saved." in r.text and "Away until Monday." in r.text, (r.status_code, r.text)
r = s.post(base + "/webmail/settings/vacation", data={"csrf": csrf, "enabled": "1", "start": "2030-01-02", "end": "2030-01-01"})
assert r.status_code == 422 and "the last day comes before the first" in r.text, r.text

# Sign out everywhere ends the other session too.
other = new()
r = other.post(base + "/webmail/login", data={"address": "ann@example.com", "password": "new-password-456"}, allow_redirects=False)
assert r.status_code == 303
r = s.post(base + "/webmail/logout", data={"csrf": csrf, "everywhere": "1"}, allow_redirects=False)
assert r.status_code == 303 and "Max-Age=0" in r.headers["set-cookie"], r.headers
for sess in (s, other):
    assert sess.get(base + "/webmail/f/INBOX", allow_redirects=False).headers["location"] == "/webmail/login"

# Failed sign-ins count in the limiter IMAP uses.
last = 0
for _ in range(12):
    last = new().post(base + "/webmail/login", data={"address": "ann@example.com", "password": "nope-nope"},
                      allow_redirects=False).status_code
    if last == 429:
        break
assert last == 429, last
m = imaplib.IMAP4("127.0.0.1", imap_port)
m.starttls(ssl_context=__import__("ssl")._create_unverified_context())
try:
    m.login("ann@example.com", "password123")
    raise SystemExit("IMAP login allowed while the address is locked out")
except imaplib.IMAP4.error:
    pass
print("ok")
"#,
        &[&format!("https://{https}"), &imap.port().to_string()],
    );
    assert_eq!(out.trim(), "ok");

    // The vacation reply set above: Bob's first message is answered, his second is not.
    for subject in ["first", "second"] {
        let mut c = crate::server::Client::connect(srv.smtp);
        c.read();
        c.expect("EHLO client.example.org", 250);
        c.expect("MAIL FROM:<bob@example.com>", 250);
        c.expect("RCPT TO:<ann@example.com>", 250);
        c.expect("DATA", 354);
        c.expect(&format!("From: bob@example.com\r\nTo: ann@example.com\r\nSubject: {subject}\r\n\r\nhi\r\n."), 250);
        c.expect("QUIT", 221);
    }
    crate::util::eventually("one message answered, the other found answered already", || {
        let log = srv.log();
        log.contains("vacation reply sent") && log.contains("vacation: already answered")
    });
    let replies = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(env.maildir("bob@example.com").join(d)).into_iter().flatten().flatten())
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("Auto-Submitted: auto-replied")))
        .count();
    assert_eq!(replies, 1, "one vacation reply per sender");

    let log = srv.log();
    assert!(!log.contains("panicked"), "{log}");
    assert!(!log.contains("password123") && !log.contains("new-password-456"), "a password in the log");
    srv.stop();
}

store_tests!(signs_in_reads_hostile_mail_safely_writes_through_submission_and_refuses_forms_without_the_token);

/// What a member keeps and what follows them: a name and signature per address they send
/// as (only theirs), senders whose remote content they always show (never when our DMARC
/// check failed), conversations by References, address suggestions from their own mail,
/// drafts saved by the composer's script, and changes pushed to open pages as events.
fn keeps_identities_and_trusted_senders_threads_conversations_suggests_addresses_and_pushes_changes(env: Env) {
    env.create("ann@example.com", "business");
    env.create("bob@example.com", "vip");
    env.ok(&["alias", "add", "sales@example.com", "ann@example.com"]);
    env.serve_config(&[]);
    let srv = env.start_server();
    let https = srv.https.expect("an https listener");
    let out = python(
        r#"
import imaplib, json, re, smtplib, socket, ssl, sys, threading, requests, urllib3
from email.message import EmailMessage
urllib3.disable_warnings()
base, imap_port, smtp_port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def mail(frm, subject, body, msgid=None, reply_to=None, html=None):
    m = EmailMessage()
    m["From"] = frm; m["To"] = "ann@example.com"; m["Subject"] = subject
    if msgid: m["Message-ID"] = msgid
    if reply_to: m["In-Reply-To"] = reply_to; m["References"] = reply_to
    m.set_content(body)
    if html: m.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as c:
        c.send_message(m, from_addr=frm.split("<")[-1].rstrip(">"), to_addrs=["ann@example.com"])
s = requests.Session(); s.verify = False; s.trust_env = False
r = s.post(base + "/webmail/login", data={"address": "ann@example.com", "password": "password123"}, allow_redirects=False)
assert r.status_code == 303, r.status_code
page = s.get(base + "/webmail/settings").text
csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
assert "ann@example.com" in page and "sales@example.com" in page, page

# A name and signature per address; only the member's own, one line of name, with the token.
def identity(address, name, sig="", token=csrf):
    return s.post(base + "/webmail/settings/identity",
                  data={"csrf": token, "address": address, "name": name, "signature": sig})
r = identity("ann@example.com", "Ann Example", "Ann\nExample Ltd")
assert r.status_code == 200 and "Saved for ann@example.com." in r.text, (r.status_code, r.text)
for address, name, why in [("bob@example.com", "Bob", "bob@example.com is not an address you send as"),
                           ("ann@example.com", "Ann\r\nBcc: x@evil.test", "the name is one line"),
                           ("ann@example.com", "A" * 101, "the name is one line")]:
    r = identity(address, name)
    assert r.status_code == 422 and why in r.text, (address, r.status_code, r.text)
assert identity("ann@example.com", "Mallory", token="forged").status_code == 403
page = s.get(base + "/webmail/compose").text
assert "Ann Example &lt;ann@example.com&gt;" in page and "\n\n-- \nAnn\nExample Ltd</textarea>" in page, page
r = s.post(base + "/webmail/send", data={"csrf": csrf, "from": "ann@example.com", "to": "bob@example.com",
           "subject": "Named", "body": "hello\n\n-- \nAnn"}, files={"attachment": ("", b"")}, allow_redirects=False)
assert r.status_code == 303, (r.status_code, r.text)
b = imaplib.IMAP4("127.0.0.1", imap_port)
b.starttls(ssl_context=ssl._create_unverified_context())
b.login("bob@example.com", "password123")
b.select("INBOX")
typ, data = b.fetch("1", "(BODY.PEEK[HEADER.FIELDS (FROM)])")
assert b'From: "Ann Example" <ann@example.com>' in data[0][1], data
b.logout()

# The composer's script saves the draft as JSON; each save replaces the one before.
def autosave(draft=None, body="unfinished"):
    data = {"csrf": csrf, "from": "ann@example.com", "to": "bob@example.com", "subject": "Later",
            "body": body, "save": "draft", "autosave": "1"}
    if draft is not None: data["draft"] = str(draft)
    return s.post(base + "/webmail/send", data=data, files={"attachment": ("", b"")}, allow_redirects=False)
r = autosave()
assert r.status_code == 200 and r.headers["content-type"] == "application/json", (r.status_code, r.text)
first = r.json()["draft"]
r = autosave(first, "more words")
second = r.json()["draft"]
assert second != first, (first, second)
m = imaplib.IMAP4("127.0.0.1", imap_port)
m.starttls(ssl_context=ssl._create_unverified_context())
m.login("ann@example.com", "password123")
typ, data = m.select("Drafts")
assert data == [b"1"], data
typ, data = m.uid("FETCH", str(second), "(BODY.PEEK[TEXT])")
assert b"more words" in data[0][1], data
r = s.post(base + "/webmail/send", data={"csrf": "forged", "save": "draft", "autosave": "1"},
           files={"attachment": ("", b"")}, allow_redirects=False)
assert r.status_code == 403, r.status_code

# Changes reach an open page as events: a delivery to INBOX names INBOX.
events = s.get(base + "/webmail/events", stream=True, timeout=30)
assert events.headers["content-type"].startswith("text/event-stream"), events.headers
got = []
def read():
    for line in events.iter_lines(decode_unicode=True):
        got.append(line)
        if line == "data: INBOX":
            return
reader = threading.Thread(target=read, daemon=True); reader.start()
mail("Carol <carol@example.org>", "Trip", "Shall we go?", msgid="<t1@example.org>")
reader.join(20)
assert "event: change" in got and "data: INBOX" in got, got
events.close()
assert requests.get(base + "/webmail/events", verify=False, allow_redirects=False).status_code == 303

# Conversations: a reply joins its thread; the row carries every UID; the page lists both.
mail("Dave <dave@example.org>", "Re: Trip", "Yes!", msgid="<t2@example.org>", reply_to="<t1@example.org>")
mail("Mallory <mallory@example.org>", "Offer", "plain",
     html='<p>Hi</p><img src="https://remote.test/pixel.gif" alt="x">')
page = s.get(base + "/webmail/f/INBOX", params={"view": "threads"}).text
rows = re.findall(r'name="uid" value="([0-9,]+)"', page)
assert len(rows) == 2 and "," in rows[1], rows
assert 'aria-label="2 messages"' in page, page
conv = re.search(r'href="(/webmail/f/INBOX/\d+/conversation)"', page).group(1)
page = s.get(base + conv).text
assert "2 messages in" in page and "Trip" in page and "Re: Trip" in page, page
r = s.post(base + "/webmail/f/INBOX/bulk", data=[("csrf", csrf), ("uid", rows[1]), ("action", "read")],
           allow_redirects=False)
assert r.status_code == 303, r.status_code
m.select("INBOX")
typ, data = m.search(None, "SEEN")
assert len(data[0].split()) == 2, data

# Suggestions come from the member's own mail: who wrote, whom they wrote to.
for typed, want in [("car", ["carol@example.org"]), ("dav", ["dave@example.org"]), ("bo", ["bob@example.com"]),
                    ("zzz", []), ("x" * 300, [])]:
    r = s.get(base + "/webmail/addresses", params={"q": typed})
    assert r.status_code == 200 and r.json() == want, (typed, r.text)

# A trusted sender's remote content shows at once; removing it blocks it again.
typ, data = m.search(None, "SUBJECT", "Offer")
offer = data[0].split()[-1].decode()
typ, data = m.fetch(offer, "(UID)")
uid = re.search(rb"UID (\d+)", data[0]).group(1).decode()
m.logout()
page = s.get(f"{base}/webmail/f/INBOX/{uid}").text
assert "Always show from mallory@example.org" in page and f'src="/webmail/f/INBOX/{uid}/html"' in page, page
assert s.post(f"{base}/webmail/f/INBOX/{uid}/trust", data={"csrf": "forged"}).status_code == 403
r = s.post(f"{base}/webmail/f/INBOX/{uid}/trust", data={"csrf": csrf}, allow_redirects=False)
assert r.status_code == 303, r.status_code
page = s.get(f"{base}/webmail/f/INBOX/{uid}").text
assert f'src="/webmail/f/INBOX/{uid}/html?remote=1"' in page and "you trust mallory@example.org" in page, page
assert "mallory@example.org" in s.get(base + "/webmail/settings").text
r = s.post(base + "/webmail/settings/trusted", data={"csrf": csrf, "remove": "mallory@example.org"})
assert r.status_code == 200 and "blocked again" in r.text, r.text
page = s.get(f"{base}/webmail/f/INBOX/{uid}").text
assert f'src="/webmail/f/INBOX/{uid}/html"' in page, page

# Folders: created, renamed, deleted (with its messages only when confirmed); standard ones stay.
def folder(action, name, to="", confirm=False, token=csrf):
    d = {"csrf": token, "action": action, "name": name, "to": to}
    if confirm: d["confirm"] = "1"
    return s.post(base + "/webmail/folders", data=d)
for args, status, says in [
    (("create", "Projects.2026"), 200, "Projects.2026 created."),
    (("create", "Projects.2026"), 422, "exists"),
    (("rename", "Projects.2026", "Archive"), 200, "Projects.2026 is now Archive."),
    (("rename", "Sent", "Old"), 422, "Sent is a standard folder."),
    (("delete", "INBOX"), 422, "INBOX is a standard folder."),
    (("rename", "NoSuch", "Other"), 422, "Not done: no mailbox NoSuch"),
]:
    r = folder(*args)
    assert r.status_code == status and says in r.text, (args, r.status_code, r.text)
assert folder("create", "Evil", token="forged").status_code == 403
r = s.post(base + "/webmail/f/INBOX/bulk", data=[("csrf", csrf), ("uid", uid), ("action", "move"), ("to", "Archive")],
           allow_redirects=False)
assert r.status_code == 303, r.status_code
r = folder("delete", "Archive")
assert r.status_code == 422 and "Archive holds 1 messages" in r.text, r.text
r = folder("delete", "Archive", confirm=True)
assert r.status_code == 200 and "Archive deleted." in r.text, r.text
print("ok")
"#,
        &[&format!("https://{https}"), &srv.imap.port().to_string(), &srv.smtp.port().to_string()],
    );
    assert_eq!(out.trim(), "ok");
    let log = srv.log();
    assert!(!log.contains("panicked"), "{log}");
    srv.stop();
}

store_tests!(keeps_identities_and_trusted_senders_threads_conversations_suggests_addresses_and_pushes_changes);

/// Chromium, as a member uses it: sign in, read a plain and a hostile HTML message (no script
/// runs, and nothing loads from the "remote" server, a local HTTPS server counting requests,
/// until "Show remote content"; then only the image), write with an attachment that arrives
/// in another account over IMAP, see new mail appear without a reload, the draft saved by
/// itself, addresses suggested, reply, make a folder and move to it, mark as junk, search,
/// set a vacation reply (answered once, not twice), sign out. The common part again at a
/// phone's size. Screenshots go to target/webmail-screenshots.
#[test]
fn in_chromium_a_member_reads_writes_replies_moves_marks_junk_searches_and_nothing_hostile_runs() {
    let test = "webmail::in_chromium_a_member_reads_writes_replies_moves_marks_junk_searches";
    if skip_without("chromedriver", test) || skip_without("openssl", test) {
        return;
    }
    if python("import importlib.util; print(importlib.util.find_spec('selenium') is not None)", &[]).trim() != "True" {
        if crate::util::peers_required() {
            panic!("{test}: Python's selenium is required (MAILCTL_TEST_PEERS=required) but not installed");
        }
        crate::util::skip(test, "Python's selenium is not installed (pip install selenium)");
        return;
    }
    let Some(env) = Env::new(crate::util::Backend::Sqlite, test) else { return };
    env.init("example.com");
    for who in ["ann", "bob", "carol"] {
        env.create(&format!("{who}@example.com"), "vip");
    }
    env.serve_config(&[]);
    let srv = env.start_server();
    let https = srv.https.expect("an https listener");
    let shots = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/webmail-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = python(
        r##"
import http.server, os, ssl, subprocess, sys, tempfile, threading, time, smtplib, imaplib
from email.message import EmailMessage
base, smtp_port, shots, imap_port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
# The "remote" server: HTTPS on loopback, counting what is asked of it.
hits = []
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        hits.append(self.path)
        self.send_response(200); self.send_header("Content-Type", "image/gif"); self.end_headers()
        self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")
    def log_message(self, *a): pass
d = tempfile.mkdtemp()
subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", d + "/k.pem", "-out", d + "/c.pem"],
               check=True, capture_output=True)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(d + "/c.pem", d + "/k.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
remote = f"https://127.0.0.1:{srv.server_address[1]}"

def send(frm, to, subject, text, html=None):
    msg = EmailMessage()
    msg["From"] = frm; msg["To"] = to; msg["Subject"] = subject
    msg.set_content(text)
    if html: msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", smtp_port, timeout=20) as s:
        s.send_message(msg, from_addr=frm.split("<")[-1].rstrip(">"), to_addrs=[to])
def imap(who):
    c = imaplib.IMAP4("127.0.0.1", imap_port)
    c.starttls(ssl_context=ssl._create_unverified_context())
    c.login(who, "password123")
    return c
def count(who, folder, subject):
    c = imap(who)
    c.select(folder, readonly=True)
    typ, data = c.search(None, "SUBJECT", f'"{subject}"')
    c.logout()
    return len(data[0].split())

send("Mallory <mallory@example.org>", "ann@example.com", "Hostile HTML", "plain", f"""<html><head>
<script src="{remote}/script.js"></script>
<meta http-equiv="refresh" content="0;url={remote}/refresh"><style>@import url({remote}/import.css);</style></head>
<body onload="fetch('{remote}/onload')"><h1>Hello Ann</h1><script>alert(1); fetch("{remote}/inline")</script>
<img src="{remote}/pixel.gif" alt="pixel"><img src="x" onerror="alert(2); fetch('{remote}/onerror')">
<svg><script>alert(3)</script></svg><div style="background:url({remote}/style)">styled</div>
<form action="{remote}/form"><input name="p"><button>Go</button></form>
<a id="link" href="javascript:alert(4)">click</a></body></html>""")
for who in ["ann", "carol"]:
    send("Bob <bob@example.com>", f"{who}@example.com", "Lunch?", "Noon at the usual place?")
    send("Spammer <win@example.net>", f"{who}@example.com", "Cheap pills", "Buy now")

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

def browser(width, height):
    o = webdriver.ChromeOptions()
    for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--ignore-certificate-errors",
              f"--window-size={width},{height}", "--disable-gpu"]:
        o.add_argument(a)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    driver.set_page_load_timeout(30)
    driver.implicitly_wait(10)
    return driver

def no_alert(driver):
    try:
        driver.switch_to.alert
        raise SystemExit("a script ran: an alert is open")
    except NoAlertPresentException:
        pass

def arrives(driver, path, what):
    # A click returns before the next page has loaded: wait for its address.
    try:
        WebDriverWait(driver, 15).until(lambda d: path in d.current_url)
    except Exception:
        raise AssertionError((what, driver.current_url, driver.page_source[:2000]))

def lands(driver, path, what):
    # Like arrives, for a page whose address the one before it contains (a message's own page
    # is under its folder's): wait for exactly this path.
    from urllib.parse import urlparse
    try:
        WebDriverWait(driver, 15).until(lambda d: urlparse(d.current_url).path == path)
    except Exception:
        raise AssertionError((what, driver.current_url, driver.page_source[:2000]))

def shows(driver, text, what):
    try:
        # The page may be replaced while it is read (a new page loads, or a live update):
        # Chromium then says the element is stale, or that its node left the document.
        WebDriverWait(driver, 15, ignored_exceptions=[WebDriverException]).until(
            lambda d: text in d.find_element(By.TAG_NAME, "main").text)
    except Exception:
        raise AssertionError((what, driver.current_url, driver.page_source[:3000]))

def sign_in(driver, who):
    driver.get(base + "/webmail/")
    assert "/webmail/login" in driver.current_url, ("not sent to sign in", driver.current_url)
    driver.find_element(By.ID, "address").send_keys(who)
    driver.find_element(By.ID, "password").send_keys("password123")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    arrives(driver, "/webmail/f/INBOX", "not signed in")

def open_message(driver, subject):
    driver.get(base + "/webmail/f/INBOX")
    driver.find_element(By.PARTIAL_LINK_TEXT, subject).click()
    WebDriverWait(driver, 15, ignored_exceptions=[WebDriverException]).until(
        lambda d: d.find_element(By.TAG_NAME, "h1").text == subject)

def common(driver, who, size):
    """Read a plain message, reply, make a folder and move to it, mark as junk, search, sign out."""
    driver.get(base + "/webmail/f/INBOX")
    width = driver.get_window_size()["width"]
    link = driver.find_element(By.PARTIAL_LINK_TEXT, "Lunch?")
    assert link.is_displayed() and link.rect["x"] + link.rect["width"] <= width + 1, (size, link.rect, width)
    driver.save_screenshot(f"{shots}/inbox-{size}.png")
    open_message(driver, "Lunch?")
    assert "Noon at the usual place?" in driver.find_element(By.CSS_SELECTOR, "pre.body").text
    driver.save_screenshot(f"{shots}/plain-{size}.png")
    driver.find_element(By.LINK_TEXT, "Reply").click()
    arrives(driver, "/webmail/compose", "no composer")
    assert "bob@example.com" in driver.find_element(By.ID, "to").get_attribute("value")
    assert driver.find_element(By.ID, "subject").get_attribute("value") == "Re: Lunch?"
    driver.find_element(By.ID, "body").send_keys("Yes, see you there.")
    driver.save_screenshot(f"{shots}/reply-{size}.png")
    driver.find_element(By.XPATH, "//button[text()='Send']").click()
    arrives(driver, "/webmail/f/Sent", "reply not sent")
    deadline = time.time() + 15
    while count("bob@example.com", "INBOX", "Re: Lunch?") < (1 if size == "desktop" else 2) and time.time() < deadline:
        time.sleep(0.1)
    assert count("bob@example.com", "INBOX", "Re: Lunch?") >= 1, "the reply did not arrive"
    # A folder of one's own, and the message moved into it.
    driver.find_element(By.LINK_TEXT, "Manage folders").click()
    arrives(driver, "/webmail/folders", "no folders page")
    driver.find_element(By.ID, "new-folder").send_keys("Later")
    driver.find_element(By.XPATH, "//button[text()='Create']").click()
    shows(driver, "Later created.", "folder not created")
    open_message(driver, "Lunch?")
    Select(driver.find_element(By.ID, "move-to")).select_by_visible_text("Later")
    driver.find_element(By.XPATH, "//select[@id='move-to']/following-sibling::button").click()
    lands(driver, "/webmail/f/INBOX", "not moved")
    driver.get(base + "/webmail/f/Later")
    assert driver.find_element(By.PARTIAL_LINK_TEXT, "Lunch?").is_displayed()
    assert count(who, "Later", "Lunch?") == 1 and count(who, "INBOX", "Lunch?") == 0
    # Junk: the message goes to Junk.
    open_message(driver, "Cheap pills")
    driver.find_element(By.XPATH, "//button[text()='Junk']").click()
    lands(driver, "/webmail/f/INBOX", "not marked as junk")
    assert count(who, "Junk", "Cheap pills") == 1 and count(who, "INBOX", "Cheap pills") == 0
    # Searching from the bar on every page finds the message in its new folder.
    driver.find_element(By.ID, "q").send_keys("usual place")
    driver.find_element(By.XPATH, "//form[@role='search']//button").click()
    arrives(driver, "/webmail/search", "not searched")
    shows(driver, "Lunch?", "not found")
    assert "Later" in driver.find_element(By.TAG_NAME, "main").text
    driver.save_screenshot(f"{shots}/search-{size}.png")

def sign_out(driver):
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    arrives(driver, "/webmail/login", "not signed out")
    driver.get(base + "/webmail/f/INBOX")
    assert "/webmail/login" in driver.current_url, "signed out"

driver = browser(1280, 900)
try:
    sign_in(driver, "ann@example.com")
    # The hostile message: no script, nothing remote until asked, then only the image.
    open_message(driver, "Hostile HTML")
    WebDriverWait(driver, 10).until(EC.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe.body")))
    assert WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.TAG_NAME, "h1"))).text == "Hello Ann"
    assert driver.find_elements(By.TAG_NAME, "form") == [], "a form in the message"
    driver.switch_to.default_content()
    no_alert(driver)
    driver.save_screenshot(shots + "/message-desktop.png")
    assert hits == [], f"remote requests before asking: {hits}"
    driver.find_element(By.LINK_TEXT, "Show remote content").click()
    WebDriverWait(driver, 10).until(EC.frame_to_be_available_and_switch_to_it((By.CSS_SELECTOR, "iframe.body")))
    WebDriverWait(driver, 10).until(EC.presence_of_element_located((By.TAG_NAME, "h1")))
    deadline = time.time() + 10
    while "/pixel.gif" not in hits and time.time() < deadline:
        time.sleep(0.05)
    driver.switch_to.default_content()
    no_alert(driver)
    assert hits == ["/pixel.gif"], f"only the image may load: {hits}"

    # New mail shows in the open list without a reload.
    driver.get(base + "/webmail/f/INBOX")
    WebDriverWait(driver, 15).until(lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-listening") is not None)
    driver.execute_script("window.stillTheSamePage = 1")
    send("Dora <dora@example.org>", "ann@example.com", "Live news", "fresh")
    shows(driver, "Live news", "new mail not shown")
    assert driver.execute_script("return window.stillTheSamePage") == 1, "the page was reloaded"

    # Writing with an attachment: it arrives in another account, read over IMAP. The address
    # is suggested from Ann's own mail; the draft saves itself while she writes.
    attached = os.path.join(d, "minutes.txt")
    open(attached, "w").write("minutes of the meeting")
    driver.find_element(By.LINK_TEXT, "Write").click()
    arrives(driver, "/webmail/compose", "no composer")
    driver.find_element(By.ID, "to").send_keys("bo")
    WebDriverWait(driver, 15).until(lambda d: any("bob@example.com" in (o.get_attribute("value") or "")
                                                  for o in d.find_elements(By.CSS_SELECTOR, "#addresses option")))
    driver.find_element(By.ID, "to").clear()
    driver.find_element(By.ID, "to").send_keys("Bob <bob@example.com>")
    driver.find_element(By.ID, "subject").send_keys("Minutes")
    driver.find_element(By.ID, "body").send_keys("Attached.")
    WebDriverWait(driver, 15).until(lambda d: "Draft saved" in d.find_element(By.ID, "autosave-status").text)
    assert count("ann@example.com", "Drafts", "Minutes") == 1, "the draft was not saved by itself"
    driver.find_element(By.ID, "attachments").send_keys(attached)
    driver.save_screenshot(shots + "/compose-desktop.png")
    driver.find_element(By.XPATH, "//button[text()='Send']").click()
    arrives(driver, "/webmail/f/Sent", "not sent")
    assert count("ann@example.com", "Drafts", "Minutes") == 0, "the draft stays after sending"
    b = imap("bob@example.com")
    b.select("INBOX")
    typ, data = b.search(None, "SUBJECT", "Minutes")
    typ, data = b.fetch(data[0].split()[-1], "(BODY.PEEK[])")
    assert b"Subject: Minutes" in data[0][1] and b'filename="minutes.txt"' in data[0][1], data
    b.logout()

    common(driver, "ann@example.com", "desktop")

    # A vacation reply, set in the settings (answered once per sender: checked after this script).
    driver.find_element(By.LINK_TEXT, "Settings").click()
    arrives(driver, "/webmail/settings", "no settings")
    driver.find_element(By.ID, "enabled").click()
    driver.find_element(By.ID, "vbody").send_keys("Away until Monday.")
    driver.find_element(By.XPATH, "//form[@action='/webmail/settings/vacation']//button").click()
    shows(driver, "Vacation reply saved.", "vacation not saved")
    sign_out(driver)
finally:
    driver.quit()

# The same at a phone's size.
driver = browser(390, 844)
try:
    sign_in(driver, "carol@example.com")
    common(driver, "carol@example.com", "phone")
    sign_out(driver)
finally:
    driver.quit()
print("ok")
"##,
        &[
            &format!("https://{https}"),
            &srv.smtp.port().to_string(),
            &shots.display().to_string(),
            &srv.imap.port().to_string(),
        ],
    );
    assert_eq!(out.trim(), "ok");
    // The vacation reply set in the browser: Bob's first message is answered, his second is not.
    for subject in ["first", "second"] {
        let mut c = crate::server::Client::connect(srv.smtp);
        c.read();
        c.expect("EHLO client.example.org", 250);
        c.expect("MAIL FROM:<bob@example.com>", 250);
        c.expect("RCPT TO:<ann@example.com>", 250);
        c.expect("DATA", 354);
        c.expect(&format!("From: bob@example.com\r\nTo: ann@example.com\r\nSubject: {subject}\r\n\r\nhi\r\n."), 250);
        c.expect("QUIT", 221);
    }
    crate::util::eventually("one message answered, the other found answered already", || {
        let log = srv.log();
        log.contains("vacation reply sent") && log.contains("vacation: already answered")
    });
    let replies = ["new", "cur"]
        .iter()
        .flat_map(|d| std::fs::read_dir(env.maildir("bob@example.com").join(d)).into_iter().flatten().flatten())
        .filter(|e| std::fs::read_to_string(e.path()).is_ok_and(|t| t.contains("Away until Monday.")))
        .count();
    assert_eq!(replies, 1, "one vacation reply per sender");
    let log = srv.log();
    assert!(!log.contains("panicked"), "{log}");
    srv.stop();
}
