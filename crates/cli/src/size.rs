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
