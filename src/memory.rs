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

/// Calls [`release_freed`] once every `every` units of work (cells protected, bytes
/// stacked…) rather than after each piece: the walk through the allocator's lists costs
/// about as much for a small piece as for a large one (at national scale, one walk a
/// part of disclosure control was a tenth of that stage's time), while the memory it
/// gives back grows with the work done since the last walk. Shared by threads.
pub struct Releaser {
    every: usize,
    pending: std::sync::atomic::AtomicUsize,
}

impl Releaser {
    pub const fn every(every: usize) -> Releaser {
        Releaser {
            every,
            pending: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// Counts `work` done; gives freed memory back when `every` units have been done
    /// since the last time. Returns whether it did.
    pub fn done(&self, work: usize) -> bool {
        use std::sync::atomic::Ordering;
        let total = self.pending.fetch_add(work, Ordering::Relaxed) + work;
        if total < self.every {
            return false;
        }
        // The thread that brings the count back to zero walks; another that added in
        // between walks at its own turn.
        if self
            .pending
            .compare_exchange(total, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        release_freed();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_once_every_so_much_work() {
        let r = Releaser::every(10);
        assert!(!r.done(4));
        assert!(!r.done(5));
        assert!(r.done(1));
        assert!(!r.done(9));
        assert!(r.done(30));
        assert!(!r.done(0));
    }
}
