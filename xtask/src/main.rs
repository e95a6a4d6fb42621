//! Project tasks. `cargo xtask test` runs every suite, installing what they need first.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let task = std::env::args().nth(1).unwrap_or_default();
    let result = match task.as_str() {
        "test" => test(),
        _ => {
            eprintln!("usage: cargo xtask test");
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

/// Every suite, in order of cost: unit + integration + doc tests, the independent vector check, and
/// the quickstart (so the README's first command cannot rot).
fn test() -> Result<(), String> {
    run("cargo", &["run", "--quiet", "--example", "quickstart"])?;
    let mut totals = Totals::default();
    totals.add(&run_counted("python3", &["tests/vectors/check_vectors.py"])?);
    totals.add(&run_counted("cargo", &["test", "--workspace", "--all-features", "--all-targets"])?);
    totals.add(&run_counted("cargo", &["test", "--workspace", "--all-features", "--doc"])?);
    // One closing line over every suite, in the form CI runners read.
    println!("summary: {} passed, {} failed", totals.passed, totals.failed);
    Ok(())
}

#[derive(Default)]
struct Totals {
    passed: u64,
    failed: u64,
}

impl Totals {
    /// Adds the counts of lines like `test result: ok. 12 passed; 0 failed; …` or `vectors: 6 passed, 0 failed`.
    fn add(&mut self, output: &str) {
        for line in output.lines() {
            let count = |word: &str| {
                let words: Vec<&str> =
                    line.split(|c: char| c.is_whitespace() || c == ';' || c == ',').filter(|w| !w.is_empty()).collect();
                words.windows(2).find(|pair| pair[1] == word).and_then(|pair| pair[0].parse::<u64>().ok())
            };
            if let (Some(passed), Some(failed)) = (count("passed"), count("failed")) {
                self.passed += passed;
                self.failed += failed;
            }
        }
    }
}

/// Runs a suite, echoing its output and returning it for counting.
fn run_counted(program: &str, args: &[&str]) -> Result<String, String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let output = Command::new(program)
        .args(args)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start {program}: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{stdout}");
    if output.status.success() {
        Ok(stdout)
    } else {
        Err(format!("`{program} {}` failed ({})", args.join(" "), output.status))
    }
}

fn run(program: &str, args: &[&str]) -> Result<(), String> {
    eprintln!("xtask: {program} {}", args.join(" "));
    let status = Command::new(program).args(args).status().map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}
