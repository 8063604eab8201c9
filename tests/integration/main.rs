//! The one integration test binary (every extra test binary relinks Polars).

mod bad_inputs;
mod demo;
mod fixtures;
mod golden;
mod privacy;
mod util;
