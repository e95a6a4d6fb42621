//! Project tasks.
//!
//! - `cargo xtask test`: installs what the suites need (idempotently), then runs every suite.
//! - `cargo xtask pkg`: builds the npm package into `pkg/`.
//! - `cargo xtask bench`: measures everything BENCHMARKS.md reports and rewrites it (never part of
//!   `test`).
//! - `cargo xtask postgres`: a throwaway PostgreSQL cluster for trying the server on it; prints its
//!   URL, stops and deletes it on Enter.

mod codegen;
mod pkg;
mod postgres;
mod run;
mod setup;
mod smtp;

use std::process::ExitCode;

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        "pkg" => setup::tools().and_then(|tools| pkg::build(&tools).and_then(|()| pkg::build_with_hooks(&tools))),
        "bench" => bench(),
        "postgres" => throwaway_postgres(),
        _ => {
            eprintln!("usage: cargo xtask test | pkg | bench | postgres");
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

/// Every suite: native Rust (unit, integration, doc), the server's integration suites again on
/// PostgreSQL (a private cluster started for the run; an SMTP sink receives the mail of both;
/// schemathesis fuzzes both from the OpenAPI document), the independent checks of the vectors and of the
/// import fixtures against reference implementations (Python), the quickstart,
/// the storage layer in Chromium (wasm-bindgen-test), the npm package's types, and its flows in Node
/// and in headless Chromium against a real server.
fn test() -> Result<(), String> {
    let tools = setup::tools()?;
    let cluster = postgres::Cluster::start(postgres::Durability::Tests)?;
    let sink = smtp::Sink::start(&tools.python)?;
    let (smtp_url, maildir) = (sink.url(), sink.maildir());
    let schemathesis = tools.schemathesis();
    // The services the ignored suites need: an SMTP sink for the mail flow, schemathesis for the fuzzing.
    let services = [
        ("SEALBASE_TEST_SMTP_URL", smtp_url.as_str()),
        ("SEALBASE_TEST_MAILDIR", maildir.as_str()),
        ("SEALBASE_TEST_SCHEMATHESIS", schemathesis.as_str()),
    ];
    let mut totals = run::Totals::default();
    run::status("cargo", &["run", "--quiet", "--example", "quickstart"], &[])?;
    totals.add(&run::counted(&tools.python, &["tests/vectors/check_vectors.py"], &[])?);
    totals.add(&run::counted(&tools.python, &["tests/fixtures/imported_hashes.py"], &[])?);
    let native = ["--workspace", "--exclude", "sealbase-wasm", "--exclude", "sealbase-wasm-legacy", "--all-features"];
    totals.add(&run::counted("cargo", &[&["test"][..], &native, &["--all-targets"]].concat(), &services)?);
    totals.add(&run::counted("cargo", &[&["test"][..], &native, &["--doc"]].concat(), &[])?);
    // The mail flow and the fuzzing are ignored without their services; this run has them, so they
    // run on SQLite here too.
    for suite in ["email_verification", "openapi"] {
        let with_services = [&["test"][..], &native, &["--test", suite, "--", "--include-ignored"]].concat();
        totals.add(&run::counted("cargo", &with_services, &services)?);
    }
    // The suites that run a server, again on PostgreSQL (the same build: the same packages and
    // features), with the tests that only make sense there (several servers, outages, TLS).
    let on_postgres = [
        ("SEALBASE_TEST_POSTGRES", cluster.admin_url()),
        ("SEALBASE_TEST_POSTGRES_CA", cluster.ca_file().display().to_string()),
    ];
    let on_postgres: Vec<(&str, &str)> =
        on_postgres.iter().map(|(k, v)| (*k, v.as_str())).chain(services.iter().copied()).collect();
    let integration = [&["test"][..], &native, &["--test", "*", "--", "--include-ignored"]].concat();
    totals.add(&run::counted("cargo", &integration, &on_postgres)?);
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
    pkg::build_with_hooks(&tools)?;
    run::status("cargo", &["build", "--quiet", "-p", "sealbase-server"], &[])?;
    run::status(&tools.bin("tsc"), &["--noEmit", "-p", "tests/js/tsconfig.json"], &[])?;
    let js = ["--test", "--test-reporter=tap", "--test-concurrency=1", "tests/js/"];
    let server_bin = ("SEALBASE_SERVER_BIN", "target/debug/sealbase-server");
    totals.add(&run::counted("node", &js, &[&[server_bin][..], &services].concat())?);
    // And against a server on PostgreSQL.
    let psql = cluster.psql_path().display().to_string();
    let js_on_postgres = [&on_postgres[..], &[server_bin, ("SEALBASE_TEST_PSQL", psql.as_str())]].concat();
    totals.add(&run::counted("node", &js, &js_on_postgres)?);
    // One closing line over every suite, in the form CI runners read.
    println!("summary: {} passed, {} failed", totals.passed, totals.failed);
    Ok(())
}

/// A cluster to try the server on PostgreSQL, until Enter.
fn throwaway_postgres() -> Result<(), String> {
    let cluster = postgres::Cluster::start(postgres::Durability::Default)?;
    cluster.psql("postgres", "CREATE DATABASE sealbase")?;
    let url = crate::postgres::with_database(&cluster.admin_url(), "sealbase");
    let kek = cluster.key_encryption_key_file()?;
    println!("PostgreSQL is running: {url}");
    println!("  cargo run -p sealbase-server -- serve --database {url} --key-encryption-key-file {}", kek.display());
    println!("Press Enter to stop it (its data is deleted).");
    let _ = std::io::stdin().read_line(&mut String::new());
    Ok(())
}

/// The last commit before the storage seam: the bench measures its server beside this build's.
const BASELINE_COMMIT: &str = "ce6cbd3";

/// Builds the package and the release binaries (and the baseline's server), measures the KDF in Node
/// and Chromium, then runs the native, end-to-end and load measurements (on SQLite, the baseline's
/// SQLite and a private PostgreSQL cluster), which write BENCHMARKS.md and the chart.
fn bench() -> Result<(), String> {
    let tools = setup::tools()?;
    pkg::build(&tools)?;
    pkg::build_with_hooks(&tools)?;
    run::status("cargo", &["build", "--quiet", "--release", "-p", "sealbase-server", "-p", "sealbase-bench"], &[])?;
    let baseline = baseline_server()?;
    let kdf = run::counted("node", &["bench/kdf.mjs"], &[("SEALBASE_SERVER_BIN", "target/release/sealbase-server")])?;
    std::fs::create_dir_all("target/bench").map_err(|e| e.to_string())?;
    std::fs::write("target/bench/kdf.json", kdf).map_err(|e| e.to_string())?;
    let cluster = postgres::Cluster::start(postgres::Durability::LikeSqlite)?;
    run::status(
        "target/release/sealbase-bench",
        &[
            "--server-bin",
            "target/release/sealbase-server",
            "--kdf-json",
            "target/bench/kdf.json",
            "--baseline-server-bin",
            &baseline,
            "--baseline-commit",
            BASELINE_COMMIT,
            "--postgres",
            &cluster.admin_url(),
        ],
        &[],
    )
}

/// The release server of [`BASELINE_COMMIT`], built once in a worktree under target/bench.
fn baseline_server() -> Result<String, String> {
    let source = format!("target/bench/baseline-{BASELINE_COMMIT}");
    let bin = format!("{source}/target/release/sealbase-server");
    if std::path::Path::new(&bin).exists() {
        return Ok(bin);
    }
    if !std::path::Path::new(&source).exists() {
        run::status("git", &["worktree", "add", "--detach", &source, BASELINE_COMMIT], &[])?;
    }
    let manifest = format!("{source}/Cargo.toml");
    run::status(
        "cargo",
        &["build", "--quiet", "--release", "-p", "sealbase-server", "--manifest-path", &manifest],
        &[],
    )?;
    Ok(bin)
}
