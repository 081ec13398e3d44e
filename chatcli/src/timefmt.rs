//! Relative times for people: "3 min ago", "in 29 days".

use chrono::{DateTime, Utc};

/// `t` relative to `now`: "just now", "5 min ago", "2 h ago", "3 days ago",
/// "in 29 days"; a date beyond a week.
pub fn relative(t: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - t).num_seconds();
    let (amount, future) = if seconds >= 0 {
        (seconds, false)
    } else {
        (-seconds, true)
    };
    let phrase = match amount {
        0..=59 => return "just now".to_string(),
        60..=3_599 => format!("{} min", amount / 60),
        3_600..=86_399 => format!("{} h", amount / 3_600),
        86_400..=172_799 => "1 day".to_string(),
        // An expiry "in 29 days" a second after a 30-day login would read oddly.
        _ if future && amount < 400 * 86_400 => format!("{} days", (amount + 43_200) / 86_400),
        _ if amount < 7 * 86_400 => format!("{} days", amount / 86_400),
        _ => return t.format("%Y-%m-%d").to_string(),
    };
    if future {
        format!("in {phrase}")
    } else {
        format!("{phrase} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn relative_times_read_naturally() {
        let now = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        assert_eq!(relative(now - Duration::seconds(20), now), "just now");
        assert_eq!(relative(now - Duration::minutes(3), now), "3 min ago");
        assert_eq!(relative(now - Duration::hours(5), now), "5 h ago");
        assert_eq!(relative(now - Duration::hours(30), now), "1 day ago");
        assert_eq!(relative(now - Duration::days(4), now), "4 days ago");
        assert_eq!(relative(now - Duration::days(40), now), "2026-01-29");
        assert_eq!(relative(now + Duration::days(30), now), "in 30 days");
        assert_eq!(
            relative(now + Duration::days(30) - Duration::seconds(5), now),
            "in 30 days"
        );
    }
}
