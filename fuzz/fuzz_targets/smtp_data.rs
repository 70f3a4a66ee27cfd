//! The DATA decoder: never panics, never emits more than the limit, and gives the same result
//! however the input is split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailctl::proto::smtp::data::{Decoder, Progress};

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let cut = data[0] as usize % data.len();
    let input = &data[1..];
    let mut whole = Decoder::new(4096, 200);
    let mut out_whole = Vec::new();
    let p_whole = whole.feed(input, &mut out_whole);
    assert!(out_whole.len() <= 4096 + 2);

    let cut = cut.min(input.len());
    let mut split = Decoder::new(4096, 200);
    let mut out_split = Vec::new();
    let p_split = match split.feed(&input[..cut], &mut out_split) {
        Progress::Done { consumed } => Progress::Done { consumed },
        Progress::More => match split.feed(&input[cut..], &mut out_split) {
            Progress::Done { consumed } => Progress::Done { consumed: cut + consumed },
            Progress::More => Progress::More,
        },
    };
    assert_eq!(p_whole, p_split);
    assert_eq!(whole.error(), split.error());
    if whole.error().is_none() {
        assert_eq!(out_whole, out_split);
    }
});
