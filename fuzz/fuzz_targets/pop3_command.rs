//! The POP3 command parser and the RETR/TOP encoder must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailctl::proto::pop3::{encode_message, parse};

fuzz_target!(|data: &[u8]| {
    let _ = parse(data);
    let out = encode_message(data, data.first().map(|&b| u32::from(b % 8)));
    assert!(out.ends_with(b".\r\n"));
});
