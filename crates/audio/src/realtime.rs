//! Marks the code that runs on a device thread, so a test's counting global allocator can prove
//! that it never allocates (architecture principle 3).
//!
//! Every data callback of this crate runs inside [`enter`]; a test binary installs a
//! `#[global_allocator]` that counts allocations made while [`in_device_callback`] is true
//! (see `tests/no_alloc.rs`). Cost in production: two thread-local `Cell` writes per
//! callback. Locks cannot be detected this way; the callback code holds none by construction
//! (only `rtrb` ring ends and atomics), which review of `callback.rs` shows.

use std::cell::Cell;

thread_local! {
    // `const` initialisation: reading this never allocates, not even lazily on first access.
    static IN_CALLBACK: Cell<bool> = const { Cell::new(false) };
}

/// True while the current thread is inside one of this crate's device data callbacks.
pub fn in_device_callback() -> bool {
    IN_CALLBACK.with(Cell::get)
}

/// Scope guard returned by [`enter`]; clears the flag when dropped.
pub(crate) struct CallbackScope(());

/// Flags the current thread as being inside a device callback until the guard drops.
pub(crate) fn enter() -> CallbackScope {
    IN_CALLBACK.with(|f| f.set(true));
    CallbackScope(())
}

impl Drop for CallbackScope {
    fn drop(&mut self) {
        IN_CALLBACK.with(|f| f.set(false));
    }
}
