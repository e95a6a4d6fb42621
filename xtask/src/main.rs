//! Project tasks.
//!
//! - `cargo xtask test`: installs what the suites need (idempotently), then runs every suite.
//! - `cargo xtask pkg`: builds the npm package into `pkg/`.

mod pkg;
mod run;
mod setup;

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "pkg" => setup::tools().and_then(|tools| pkg::build(&tools)),
        _ => {
            eprintln!("usage: cargo xtask test | pkg");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask {task}: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Every suite: native Rust (unit, integration, doc), the independent vector check, the quickstart,
/// the storage layer in Chromium (wasm-bindgen-test), the npm package's types, and its flows in Node
/// and in headless Chromium against a real server.
fn test() -> Result<(), String> {
    let tools = setup::tools()?;
    let mut totals = run::Totals::default();
    run::status("cargo", &["run", "--quiet", "--example", "quickstart"], &[])?;
    totals.add(&run::counted("python3", &["tests/vectors/check_vectors.py"], &[])?);
    let native = ["--workspace", "--exclude", "sealbase-wasm", "--all-features"];
    totals.add(&run::counted("cargo", &[&["test"][..], &native, &["--all-targets"]].concat(), &[])?);
    totals.add(&run::counted("cargo", &[&["test"][..], &native, &["--doc"]].concat(), &[])?);
    totals.add(&run::counted(
        "cargo",
        &["test", "-p", "sealbase-wasm", "--target", "wasm32-unknown-unknown"],
        &[
            ("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", tools.test_runner.as_str()),
            ("CHROMEDRIVER", setup::CHROMEDRIVER),
            ("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        ],
    )?);
    pkg::build(&tools)?;
    run::status("cargo", &["build", "--quiet", "-p", "sealbase-server"], &[])?;
    run::status(&tools.bin("tsc"), &["--noEmit", "-p", "tests/js/tsconfig.json"], &[])?;
    totals.add(&run::counted(
        "node",
        &["--test", "--test-reporter=tap", "--test-concurrency=1", "tests/js/"],
        &[("SEALBASE_SERVER_BIN", "target/debug/sealbase-server")],
    )?);
    // One closing line over every suite, in the form CI runners read.
    println!("summary: {} passed, {} failed", totals.passed, totals.failed);
    Ok(())
}
