//! The release server as a separate process (so its memory can be read from /proc), on loopback.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::Context;

pub struct ServerProcess {
    child: Child,
    pub url: String,
    pub app_id: String,
    pub admin_access_token: String,
    _dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `bin serve` on a fresh SQLite file with a per-address budget high enough for a load test
    /// coming from one address, and creates one app.
    pub fn start(bin: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let database = format!("sqlite://{}", dir.path().join("bench.db").display());
        let created = Command::new(bin).args(["app", "create", "--name", "bench", "--database", &database]).output()?;
        anyhow::ensure!(created.status.success(), "app create failed");
        let app: serde_json::Value = serde_json::from_slice(&created.stdout)?;
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--database",
                &database,
                "--bind",
                "127.0.0.1:0",
                "--address-budget-per-minute",
                "1000000000",
            ])
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .context("starting sealbase-server")?;
        let stdout = child.stdout.take().context("server stdout")?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let url = line.trim().strip_prefix("listening on ").context("server did not report its address")?.to_owned();
        Ok(Self {
            child,
            url,
            app_id: app["appId"].as_str().context("appId")?.to_owned(),
            admin_access_token: app["adminAccessToken"].as_str().context("token")?.to_owned(),
            _dir: dir,
        })
    }

    /// CPU time (user + system) the server has used so far.
    pub fn cpu_time(&self) -> std::time::Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        let ticks: u64 = [11, 12].iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
        std::time::Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
    }

    /// Peak resident set size so far, in bytes (VmHWM).
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
