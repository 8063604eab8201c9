//! The one integration test binary (every extra test binary relinks Polars).

mod analysts;
mod audiences;
mod bad_inputs;
mod cli;
mod copil;
mod corpus;
mod demo;
mod dispositions;
mod fixtures;
mod golden;
mod hostile_folder;
mod house;
mod linkage;
mod linkage_harness;
mod map;
mod privacy;
mod proposer;
mod provenance;
mod rapports;
mod util;
mod workbook;
