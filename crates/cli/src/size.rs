//! Sizes on the command line: plain bytes or binary suffixes (`327680`, `320KiB`, `10MiB`).

/// Parses `327680`, `320KiB`, `10MiB`, `1GiB` (suffix case-insensitive, optional `B`).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (digits, suffix) = trimmed.split_at(digits_end);
    if digits.is_empty() {
        return Err(format!(
            "{text:?} is not a size: write bytes or a binary suffix, like 327680, 320KiB or 10MiB"
        ));
    }
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is too large"))?;
    let multiplier: u64 = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" | "k" => 1 << 10,
        "mib" | "m" => 1 << 20,
        "gib" | "g" => 1 << 30,
        other => {
            return Err(format!(
                "unknown size suffix {other:?} in {text:?}: use KiB, MiB or GiB"
            ));
        }
    };
    number
        .checked_mul(multiplier)
        .ok_or_else(|| format!("{text:?} is too large"))
}

/// [`parse_size`], refusing 0 (a limit of 0 bytes would refuse everything).
pub fn parse_nonzero_size(text: &str) -> Result<u64, String> {
    match parse_size(text)? {
        0 => Err(format!("{text:?} is 0: give at least 1 byte")),
        size => Ok(size),
    }
}

/// A setting the uploader adapts to the link (`auto`, the default) or a fixed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auto<T>(pub Option<T>);

impl<T> Auto<T> {
    /// The fixed value, or `None` for `auto`.
    pub fn fixed(self) -> Option<T> {
        self.0
    }
}

/// `auto` or a size ([`parse_size`]).
pub fn parse_auto_size(text: &str) -> Result<Auto<u64>, String> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(Auto(None));
    }
    parse_size(text).map(|size| Auto(Some(size)))
}

/// `auto` or a number of fragments in flight, 1 to 64.
pub fn parse_auto_parallel(text: &str) -> Result<Auto<usize>, String> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(Auto(None));
    }
    match text.trim().parse::<usize>() {
        Ok(count @ 1..=64) => Ok(Auto(Some(count))),
        _ => Err(format!("{text:?} is not auto or a number from 1 to 64")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_bytes_and_binary_suffixes_are_understood() {
        assert_eq!(parse_size("327680"), Ok(327_680));
        assert_eq!(parse_size("320KiB"), Ok(327_680));
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert_eq!(parse_size("1gib"), Ok(1 << 30));
        assert_eq!(parse_size("4 MiB"), Ok(4 << 20));
    }

    #[test]
    fn auto_or_a_fixed_value() {
        assert_eq!(parse_auto_size("auto"), Ok(Auto(None)));
        assert_eq!(parse_auto_size("AUTO"), Ok(Auto(None)));
        assert_eq!(parse_auto_size("640KiB"), Ok(Auto(Some(640 * 1024))));
        assert!(parse_auto_size("automatic").is_err());
        assert_eq!(parse_auto_parallel("auto"), Ok(Auto(None)));
        assert_eq!(parse_auto_parallel("4"), Ok(Auto(Some(4))));
        for bad in ["0", "65", "-1", "four"] {
            assert!(parse_auto_parallel(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn invalid_sizes_are_refused_with_a_reason() {
        for text in [
            "",
            "MiB",
            "-1",
            "10MB",
            "1.5MiB",
            "99999999999999999999",
            "18446744073709551615GiB",
        ] {
            assert!(parse_size(text).is_err(), "{text}");
        }
    }

    #[test]
    fn zero_is_refused_where_a_limit_is_meant() {
        assert_eq!(parse_nonzero_size("1KiB"), Ok(1024));
        assert!(parse_nonzero_size("0").unwrap_err().contains("is 0"));
        assert!(parse_nonzero_size("0MiB").is_err());
    }
}
