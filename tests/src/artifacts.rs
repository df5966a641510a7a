//! Per-test artefact directory: every peer writes its config, logs and recordings below it, so a
//! failing test leaves everything needed to understand it in one place.

use std::path::{Path, PathBuf};

/// `<workspace>/test-artifacts/<test-name>/`, emptied when created.
///
/// On drop: if the test is panicking the directory is kept and its path printed; on success it
/// is deleted (recordings add up), unless `DIALTONE_KEEP_ARTIFACTS=1`. Declare it *before* the
/// peers so it is dropped after them and their logs are complete.
/// The root can be moved with `DIALTONE_ARTIFACTS_DIR`.
#[derive(Debug)]
pub struct ArtifactDir {
    path: PathBuf,
}

impl ArtifactDir {
    /// Recreates the directory for `test_name`; panics if the file system refuses (nothing
    /// useful can happen without it).
    pub fn new(test_name: &str) -> Self {
        let root = std::env::var_os("DIALTONE_ARTIFACTS_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                Path::new(env!("CARGO_MANIFEST_DIR"))
                    .parent()
                    .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")))
                    .join("test-artifacts")
            });
        let path = root.join(sanitize(test_name));
        if path.exists() {
            if let Err(e) = std::fs::remove_dir_all(&path) {
                panic!("cannot clear old artefacts {}: {e}", path.display());
            }
        }
        if let Err(e) = std::fs::create_dir_all(&path) {
            panic!("cannot create artefact dir {}: {e}", path.display());
        }
        Self { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A subdirectory for one peer (created), e.g. `dir.subdir("kamailio")`.
    pub fn subdir(&self, name: &str) -> PathBuf {
        let sub = self.path.join(sanitize(name));
        if let Err(e) = std::fs::create_dir_all(&sub) {
            panic!("cannot create {}: {e}", sub.display());
        }
        sub
    }
}

impl Drop for ArtifactDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "test failed: peer logs, configs and recordings kept in {}",
                self.path.display()
            );
        } else if std::env::var_os("DIALTONE_KEEP_ARTIFACTS").is_some_and(|v| v == "1") {
            eprintln!("artefacts kept in {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Test names may contain `::`; keep directory names flat and shell-friendly.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
