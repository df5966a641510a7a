//! Locating peer executables. A missing peer is a broken test machine, never a reason to skip a
//! test, so lookups panic with the command that fixes it.

use std::path::{Path, PathBuf};

/// Debian package providing each peer binary (for the install hint).
fn package_of(name: &str) -> &'static str {
    match name {
        "kamailio" | "kamcmd" => "kamailio kamailio-tls-modules kamailio-websocket-modules",
        "baresip" => "baresip-core",
        "sipp" => "sip-tester",
        "sipsak" => "sipsak",
        "openssl" => "openssl",
        "ip" => "iproute2",
        _ => "the package providing it",
    }
}

/// Full path of `name` from `PATH` (plus the sbin directories, where kamailio lives); panics with
/// an install hint when it is missing.
pub(crate) fn require(name: &str) -> PathBuf {
    let path_var = std::env::var_os("PATH").unwrap_or_default();
    let extra = ["/usr/local/sbin", "/usr/sbin", "/sbin"].map(PathBuf::from);
    std::env::split_paths(&path_var)
        .chain(extra)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
        .unwrap_or_else(|| {
            panic!(
                "{name} not found: run scripts/install-test-deps.sh (apt-get install {})",
                package_of(name)
            )
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}
