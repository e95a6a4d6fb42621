//! Installs what the suites need, each step skipped when already done: the wasm target, the
//! wasm-bindgen CLI pinned to the crate's exact version, Debian's Chromium and ChromeDriver, the npm
//! tooling (binaryen's wasm-opt, playwright-core, TypeScript) from the committed lockfile, and a Python
//! venv of the reference implementations the vectors and fixtures are checked against.

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
    /// The venv's Python, with tests/python-requirements.txt installed.
    pub python: String,
    node_bin: PathBuf,
}

impl Tools {
    /// schemathesis' command-line tool, in the venv.
    pub fn schemathesis(&self) -> String {
        Path::new(&self.python).with_file_name("st").display().to_string()
    }

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
    let python = python_venv()?;
    Ok(Tools {
        python,
        wasm_bindgen: wasm_bindgen.display().to_string(),
        test_runner: cli_root.join("bin/wasm-bindgen-test-runner").display().to_string(),
        node_bin: Path::new(JS_TOOLS)
            .join("node_modules/.bin")
            .canonicalize()
            .map_err(|e| format!("{JS_TOOLS}: {e}"))?,
    })
}

const PYTHON_REQUIREMENTS: &str = "tests/python-requirements.txt";

/// A venv outside the repository with the pinned requirements, made again when they change.
fn python_venv() -> Result<String, String> {
    let venv = cache_dir().join("python-venv");
    let python = venv.join("bin/python").display().to_string();
    let requirements =
        std::fs::read_to_string(PYTHON_REQUIREMENTS).map_err(|e| format!("{PYTHON_REQUIREMENTS}: {e}"))?;
    let installed = venv.join("installed-requirements.txt");
    if std::fs::read_to_string(&installed).ok().as_deref() == Some(requirements.as_str()) {
        return Ok(python);
    }
    let _ = std::fs::remove_dir_all(&venv);
    run::status("python3", &["-m", "venv", &venv.display().to_string()], &[])?;
    run::status(
        &python,
        &["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", PYTHON_REQUIREMENTS],
        &[],
    )?;
    std::fs::write(&installed, requirements).map_err(|e| format!("{}: {e}", installed.display()))?;
    Ok(python)
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
