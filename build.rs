//! Build script: links the `observatoire` binary as a position-dependent executable on
//! Linux. Every workbook is read in a child process of this binary (docs/architecture.md
//! §4, "Reading is isolated"): as a position-independent executable, each child start
//! applies about 134 000 relocations and copies the pages they touch (≈ 5 ms of system
//! time per workbook, 2 s for a national network); linked at a fixed address it starts in
//! ≈ 1 ms. The libraries, heap and stack stay at random addresses.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
        // The national bench answers the worker command itself: linked the same way, its
        // reading children start as the binary's do.
        println!("cargo:rustc-link-arg-benches=-no-pie");
    }
}
