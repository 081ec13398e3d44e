//! [`CopyStorage`] on PostgreSQL: every stored field, in keyset pages.

use super::accounts::{SESSION_COLUMNS, session_from_row};
use super::rows::{MESSAGE_COLUMNS, USER_COLUMNS, all, message, user_at};
use super::{PgTx, from_millis, to_millis};
use crate::error::{Error, Result};
use crate::ids::{MessageId, ThreadId, UserId};
use crate::models::Message;
use crate::storage::{CopyStorage, MemberKey, MemberRow, SessionRow, UserRow};

impl CopyStorage for PgTx<'_> {
    fn row_counts(&mut self) -> Result<[i64; 4]> {
        // One statement: one snapshot even outside a transaction.
        let row = self.query_one(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM sessions),
                    (SELECT count(*) FROM threads), (SELECT count(*) FROM messages)",
            &[],
        )?;
        Ok([
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
        ])
    }

    fn user_rows_page(&mut self, after: i64, up_to: i64, limit: u32) -> Result<Vec<UserRow>> {
        let rows = self.query(
            &format!(
                "SELECT {USER_COLUMNS}, email_key, username_key, password_hash, unread_total,
                    greatest(changes_pruned_through, coalesce(
                        (SELECT max(c.id) FROM changes c WHERE c.user_id = users.id), 0))
                 FROM users WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"
            ),
            &[&after, &up_to, &i64::from(limit)],
        )?;
        all(&rows, |row| {
            Ok(UserRow {
                user: user_at(row, 0)?,
                email_key: row.try_get(6)?,
                username_key: row.try_get(7)?,
                password_hash: row.try_get(8)?,
                unread_total: row.try_get(9)?,
                changes_through: row.try_get(10)?,
            })
        })
    }

    fn sessions_page(
        &mut self,
        after: Option<uuid::Uuid>,
        up_to_user: i64,
        limit: u32,
    ) -> Result<Vec<(SessionRow, [u8; 32])>> {
        // `uuid` compares its 16 bytes in order, as `uuid::Uuid` does; a
        // plain `id > $1` is a range scan of the primary key.
        let limit = i64::from(limit);
        let rows = match after {
            Some(after) => self.query(
                &format!(
                    "SELECT {SESSION_COLUMNS}, token_hash FROM sessions
                     WHERE id > $1 AND user_id <= $2 ORDER BY id LIMIT $3"
                ),
                &[&after, &up_to_user, &limit],
            )?,
            None => self.query(
                &format!(
                    "SELECT {SESSION_COLUMNS}, token_hash FROM sessions
                     WHERE user_id <= $1 ORDER BY id LIMIT $2"
                ),
                &[&up_to_user, &limit],
            )?,
        };
        all(&rows, |row| {
            let hash: Vec<u8> = row.try_get(5)?;
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| Error::storage("a stored session token hash is not 32 bytes"))?;
            Ok((session_from_row(row)?, hash))
        })
    }

    fn message_rows_page(
        &mut self,
        after: i64,
        up_to: i64,
        limit: u32,
    ) -> Result<Vec<(Message, Option<String>)>> {
        let rows = self.query(
            &format!(
                "SELECT {MESSAGE_COLUMNS}, client_key
                 FROM messages WHERE id > $1 AND id <= $2 ORDER BY id LIMIT $3"
            ),
            &[&after, &up_to, &i64::from(limit)],
        )?;
        all(&rows, |row| Ok((message(row)?, row.try_get(8)?)))
    }

    fn member_rows_page(
        &mut self,
        after: MemberKey,
        up_to_thread: i64,
        limit: u32,
    ) -> Result<Vec<MemberRow>> {
        let rows = self.query(
            "SELECT user_id, thread_id, last_activity_at, unread, last_read_id, cleared_through_id
             FROM members
             WHERE (thread_id, user_id) > ($1, $2) AND thread_id <= $3
             ORDER BY thread_id, user_id LIMIT $4",
            &[&after.0.0, &after.1.0, &up_to_thread, &i64::from(limit)],
        )?;
        all(&rows, |row| {
            Ok(MemberRow {
                user_id: UserId(row.try_get(0)?),
                thread_id: ThreadId(row.try_get(1)?),
                last_activity_at: from_millis(row.try_get(2)?)?,
                unread: row.try_get(3)?,
                last_read_id: MessageId(row.try_get(4)?),
                cleared_through: row.try_get::<_, Option<i64>>(5)?.map(MessageId),
            })
        })
    }

    fn set_member_row(&mut self, row: &MemberRow) -> Result<bool> {
        let changed = self.execute(
            "UPDATE members
             SET last_activity_at = $3, unread = $4, last_read_id = $5, cleared_through_id = $6
             WHERE user_id = $1 AND thread_id = $2",
            &[
                &row.user_id.0,
                &row.thread_id.0,
                &to_millis(row.last_activity_at),
                &row.unread,
                &row.last_read_id.0,
                &row.cleared_through.map(|id| id.0),
            ],
        )?;
        Ok(changed > 0)
    }

    fn continue_change_ids_after(&mut self, highest: i64) -> Result<()> {
        if highest > 0 {
            // The identity's sequence: its next value is highest + 1.
            self.query_one(
                "SELECT setval('changes_id_seq', greatest($1, (SELECT CASE WHEN is_called \
                 THEN last_value ELSE 0 END FROM changes_id_seq)))",
                &[&highest],
            )?;
        }
        Ok(())
    }
}
