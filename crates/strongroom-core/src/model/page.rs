//! Cursor pagination for list operations.

use crate::error::{Error, Result};

/// The largest page a list returns.
pub const MAX_PAGE_LIMIT: u32 = 100;

/// Which page to list: up to `limit` items after the `starting_after` cursor (an id from
/// the previous page). Ids are time-ordered, so pages run oldest first.
#[derive(Clone, Debug)]
pub struct PageRequest<C> {
    pub limit: u32,
    pub starting_after: Option<C>,
}

impl<C> Default for PageRequest<C> {
    fn default() -> Self {
        Self { limit: 20, starting_after: None }
    }
}

impl<C> PageRequest<C> {
    pub fn first(limit: u32) -> Self {
        Self { limit, starting_after: None }
    }

    pub(crate) fn checked_limit(&self) -> Result<usize> {
        if self.limit == 0 || self.limit > MAX_PAGE_LIMIT {
            return Err(Error::invalid("limit", format!("must be between 1 and {MAX_PAGE_LIMIT}")));
        }
        Ok(self.limit as usize)
    }
}
