//! Timestamps and the calendar arithmetic card expiry needs.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// Milliseconds since the Unix epoch (UTC).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Self(i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            Err(e) => Self(-i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }

    pub fn to_system_time(self) -> SystemTime {
        if self.0 >= 0 {
            UNIX_EPOCH + Duration::from_millis(self.0.unsigned_abs())
        } else {
            UNIX_EPOCH - Duration::from_millis(self.0.unsigned_abs())
        }
    }

    /// This time plus `d`, saturating far in the future.
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// This instant in RFC 3339, UTC, to the millisecond: `2026-11-24T00:00:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let days = self.0.div_euclid(86_400_000);
        let ms = self.0.rem_euclid(86_400_000);
        let (y, m, d) = civil_from_days(days);
        let (h, min, s, milli) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{milli:03}Z")
    }

    /// The UTC calendar (year, month 1–12) this instant falls in.
    pub fn year_month(self) -> (i32, u32) {
        let days = self.0.div_euclid(86_400_000);
        let (y, m, _) = civil_from_days(days);
        (y, m)
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day).
/// Howard Hinnant's algorithm, exact over the whole i64 day range used here.
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (i32::try_from(y).unwrap_or(i32::MAX), m as u32, d as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(Timestamp::from_millis(1_795_478_400_000).to_rfc3339(), "2026-11-24T00:00:00.000Z");
        assert_eq!(Timestamp::from_millis(86_399_999).to_rfc3339(), "1970-01-01T23:59:59.999Z");
    }

    #[test]
    fn calendar() {
        assert_eq!(Timestamp::from_millis(0).year_month(), (1970, 1));
        // 2026-11-24T00:00:00Z
        assert_eq!(Timestamp::from_millis(1_795_478_400_000).year_month(), (2026, 11));
        // 2024-02-29T23:59:59.999Z then 2024-03-01
        assert_eq!(Timestamp::from_millis(1_709_251_199_999).year_month(), (2024, 2));
        assert_eq!(Timestamp::from_millis(1_709_251_200_000).year_month(), (2024, 3));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn system_time_round_trip() {
        let t = Timestamp::from_millis(1_795_478_400_123);
        assert_eq!(Timestamp::from_system_time(t.to_system_time()), t);
    }
}
