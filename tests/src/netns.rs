//! Private network namespace per test: only `lo`, so fixed ports (5060, 5080, ...) never collide
//! with other tests or with anything else running on the machine, and no packet can leave it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use nix::sched::{unshare, CloneFlags};
use nix::unistd::Uid;

use crate::binary;
use crate::process::run_tool;

/// Namespaces created by [`Netns::enter`] in this process (their `/proc/.../ns/net` links).
static CREATED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Proof that the calling thread has entered its own network namespace.
#[derive(Debug)]
pub struct Netns {
    _private: (),
}

impl Netns {
    /// Moves the calling thread into a fresh network namespace and brings its `lo` up.
    ///
    /// Call it on the first line of the test, before creating a tokio runtime or any thread:
    /// `unshare(CLONE_NEWNET)` changes only the calling thread, and only threads and processes
    /// created by it *afterwards* inherit the namespace. A runtime built earlier (e.g. by
    /// `#[tokio::test(flavor = "multi_thread")]`) would keep its workers on the host network.
    /// So use a plain `#[test]`, call this, then build the runtime by hand.
    ///
    /// Panics (the test cannot run meaningfully otherwise) when not root or when `ip` is missing.
    pub fn enter() -> Netns {
        assert!(
            Uid::effective().is_root(),
            "Netns::enter needs root (CAP_SYS_ADMIN) for unshare(CLONE_NEWNET): run the tests as root"
        );
        let ip = binary::require("ip");
        if let Err(e) = unshare(CloneFlags::CLONE_NEWNET) {
            panic!("unshare(CLONE_NEWNET) failed: {e} (root inside a container without CAP_SYS_ADMIN?)");
        }
        // `ip` forks from this thread, so it sees the new namespace.
        if let Err(e) = run_tool("ip", Command::new(ip).args(["link", "set", "lo", "up"])) {
            panic!("cannot bring lo up in the test's network namespace: {e}");
        }
        if let Some(link) = current_namespace() {
            CREATED.lock().unwrap_or_else(|e| e.into_inner()).push(link);
        }
        Netns { _private: () }
    }

    /// True when the calling thread is in a namespace made by [`Netns::enter`] (directly, or
    /// inherited from the thread that called it). Peers check this before binding fixed ports, so
    /// a forgotten `enter` fails loudly instead of colliding with a neighbour's kamailio on 5060.
    /// (Comparing with pid 1's namespace is not possible here: sandboxes deny reading it.)
    pub fn is_private() -> bool {
        current_namespace().is_some_and(|link| {
            CREATED
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&link)
        })
    }

    /// Panics with a hint when the caller forgot [`Netns::enter`].
    pub(crate) fn assert_private(peer: &str) {
        assert!(
            Self::is_private(),
            "{peer} binds fixed loopback ports: call dialtone_tests::Netns::enter() on the test's \
             first line (and start peers from that thread or threads it creates)"
        );
    }
}

/// `net:[<inode>]` of the calling thread's namespace.
fn current_namespace() -> Option<PathBuf> {
    std::fs::read_link(Path::new("/proc/thread-self/ns/net")).ok()
}
