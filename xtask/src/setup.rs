//! Installs what the suites need, each step skipped when already done: the wasm target, the
//! wasm-bindgen CLI pinned to the crate's exact version, Debian's Chromium and ChromeDriver, and the npm
//! tooling (binaryen's wasm-opt, playwright-core, TypeScript) from the committed lockfile.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run;

/// The version the workspace `Cargo.toml` pins `wasm-bindgen` to with `=`.
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// Debian's chromium-driver.
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const JS_TOOLS: &str = "tests/js";

/// Where the installed tools are.
pub struct Tools {
    pub wasm_bindgen: String,
    pub test_runner: String,
    node_bin: PathBuf,
}

impl Tools {
    /// An npm tool's executable.
    pub fn bin(&self, name: &str) -> String {
        self.node_bin.join(name).display().to_string()
    }
}

pub fn tools() -> Result<Tools, String> {
    wasm_target()?;
    let cli_root = cache_dir().join(format!("wasm-bindgen-{WASM_BINDGEN_VERSION}"));
    let wasm_bindgen = cli_root.join("bin/wasm-bindgen");
    if !wasm_bindgen.exists() {
        let root = cli_root.display().to_string();
        run::status(
            "cargo",
            &["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION, "--root", &root],
            &[],
        )?;
    }
    chromium()?;
    if !Path::new(JS_TOOLS).join("node_modules/.bin/wasm-opt").exists() {
        run::status("npm", &["ci", "--prefix", JS_TOOLS, "--no-audit", "--no-fund"], &[])?;
    }
    Ok(Tools {
        wasm_bindgen: wasm_bindgen.display().to_string(),
        test_runner: cli_root.join("bin/wasm-bindgen-test-runner").display().to_string(),
        node_bin: Path::new(JS_TOOLS)
            .join("node_modules/.bin")
            .canonicalize()
            .map_err(|e| format!("{JS_TOOLS}: {e}"))?,
    })
}

fn wasm_target() -> Result<(), String> {
    let installed =
        Command::new("rustup").args(["target", "list", "--installed"]).output().map_err(|e| format!("rustup: {e}"))?;
    if String::from_utf8_lossy(&installed.stdout).lines().any(|line| line.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    run::status("rustup", &["target", "add", "wasm32-unknown-unknown"], &[])
}

fn chromium() -> Result<(), String> {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    run::status("apt-get", &["update"], &env)?;
    run::status("apt-get", &["install", "-y", "chromium", "chromium-driver"], &env)
}

/// Outside the repository, so a fresh clone on the same machine reuses the built CLI.
fn cache_dir() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("target"))
        .join("sealbase")
}
