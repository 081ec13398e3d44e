//! Page sizes shared by every listing.

use crate::error::{Error, Result};
use crate::ids::MessageId;

/// The page size when none is given.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;
/// The largest page a listing returns.
pub const MAX_PAGE_LIMIT: u32 = 500;

/// The page size to use: the default when absent; 0 or above the maximum is refused.
pub(crate) fn limit(requested: Option<u32>) -> Result<u32> {
    match requested {
        None => Ok(DEFAULT_PAGE_LIMIT),
        Some(limit @ 1..=MAX_PAGE_LIMIT) => Ok(limit),
        Some(other) => Err(Error::InvalidArgument(format!(
            "page limit {other} is out of range; use 1 to {MAX_PAGE_LIMIT}"
        ))),
    }
}

/// A message id given as a page bound (`before`, `after`, `up_to`) is 0 or more.
pub(crate) fn require_id(name: &str, id: Option<MessageId>) -> Result<Option<MessageId>> {
    match id {
        Some(MessageId(raw)) if raw < 0 => Err(Error::InvalidArgument(format!(
            "{name} must be a message id (0 or more), not {raw}"
        ))),
        other => Ok(other),
    }
}
