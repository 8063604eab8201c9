//! Reading limits (defined with the other settings in `crate::settings`).

pub use crate::settings::{Limits, MIB};
