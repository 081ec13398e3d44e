//! [`LifeStorage`] on SQLite: edits, withdrawals and clear marks.
//!
//! Every connection runs with `PRAGMA secure_delete = ON` (`pool`), so the
//! bytes of a replaced text are zeroed in the page (and a freed overflow
//! page is zeroed), not left in free space.

use super::{SqliteTx, to_millis};
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::storage::LifeStorage;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

/// An edit: the new text and its time.
pub(crate) const EDIT: &str = "UPDATE messages SET text = ?2, edited_at = ?3 WHERE id = ?1";

/// A withdrawal: the text emptied, the time set.
pub(crate) const WITHDRAW: &str = "UPDATE messages SET text = '', deleted_at = ?2 WHERE id = ?1";

impl LifeStorage for SqliteTx<'_> {
    fn set_message_text(
        &mut self,
        id: MessageId,
        text: &str,
        edited_at: DateTime<Utc>,
    ) -> Result<()> {
        self.conn
            .prepare_cached(EDIT)?
            .execute(params![id, text, to_millis(edited_at)])?;
        Ok(())
    }

    fn withdraw_message(&mut self, id: MessageId, deleted_at: DateTime<Utc>) -> Result<()> {
        self.conn
            .prepare_cached(WITHDRAW)?
            .execute(params![id, to_millis(deleted_at)])?;
        Ok(())
    }

    fn cleared_through(&mut self, user: UserId, thread: ThreadId) -> Result<Option<MessageId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT cleared_through_id FROM members WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .query_row(params![user, thread], |row| row.get(0))
            .optional()?
            .flatten())
    }

    fn set_cleared_through(&mut self, user: UserId, thread: ThreadId, id: MessageId) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE members SET cleared_through_id = ?3 WHERE user_id = ?1 AND thread_id = ?2",
            )?
            .execute(params![user, thread, id])?;
        Ok(())
    }
}
