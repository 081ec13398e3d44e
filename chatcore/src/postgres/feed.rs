//! [`FeedStorage`] on PostgreSQL: the `changes` table.
//!
//! Writers run concurrently here, so an identity column alone would not
//! give ids in commit order: a transaction could take id 10, another id 11
//! and commit first, and a reader at cursor 11 would never see 10. An
//! append therefore first takes the user's row lock, by incrementing the
//! user's entry counter (`users.changes_seq`, which is also the entry's
//! `seq`), and only then draws the id, in the same statement: the lock is
//! held to the commit, so the next append for that user waits for this
//! one to commit or roll back and draws a higher id. Per user, id order is
//! commit order, which is all a cursor (one user's position) needs.
//!
//! A transaction that appended entries is followed, once it has committed,
//! by a `NOTIFY` on the store's channel ([`CHANNEL`]) in a transaction of
//! its own ([`NOTIFY_AFTER_COMMIT`], sent by the pool): the waiters of
//! other processes wake (`watch`). Not in the appending transaction itself:
//! the server serializes the commits of notifying transactions on one lock,
//! held through the commit's flush to disk, so every send of every process
//! would wait for every other's `fsync` (8 client threads sent no faster
//! than 1). The notifying transaction writes nothing and does not wait for
//! its own flush (`synchronous_commit = off`), so it holds that lock only
//! for a moment. If the process dies between the two, the notification is
//! lost and other processes' waiters see the entries at their next
//! recheck (`Config::wait_recheck`), never later.

use super::rows::{MESSAGE_COLUMNS, message_at};
use super::{PgTx, from_millis, to_millis};
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::storage::{ChangeRow, FeedStorage, NewChange};
use chrono::{DateTime, Utc};

/// The SQL expression of the store's notification channel: one per schema
/// (a store), as short as the server's identifier limit needs.
pub(crate) const CHANNEL: &str = "'chatcore_feed_' || md5(current_schema())";

/// What the pool sends after committing a transaction that appended
/// entries: the notification, in a transaction of its own that does not
/// wait for its flush (see the module docs). One round trip.
pub(crate) static NOTIFY_AFTER_COMMIT: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "BEGIN; SET LOCAL synchronous_commit = off; SELECT pg_notify({CHANNEL}, ''); COMMIT"
        )
    });

/// The message columns of the joined `messages` row, prefixed.
fn joined_message_columns() -> String {
    MESSAGE_COLUMNS
        .split(", ")
        .map(|column| format!("m.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl FeedStorage for PgTx<'_> {
    fn append_change(&mut self, new: &NewChange) -> Result<(i64, i64)> {
        let sql = "WITH s AS (UPDATE users SET changes_seq = changes_seq + 1 WHERE id = $1
                               RETURNING changes_seq)
                   INSERT INTO changes (user_id, seq, kind, at, thread_id, message_id, other_id)
                   SELECT $1, s.changes_seq, $2, $3, $4, $5, $6
                   FROM s
                   RETURNING id, seq";
        self.notify = true;
        let row = self.query_opt(
            sql,
            &[
                &new.user.0,
                &new.kind,
                &to_millis(new.at),
                &new.thread_id.map(|id| id.0),
                &new.message_id.map(|id| id.0),
                &new.other_id.map(|id| id.0),
            ],
        )?;
        match row {
            Some(row) => Ok((row.try_get(0)?, row.try_get(1)?)),
            None => Err(Error::storage(format!(
                "no user {} to append a change for",
                new.user
            ))),
        }
    }

    fn append_change_for_every_user(&mut self, kind: i64, at: DateTime<Utc>) -> Result<u64> {
        let sql = "WITH s AS (UPDATE users SET changes_seq = changes_seq + 1
                               RETURNING id, changes_seq)
                   INSERT INTO changes (user_id, seq, kind, at)
                   SELECT s.id, s.changes_seq, $1, $2
                   FROM s ORDER BY s.id";
        self.notify = true;
        self.execute(sql, &[&kind, &to_millis(at)])
    }

    fn oldest_change(&mut self, user: UserId) -> Result<Option<(i64, i64, DateTime<Utc>)>> {
        Ok(self.oldest_changes(user, 1)?.into_iter().next())
    }

    fn oldest_changes(
        &mut self,
        user: UserId,
        limit: u32,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>> {
        let rows = self.query(
            "SELECT id, seq, at FROM changes WHERE user_id = $1 ORDER BY id LIMIT $2",
            &[&user.0, &i64::from(limit)],
        )?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get(0)?,
                    row.try_get(1)?,
                    from_millis(row.try_get(2)?)?,
                ))
            })
            .collect()
    }

    fn newest_change_id(&mut self, user: UserId) -> Result<i64> {
        Ok(self
            .query_one(
                "SELECT coalesce(max(id), 0) FROM changes WHERE user_id = $1",
                &[&user.0],
            )?
            .try_get(0)?)
    }

    fn highest_change_id(&mut self) -> Result<i64> {
        // The identity's sequence: the highest id ever drawn, pruned,
        // committed or not.
        Ok(self
            .query_one(
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM changes_id_seq",
                &[],
            )?
            .try_get(0)?)
    }

    fn changes_pruned_through(&mut self, user: UserId) -> Result<i64> {
        let row = self.query_opt(
            "SELECT changes_pruned_through FROM users WHERE id = $1",
            &[&user.0],
        )?;
        Ok(match row {
            Some(row) => row.try_get(0)?,
            None => 0,
        })
    }

    fn prune_changes(&mut self, user: UserId, through: i64) -> Result<u64> {
        let deleted = self.execute(
            "DELETE FROM changes WHERE user_id = $1 AND id <= $2",
            &[&user.0, &through],
        )?;
        self.execute(
            "UPDATE users SET changes_pruned_through = greatest(changes_pruned_through, $2)
             WHERE id = $1",
            &[&user.0, &through],
        )?;
        Ok(deleted)
    }

    fn changes_after(&mut self, user: UserId, after: i64, limit: u32) -> Result<Vec<ChangeRow>> {
        let sql = format!(
            "SELECT c.id, c.kind, c.at, c.thread_id, c.message_id, c.other_id, {}
             FROM changes c LEFT JOIN messages m ON m.id = c.message_id
             WHERE c.user_id = $1 AND c.id > $2 ORDER BY c.id LIMIT $3",
            joined_message_columns()
        );
        let rows = self.query(&sql, &[&user.0, &after, &i64::from(limit)])?;
        rows.iter()
            .map(|row| {
                let joined: Option<i64> = row.try_get(6)?;
                Ok(ChangeRow {
                    id: row.try_get(0)?,
                    kind: row.try_get(1)?,
                    at: from_millis(row.try_get(2)?)?,
                    thread_id: row.try_get::<_, Option<i64>>(3)?.map(ThreadId),
                    message_id: row.try_get::<_, Option<i64>>(4)?.map(MessageId),
                    other_id: row.try_get::<_, Option<i64>>(5)?.map(UserId),
                    message: match joined {
                        Some(_) => Some(message_at(row, 6)?),
                        None => None,
                    },
                })
            })
            .collect()
    }
}
