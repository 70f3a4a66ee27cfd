//! ENVELOPE, BODYSTRUCTURE, sections and the SEARCH helpers run on arbitrary stored messages:
//! they must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailctl::proto::imap::body::{SectionText, body_structure, envelope, header_contains, section, text_contains};

fuzz_target!(|data: &[u8]| {
    let mut out = Vec::new();
    envelope(data, &mut out);
    body_structure(data, true, &mut out);
    body_structure(data, false, &mut out);
    let part: Vec<u32> = data.iter().take(3).map(|b| u32::from(b % 4)).filter(|&p| p > 0).collect();
    for t in [SectionText::Full, SectionText::Header, SectionText::Text, SectionText::Mime] {
        let _ = section(data, &part, &t);
    }
    let _ = section(data, &[], &SectionText::HeaderFields { names: vec!["subject".into()], not: true });
    let _ = header_contains(data, "from", "a");
    let _ = text_contains(data, "needle", true);
});
