//! Running commands and counting what test runners report.

use std::process::{Command, Stdio};

fn command(program: &str, args: &[&str], env: &[(&str, &str)]) -> Command {
    eprintln!("xtask: {program} {}", args.join(" "));
    let mut command = Command::new(program);
    command.args(args).envs(env.iter().copied());
    command
}

/// Runs a command, failing on a non-zero exit.
pub fn status(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<(), String> {
    let status = command(program, args, env).status().map_err(|e| format!("cannot start {program}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// Runs a suite, echoing its output and returning it for counting.
pub fn counted(program: &str, args: &[&str], env: &[(&str, &str)]) -> Result<String, String> {
    let output = command(program, args, env)
        .stderr(Stdio::inherit())
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

/// Passed and failed tests over all suites.
#[derive(Default)]
pub struct Totals {
    pub passed: u64,
    pub failed: u64,
}

impl Totals {
    /// Adds the counts of cargo's `test result: ok. 12 passed; 0 failed; …`, the vector script's
    /// `vectors: 6 passed, 0 failed` and node's TAP `# pass 12` / `# fail 0`.
    pub fn add(&mut self, output: &str) {
        for line in output.lines() {
            let words: Vec<&str> =
                line.split(|c: char| c.is_whitespace() || c == ';' || c == ',').filter(|w| !w.is_empty()).collect();
            let before =
                |word: &str| words.windows(2).find(|pair| pair[1] == word).and_then(|pair| pair[0].parse::<u64>().ok());
            if let (Some(passed), Some(failed)) = (before("passed"), before("failed")) {
                self.passed += passed;
                self.failed += failed;
            } else if let ["#", "pass", count] = words.as_slice() {
                self.passed += count.parse::<u64>().unwrap_or(0);
            } else if let ["#", "fail", count] = words.as_slice() {
                self.failed += count.parse::<u64>().unwrap_or(0);
            }
        }
    }
}
