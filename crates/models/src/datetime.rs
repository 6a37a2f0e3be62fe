//! Graph's timestamps: UTC with seven fractional digits (`2020-10-25T02:19:38.1694207Z`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// A point in time as Graph writes it (`expirationDateTime` and friends).
///
/// Graph writes UTC with 100-nanosecond precision (seven fractional digits); `Display` and
/// serde write exactly that form, so Graph's values round-trip to the same text. Reading is
/// lenient: any RFC 3339 offset (converted to UTC), any number of fractional digits up to nine,
/// and a missing offset (taken as UTC, as Graph does in some error dates). Values finer than
/// 100 ns, which Graph never sends, are written with nine digits so that nothing is lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GraphDateTime(OffsetDateTime);

/// Why a text is not a Graph timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateTimeParseError {
    reason: String,
}

impl fmt::Display for DateTimeParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "not a Graph timestamp such as 2020-10-25T02:19:38.1694207Z: {}",
            self.reason
        )
    }
}

impl std::error::Error for DateTimeParseError {}

impl GraphDateTime {
    /// Wraps a `time` value, converting it to UTC.
    pub fn new(value: OffsetDateTime) -> Self {
        GraphDateTime(value.to_offset(UtcOffset::UTC))
    }

    /// The instant `seconds` after the Unix epoch, for code that keeps time as integers.
    pub fn from_unix_seconds(seconds: i64) -> Result<Self, DateTimeParseError> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .map(GraphDateTime)
            .map_err(|error| DateTimeParseError {
                reason: error.to_string(),
            })
    }

    /// The underlying `time` value (always UTC), for arithmetic and comparisons.
    pub fn as_offset_date_time(&self) -> OffsetDateTime {
        self.0
    }

    /// Seconds since the Unix epoch (fraction dropped).
    pub fn unix_timestamp(&self) -> i64 {
        self.0.unix_timestamp()
    }
}

impl From<OffsetDateTime> for GraphDateTime {
    fn from(value: OffsetDateTime) -> Self {
        GraphDateTime::new(value)
    }
}

impl From<GraphDateTime> for OffsetDateTime {
    fn from(value: GraphDateTime) -> Self {
        value.0
    }
}

impl fmt::Display for GraphDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        let nanos = t.nanosecond();
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        if nanos.is_multiple_of(100) {
            write!(f, "{:07}Z", nanos / 100)
        } else {
            write!(f, "{nanos:09}Z")
        }
    }
}

impl FromStr for GraphDateTime {
    type Err = DateTimeParseError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if let Ok(value) = OffsetDateTime::parse(text, &Rfc3339) {
            return Ok(GraphDateTime::new(value));
        }
        let without_offset = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(text, without_offset)
            .map(|value| GraphDateTime(value.assume_utc()))
            .map_err(|error| DateTimeParseError {
                reason: format!("{text:?}: {error}"),
            })
    }
}

impl Serialize for GraphDateTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for GraphDateTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> GraphDateTime {
        text.parse()
            .unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn seven_fractional_digits_round_trip_to_the_same_text() {
        for text in [
            "2020-10-25T02:19:38.1694207Z",
            "2020-10-25T02:19:45.9380004Z",
            "2022-06-09T10:45:27.4324526Z",
            "2026-01-01T00:00:00.0000000Z",
        ] {
            assert_eq!(parse(text).to_string(), text);
        }
    }

    #[test]
    fn other_offsets_are_converted_to_utc() {
        assert_eq!(
            parse("2020-10-25T04:19:38.5+02:00").to_string(),
            "2020-10-25T02:19:38.5000000Z"
        );
    }

    #[test]
    fn missing_offset_is_read_as_utc() {
        assert_eq!(
            parse("2026-01-01T00:00:00").to_string(),
            "2026-01-01T00:00:00.0000000Z"
        );
    }

    #[test]
    fn nanosecond_precision_is_not_lost() {
        let value = parse("2020-10-25T02:19:38.123456789Z");
        assert_eq!(value.to_string(), "2020-10-25T02:19:38.123456789Z");
        assert_eq!(parse(&value.to_string()), value);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        for text in [
            "",
            "yesterday",
            "2020-13-45T99:99:99Z",
            "2020-10-25T02:19:38.Z",
        ] {
            assert!(text.parse::<GraphDateTime>().is_err(), "{text}");
        }
    }
}
