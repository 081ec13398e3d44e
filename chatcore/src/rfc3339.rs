//! How the models serialize times: RFC 3339 in UTC with exactly three
//! fractional digits (`2026-03-10T12:00:00.000Z`), the precision the store
//! keeps. chrono's own format drops the fraction when it is zero, so a
//! reader would see two shapes; this is the one.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// `time` as RFC 3339, UTC, millisecond precision, `Z`.
pub(crate) fn format(time: &DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// For `#[serde(serialize_with = "crate::rfc3339::millis")]`.
pub(crate) fn millis<S: Serializer>(
    time: &DateTime<Utc>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format(time))
}

/// [`millis`] for an optional time (`null` when absent).
pub(crate) fn option_millis<S: Serializer>(
    time: &Option<DateTime<Utc>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serializer.serialize_str(&format(time)),
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use crate::{Message, MessageId, SessionInfo, Thread, ThreadId, User, UserId, Uuid};
    use chrono::{TimeZone, Utc};

    #[test]
    fn every_model_time_has_three_fractional_digits_and_z() {
        let whole = Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap();
        let with_ms = Utc.timestamp_millis_opt(1_773_144_000_120).unwrap();
        let user = User {
            id: UserId(1),
            email: "a@example.com".into(),
            username: "a".into(),
            first_name: String::new(),
            last_name: String::new(),
            created_at: whole,
        };
        let thread = Thread {
            id: ThreadId(1),
            participants: [UserId(1), UserId(2)],
            created_at: whole,
            last_activity_at: with_ms,
        };
        let message = |read_at| Message {
            id: MessageId(1),
            thread_id: ThreadId(1),
            sender_id: UserId(1),
            text: "x".into(),
            created_at: whole,
            read_at,
            edited_at: None,
            deleted_at: None,
        };
        let session = SessionInfo {
            id: Uuid::nil(),
            created_at: whole,
            last_used_at: with_ms,
            expires_at: whole,
            current: true,
        };
        let json = |value: serde_json::Value, field: &str| value[field].clone();
        let user = serde_json::to_value(&user).unwrap();
        assert_eq!(json(user, "created_at"), "2026-03-10T12:00:00.000Z");
        let thread = serde_json::to_value(&thread).unwrap();
        assert_eq!(
            json(thread.clone(), "created_at"),
            "2026-03-10T12:00:00.000Z"
        );
        assert_eq!(json(thread, "last_activity_at"), "2026-03-10T12:00:00.120Z");
        let unread = serde_json::to_value(message(None)).unwrap();
        assert_eq!(
            json(unread.clone(), "created_at"),
            "2026-03-10T12:00:00.000Z"
        );
        assert!(json(unread, "read_at").is_null());
        let read = serde_json::to_value(message(Some(whole))).unwrap();
        assert_eq!(json(read, "read_at"), "2026-03-10T12:00:00.000Z");
        let session = serde_json::to_value(&session).unwrap();
        assert_eq!(
            json(session.clone(), "created_at"),
            "2026-03-10T12:00:00.000Z"
        );
        assert_eq!(
            json(session.clone(), "last_used_at"),
            "2026-03-10T12:00:00.120Z"
        );
        assert_eq!(json(session, "expires_at"), "2026-03-10T12:00:00.000Z");
    }
}
