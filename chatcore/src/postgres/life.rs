//! [`LifeStorage`] on PostgreSQL: edits, withdrawals and clear marks.
//!
//! An edit or a withdrawal overwrites the text in the live row at once.
//! What it cannot do on PostgreSQL is what SQLite's `secure_delete` does:
//! an `UPDATE` writes a new row version, and the old one (with the old
//! text, in the table or its TOAST table) stays in the files until `VACUUM`
//! reclaims it, its bytes possibly in free space after that; the
//! write-ahead log keeps it until recycled. See `schema::V2`.

use super::PgTx;
use super::search_text::{self, Indexed};
use super::to_millis;
use crate::error::Result;
use crate::ids::{MessageId, ThreadId, UserId};
use crate::storage::LifeStorage;
use chrono::{DateTime, Utc};

/// An edit: the new text and its time, and the text's search index.
pub(crate) const EDIT: &str = "UPDATE messages SET text = $2, edited_at = $3,
     search_words = $4::text::tsvector, search_folded = $5, search_trigrams = $6 WHERE id = $1";

/// A withdrawal: the text emptied, the time set, nothing left to find.
pub(crate) const WITHDRAW: &str = "UPDATE messages SET text = '', deleted_at = $2,
     search_words = ''::tsvector, search_folded = NULL, search_trigrams = NULL WHERE id = $1";

impl LifeStorage for PgTx<'_> {
    fn set_message_text(
        &mut self,
        id: MessageId,
        text: &str,
        edited_at: DateTime<Utc>,
    ) -> Result<()> {
        let Indexed {
            words,
            folded,
            trigrams,
        } = search_text::index(text);
        self.execute(
            EDIT,
            &[
                &id.0,
                &text,
                &to_millis(edited_at),
                &words,
                &folded,
                &trigrams,
            ],
        )?;
        Ok(())
    }

    fn withdraw_message(&mut self, id: MessageId, deleted_at: DateTime<Utc>) -> Result<()> {
        self.execute(WITHDRAW, &[&id.0, &to_millis(deleted_at)])?;
        Ok(())
    }

    fn cleared_through(&mut self, user: UserId, thread: ThreadId) -> Result<Option<MessageId>> {
        let row = self.query_opt(
            "SELECT cleared_through_id FROM members WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0],
        )?;
        Ok(match row {
            Some(row) => row.try_get::<_, Option<i64>>(0)?.map(MessageId),
            None => None,
        })
    }

    fn set_cleared_through(&mut self, user: UserId, thread: ThreadId, id: MessageId) -> Result<()> {
        self.execute(
            "UPDATE members SET cleared_through_id = $3 WHERE user_id = $1 AND thread_id = $2",
            &[&user.0, &thread.0, &id.0],
        )?;
        Ok(())
    }
}
