//! The one integration test binary (every extra test binary relinks Polars).

mod bad_inputs;
mod corpus;
mod demo;
mod fixtures;
mod golden;
mod hostile_folder;
mod house;
mod linkage;
mod linkage_harness;
mod privacy;
mod util;
mod workbook;
