//! The SMTP command parser and line splitter must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailctl::proto::smtp::command::parse;
use mailctl::proto::line::{Line, next_line};

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    while let Line::Complete { len, consumed } = next_line(rest, 4096) {
        let _ = parse(&rest[..len]);
        rest = &rest[consumed..];
    }
    let _ = parse(data);
});
