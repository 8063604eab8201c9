//! Returning freed memory to the system (ground floor: no stage logic).
//!
//! glibc keeps freed blocks in per-thread arenas (the readers, rayon and Polars threads
//! each have one). A table built by worker threads and stacked or re-built on another
//! leaves its old blocks in the workers' arenas, where nothing else reuses them: the
//! run's resident memory is then the sum of what each arena ever held rather than what
//! the run holds (docs/architecture.md, « Benchmarks »). [`release_freed`] gives those
//! blocks back.

/// Returns the free blocks of every arena to the system (glibc on Linux; nothing
/// elsewhere).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub fn release_freed() {
    // SAFETY: `malloc_trim` only walks the allocator's own free lists; it takes no
    // pointer from us and is safe to call from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Returns the free blocks of every arena to the system (glibc on Linux; nothing
/// elsewhere).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_freed() {}
