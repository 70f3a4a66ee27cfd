//! Lengths of time on the command line: `--since 7d`, `--expires 90d`.

/// A span such as `90s`, `30m`, `12h`, `7d` or `2w` (a bare number is seconds), as seconds;
/// for clap's `value_parser`. At most ten years.
pub fn parse(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = digits.parse().map_err(|_| format!("{s:?} is not a length of time such as 7d, 12h or 30m"))?;
    let scale = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use s, m, h, d or w)")),
    };
    n.checked_mul(scale).filter(|&secs| secs <= 3650 * 86_400).ok_or_else(|| format!("{s:?} is longer than ten years"))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn spans_take_a_number_and_a_unit_and_refuse_anything_else() {
        for (input, secs) in
            [("90", 90), ("90s", 90), ("30m", 1800), ("12h", 43_200), ("7d", 604_800), ("2w", 1_209_600)]
        {
            assert_eq!(parse(input), Ok(secs), "{input}");
        }
        for bad in ["", "d", "7 days", "-1d", "7y", "1.5h", "99999999999999999999d", "4000d"] {
            assert!(parse(bad).is_err(), "{bad:?} must be refused");
        }
    }
}
