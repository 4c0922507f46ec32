//! What the interop suites need from the machine: `node` on the `PATH` and the npm packages of
//! `tests/interop` installed. Checked before a suite starts node, so a missing piece stops the
//! test with one line naming it (and what to run), not a spawn error or a backtrace.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// The directory of the interop scripts and their `package.json`.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../interop")
}

/// What is missing for the interop suites, if anything: the one line a failing test prints.
pub fn missing(package: &str) -> Option<String> {
    static NODE: OnceLock<bool> = OnceLock::new();
    let node = *NODE.get_or_init(|| {
        Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !node {
        return Some(
            "interop test needs `node` on the PATH (Node.js 20 or later; `.ci/run` installs it), \
             then `npm ci` in tests/interop"
                .to_owned(),
        );
    }
    if !dir().join("node_modules").join(package).is_dir() {
        return Some(format!(
            "interop test needs the npm package `{package}`: run `npm ci` in tests/interop (`.ci/run` does)"
        ));
    }
    None
}

/// Stops the calling test with one line when [`missing`] finds something: the line goes to
/// stderr and the test fails without the panic hook's location and backtrace note.
pub fn require(package: &str) {
    if let Some(line) = missing(package) {
        eprintln!("{line}");
        std::panic::resume_unwind(Box::new(line));
    }
}
