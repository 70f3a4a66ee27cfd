//! Sequence sets (RFC 3501 §9 `sequence-set`), for message numbers and UIDs.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqNum {
    Value(u32),
    /// `*`: the largest number in use.
    Star,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SequenceSet(pub Vec<(SeqNum, SeqNum)>);

impl SequenceSet {
    /// The ranges as inclusive (low, high) pairs, `*` standing for `largest`.
    pub fn ranges(&self, largest: u32) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.0.iter().map(move |&(a, b)| {
            let v = |n: SeqNum| match n {
                SeqNum::Value(v) => v,
                SeqNum::Star => largest,
            };
            let (a, b) = (v(a), v(b));
            (a.min(b), a.max(b))
        })
    }

    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.ranges(largest).any(|(a, b)| a <= n && n <= b)
    }
}

/// Write a sorted list of numbers as a compact set: `1:3,7,9:10`.
pub fn compact(nums: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < nums.len() {
        let start = nums[i];
        let mut end = start;
        // checked: u32::MAX ends a run instead of overflowing.
        while i + 1 < nums.len() && end.checked_add(1) == Some(nums[i + 1]) {
            i += 1;
            end = nums[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compacting() {
        assert_eq!(compact(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(compact(&[]), "");
        assert_eq!(compact(&[5]), "5");
    }

    #[test]
    fn star_and_reversed_ranges() {
        let s = SequenceSet(vec![(SeqNum::Value(5), SeqNum::Value(2)), (SeqNum::Star, SeqNum::Star)]);
        assert!(s.contains(3, 10) && s.contains(10, 10) && !s.contains(6, 10));
    }
}
