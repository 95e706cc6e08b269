//! Counted nouns for panic and error messages: "1 entry", "2 entries".

use core::fmt;

/// `n` followed by the singular noun for 1 and the plural otherwise (see [`count`]).
pub(crate) struct Count {
    n: usize,
    one: &'static str,
    many: &'static str,
}

/// `count(1, "entry", "entries")` prints as "1 entry", `count(0, …)` as "0 entries".
pub(crate) fn count(n: usize, one: &'static str, many: &'static str) -> Count {
    Count { n, one, many }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let noun = if self.n == 1 { self.one } else { self.many };
        write!(f, "{} {noun}", self.n)
    }
}

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn singular_only_for_one() {
        assert_eq!(count(1, "entry", "entries").to_string(), "1 entry");
        assert_eq!(count(0, "entry", "entries").to_string(), "0 entries");
        assert_eq!(count(2, "value", "values").to_string(), "2 values");
    }
}
