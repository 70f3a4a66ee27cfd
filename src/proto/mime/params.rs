//! Structured MIME header values (RFC 2045 Content-Type, RFC 2183 Content-Disposition,
//! RFC 3282 Content-Language): the main value and its parameters, with RFC 2231
//! continuations merged but not decoded (an encoded parameter stays `name*`).

use super::header::is_wsp;

pub type Params = Vec<(Vec<u8>, Vec<u8>)>;

fn skip_comment(v: &[u8], i: &mut usize) {
    let mut depth = 0usize;
    while *i < v.len() {
        match v[*i] {
            b'\\' => *i += 1,
            b'(' => depth += 1,
            b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    *i += 1;
                    return;
                }
            }
            _ => {}
        }
        *i += 1;
    }
}

fn skip_cfws(v: &[u8], i: &mut usize) {
    while *i < v.len() {
        match v[*i] {
            b'(' => skip_comment(v, i),
            b if is_wsp(b) => *i += 1,
            _ => return,
        }
    }
}

/// A quoted string from its opening quote: `s` gets its text, unescaped, without line ends.
pub(super) fn quoted(v: &[u8], i: &mut usize, s: &mut Vec<u8>) {
    *i += 1;
    while *i < v.len() {
        match v[*i] {
            b'\\' if *i + 1 < v.len() => {
                s.push(v[*i + 1]);
                *i += 2;
                continue;
            }
            b'"' => {
                *i += 1;
                return;
            }
            b'\r' | b'\n' => {}
            c => s.push(c),
        }
        *i += 1;
    }
}

/// `value *(; name=value)`: the main value (comments and spaces dropped) and the parameters
/// with RFC 2231 continuations merged.
pub fn parse_mime_value(v: &[u8]) -> (Vec<u8>, Params) {
    let mut i = 0;
    let mut main = Vec::new();
    while i < v.len() && v[i] != b';' {
        match v[i] {
            b'(' => skip_comment(v, &mut i),
            b'"' => quoted(v, &mut i, &mut main),
            b if is_wsp(b) => i += 1,
            b => {
                main.push(b);
                i += 1;
            }
        }
    }
    let mut params = Vec::new();
    while i < v.len() {
        i += 1; // the ';'
        skip_cfws(v, &mut i);
        let start = i;
        while i < v.len() && !is_wsp(v[i]) && !matches!(v[i], b'=' | b';' | b'(' | b'"') {
            i += 1;
        }
        let name = &v[start..i];
        skip_cfws(v, &mut i);
        if i < v.len() && v[i] == b'=' && !name.is_empty() {
            i += 1;
            skip_cfws(v, &mut i);
            let mut value = Vec::new();
            if i < v.len() && v[i] == b'"' {
                quoted(v, &mut i, &mut value);
            } else {
                let start = i;
                while i < v.len() && !is_wsp(v[i]) && !matches!(v[i], b';' | b'(') {
                    i += 1;
                }
                value.extend_from_slice(&v[start..i]);
            }
            params.push((name.to_vec(), value));
        }
        while i < v.len() && v[i] != b';' {
            if v[i] == b'(' {
                skip_comment(v, &mut i);
            } else {
                i += 1;
            }
        }
    }
    (main, merge_rfc2231(params))
}

/// `name*3` -> ("name", 3, false); `name*0*` -> ("name", 0, true); None for other names.
fn rfc2231_section(name: &[u8]) -> Option<(&[u8], u32, bool)> {
    let star = name.iter().position(|&b| b == b'*')?;
    let (base, rest) = (&name[..star], &name[star + 1..]);
    let (digits, encoded) = match rest.strip_suffix(b"*") {
        Some(d) => (d, true),
        None => (rest, false),
    };
    if base.is_empty() || digits.is_empty() || digits.len() > 6 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((base, n, encoded))
}

/// Merges RFC 2231 continuations (`name*0`, `name*1`, ...) into one parameter. When the first
/// section is encoded the result is `name*` with the still-encoded value (`charset'lang'%xx`),
/// as Dovecot sends it.
fn merge_rfc2231(params: Params) -> Params {
    if !params.iter().any(|(k, _)| k.contains(&b'*')) {
        return params;
    }
    struct Merge {
        base: Vec<u8>,
        slot: usize,
        sections: Vec<(u32, bool, Vec<u8>)>,
    }
    let mut out: Params = Vec::with_capacity(params.len());
    let mut merges: Vec<Merge> = Vec::new();
    for (k, v) in params {
        let Some((base, n, encoded)) = rfc2231_section(&k) else {
            out.push((k, v));
            continue;
        };
        match merges.iter_mut().find(|m| m.base.eq_ignore_ascii_case(base)) {
            Some(m) => m.sections.push((n, encoded, v)),
            None => {
                merges.push(Merge { base: base.to_vec(), slot: out.len(), sections: vec![(n, encoded, v)] });
                out.push((Vec::new(), Vec::new()));
            }
        }
    }
    for mut m in merges {
        m.sections.sort_by_key(|s| s.0);
        let extended = m.sections.first().is_some_and(|s| s.1);
        let mut value = Vec::new();
        for (_, encoded, v) in &m.sections {
            if extended && !encoded {
                for &b in v {
                    if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                        value.push(b);
                    } else {
                        value.extend_from_slice(format!("%{b:02X}").as_bytes());
                    }
                }
            } else {
                value.extend_from_slice(v);
            }
        }
        let mut name = m.base;
        if extended {
            name.push(b'*');
        }
        out[m.slot] = (name, value);
    }
    out
}

pub fn param<'p>(params: &'p Params, name: &[u8]) -> Option<&'p [u8]> {
    params.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_slice())
}

/// Content-Language (RFC 3282): the language tags of the list, comments and spaces dropped.
pub fn language_list(v: &[u8]) -> Vec<Vec<u8>> {
    let mut langs: Vec<Vec<u8>> = Vec::new();
    let mut i = 0;
    let mut cur = Vec::new();
    while i < v.len() {
        match v[i] {
            b'(' => skip_comment(v, &mut i),
            b',' => {
                langs.push(std::mem::take(&mut cur));
                i += 1;
            }
            b if is_wsp(b) => i += 1,
            b => {
                cur.push(b);
                i += 1;
            }
        }
    }
    langs.push(cur);
    langs.retain(|l| !l.is_empty());
    langs
}
