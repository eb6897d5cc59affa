//! A process-wide fork counter.
//!
//! Buffered random state (a user-space CSPRNG seeded from the OS) is copied into a child
//! by `fork()`. If parent and child then both draw from it, they produce the same bytes —
//! for an AEAD nonce that is catastrophic. [`generation`] changes in every child created by
//! `fork()`, so a holder of buffered randomness can compare generations and reseed.
//!
//! The counter is bumped by a `pthread_atfork` child handler, which costs nothing until a
//! fork happens; checking it is one atomic load.
//!
//! This is the only crate of the workspace with `unsafe` code: one FFI call that registers
//! the handler.

use std::sync::Once;
use std::sync::atomic::{AtomicU64, Ordering};

static GENERATION: AtomicU64 = AtomicU64::new(0);
static REGISTER: Once = Once::new();

extern "C" fn after_fork_in_child() {
    // Async-signal-safe: a single atomic add.
    GENERATION.fetch_add(1, Ordering::SeqCst);
}

/// The current fork generation: 0 in the original process, different in every forked
/// child (and in their children). Registers the fork handler on first use.
pub fn generation() -> u64 {
    REGISTER.call_once(|| {
        // SAFETY: `pthread_atfork` only stores the function pointers; the child handler is
        // a plain `extern "C" fn` that touches one static atomic and never unwinds.
        let rc = unsafe { libc::pthread_atfork(None, None, Some(after_fork_in_child)) };
        if rc != 0 {
            // Without the handler a fork could not be seen; fail closed rather than
            // risk repeating random bytes in a child.
            panic!("pthread_atfork failed with {rc}: fork detection unavailable");
        }
    });
    GENERATION.load(Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_without_fork() {
        let a = generation();
        let b = generation();
        assert_eq!(a, b);
    }

    #[test]
    fn changes_in_forked_child() {
        let before = generation();
        // SAFETY: the child only reads an atomic, writes one byte to a pipe and exits
        // with `_exit`, all async-signal-safe.
        unsafe {
            let mut fds = [0i32; 2];
            assert_eq!(libc::pipe(fds.as_mut_ptr()), 0);
            let pid = libc::fork();
            assert!(pid >= 0);
            if pid == 0 {
                let changed: u8 = u8::from(GENERATION.load(Ordering::SeqCst) != before);
                libc::write(fds[1], (&changed as *const u8).cast(), 1);
                libc::_exit(0);
            }
            let mut got = 0u8;
            assert_eq!(libc::read(fds[0], (&mut got as *mut u8).cast(), 1), 1);
            let mut status = 0;
            libc::waitpid(pid, &mut status, 0);
            libc::close(fds[0]);
            libc::close(fds[1]);
            assert_eq!(got, 1, "generation must change in the child");
        }
        assert_eq!(generation(), before, "the parent's generation is unchanged");
    }
}
