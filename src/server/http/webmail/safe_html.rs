//! A message's HTML made safe to show: cleaned by ammonia (a maintained sanitiser built on
//! html5ever, the parser browsers agree with) to a short list of tags and attributes, with
//! no scripts, event handlers, forms, frames, `<meta>`, `<style>`, `style=` or SVG; links
//! only to http, https and mailto; images only inline (`data:image/…`) unless the member asked
//! for remote content. The page it lands in is served under its own Content-Security-Policy
//! ([`CSP`], [`CSP_REMOTE`]) and shown in a sandboxed iframe: if a hole were ever found in the
//! cleaning, the browser would still run no script and fetch nothing.

use std::borrow::Cow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The cleaned message page's policy: nothing runs, nothing loads but inline images, and
/// the page is a sandbox of its own even when opened directly (links open in a new tab).
pub const CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; \
                       sandbox allow-popups allow-popups-to-escape-sandbox; base-uri 'none'; form-action 'none'";
/// The same once the member asked for remote content: images from anywhere, nothing else.
pub const CSP_REMOTE: &str = "default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline'; \
                              sandbox allow-popups allow-popups-to-escape-sandbox; base-uri 'none'; form-action 'none'";

/// The cleaned HTML and how many remote resources were left out.
pub struct Cleaned {
    pub html: String,
    pub blocked: usize,
}

/// Clean `html`; remote images are kept only with `remote`.
pub fn clean(html: &str, remote: bool) -> Cleaned {
    let blocked = Arc::new(AtomicUsize::new(0));
    let counter = blocked.clone();
    let mut b = ammonia::Builder::default();
    b.url_schemes(["http", "https", "mailto", "data"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some("noopener noreferrer"))
        .set_tag_attribute_value("a", "target", "_blank")
        .attribute_filter(move |element, attribute, value| match (element, attribute) {
            ("img", "src") => {
                let v = value.trim_start();
                let lower = v.get(..11).unwrap_or(v).to_ascii_lowercase();
                if lower.starts_with("data:image/") {
                    Some(Cow::Borrowed(value))
                } else if lower.starts_with("https:") || lower.starts_with("http:") || lower.starts_with("//") {
                    // Remote: kept when asked for, else left out and counted (to offer it).
                    if remote {
                        return Some(Cow::Borrowed(value));
                    }
                    counter.fetch_add(1, Ordering::Relaxed);
                    None
                } else {
                    // cid:, relative and unknown sources: nothing we can show.
                    None
                }
            }
            // data: is for inline images only, never a link.
            (_, "href") if value.trim_start().get(..5).is_some_and(|s| s.eq_ignore_ascii_case("data:")) => None,
            _ => Some(Cow::Borrowed(value)),
        });
    let html = b.clean(html).to_string();
    Cleaned { html, blocked: blocked.load(Ordering::Relaxed) }
}

/// The document the message frame loads: the cleaned HTML in a minimal page.
pub fn document(cleaned: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
         <base target=\"_blank\"></head><body>{cleaned}</body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile input and what may not survive it.
    const ATTACKS: &[(&str, &str)] = &[
        ("<script>alert(1)</script>hi", "<script"),
        ("<img src=x onerror=alert(1)>", "onerror"),
        ("<a href=\"javascript:alert(1)\">x</a>", "javascript:"),
        ("<a href=\"JaVaScRiPt:alert(1)\">x</a>", "alert"),
        ("<a href=\"data:text/html,<script>alert(1)</script>\">x</a>", "data:text"),
        ("<svg><script>alert(1)</script></svg>", "<svg"),
        ("<svg onload=alert(1)>", "onload"),
        ("<div style=\"background:url(https://evil.test/x)\">x</div>", "evil.test"),
        ("<style>@import url(https://evil.test/x.css);</style>", "@import"),
        ("<style>body{background:url(https://evil.test/y)}</style>", "evil.test"),
        ("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.test/\">", "refresh"),
        ("<form action=\"https://evil.test/\"><input name=p></form>", "<form"),
        ("<iframe src=\"https://evil.test/\"></iframe>", "<iframe"),
        ("<object data=\"https://evil.test/x.swf\"></object>", "<object"),
        ("<img src=\"https://evil.test/pixel.gif\">", "evil.test"),
        ("<img src=\"//evil.test/pixel.gif\">", "evil.test"),
        ("<table background=\"https://evil.test/bg.png\"><tr><td>x</td></tr></table>", "evil.test"),
        ("<base href=\"https://evil.test/\">", "<base"),
        ("<link rel=stylesheet href=\"https://evil.test/x.css\">", "<link"),
        ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", "onerror"),
        ("<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">", "onerror"),
    ];

    #[test]
    fn hostile_html_comes_out_without_scripts_handlers_forms_or_remote_fetches() {
        for (input, forbidden) in ATTACKS {
            let out = clean(input, false).html;
            assert!(!out.to_ascii_lowercase().contains(&forbidden.to_ascii_lowercase()), "{input} -> {out}");
        }
    }

    #[test]
    fn remote_images_are_counted_and_kept_only_when_asked_for() {
        let html = "<p>hi</p><img src=\"https://img.test/a.png\" alt=a><img src=\"data:image/png;base64,AAAA\">";
        let blocked = clean(html, false);
        assert_eq!(blocked.blocked, 1);
        assert!(!blocked.html.contains("img.test") && blocked.html.contains("data:image/png"));
        let shown = clean(html, true);
        assert_eq!(shown.blocked, 0);
        assert!(shown.html.contains("https://img.test/a.png"));
    }

    #[test]
    fn relative_links_that_would_point_into_the_webmail_are_dropped() {
        let out = clean("<a href=\"?remote=1\">x</a><a href=\"/webmail/logout\">y</a>", false).html;
        assert!(!out.contains("remote=1") && !out.contains("/webmail"), "{out}");
    }

    #[test]
    fn links_open_apart_and_keep_no_referrer() {
        let out = clean("<a href=\"https://example.org/\">x</a>", false).html;
        assert!(out.contains("rel=\"noopener noreferrer\"") && out.contains("target=\"_blank\""), "{out}");
    }
}
