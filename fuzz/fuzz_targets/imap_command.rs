//! The IMAP framer and command parser must never panic, and the framer must never ask for
//! more than the limits allow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailctl::proto::imap::command::parse;
use mailctl::proto::imap::framer::{Frame, Framer, Limits};

const LIMITS: Limits = Limits { line: 4096, append_literal: 1 << 20, literal: 4096 };

fuzz_target!(|data: &[u8]| {
    let mut framer = Framer::default();
    let mut buf = data;
    for _ in 0..64 {
        match framer.next(buf, &LIMITS) {
            Frame::Complete(n) => {
                assert!(n > 0 && n <= buf.len());
                let _ = parse(&buf[..n]);
                buf = &buf[n..];
            }
            Frame::Continue(n) => {
                assert!(n <= LIMITS.append_literal);
                framer.acknowledge();
            }
            Frame::TooBig { discard, .. } => {
                assert!(discard > 0 && discard <= buf.len());
                buf = &buf[discard..];
            }
            Frame::Incomplete | Frame::Fatal(_) => break,
        }
    }
    let _ = parse(data);
});
