//! The release server as separate processes (so their CPU time and memory can be read from /proc), on
//! loopback: one on a SQLite file, or one or more replicas on a fresh PostgreSQL database.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context;

/// Connections per server on PostgreSQL.
pub const POOL_SIZE: usize = 4;

/// The servers under load and what they store in.
pub struct Deployment {
    replicas: Vec<Child>,
    urls: Vec<String>,
    pub app_id: String,
    pub admin_access_token: String,
    /// The PostgreSQL postmaster, whose processes' CPU time counts as the database's.
    postmaster: Option<u32>,
    _dir: tempfile::TempDir,
}

impl Deployment {
    /// One server on a fresh SQLite file.
    pub fn sqlite(bin: &Path) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let database = format!("sqlite://{}", dir.path().join("bench.db").display());
        Self::start(bin, &database, 1, None, dir)
    }

    /// `replicas` servers on a fresh database of the PostgreSQL cluster at `cluster` (a superuser URL).
    pub async fn postgres(bin: &Path, cluster: &str, replicas: usize) -> anyhow::Result<Self> {
        let (admin, connection) = tokio_postgres::connect(cluster, tokio_postgres::NoTls).await?;
        tokio::spawn(connection);
        let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
        admin.batch_execute(&format!("CREATE DATABASE {name}")).await?;
        let backend: i32 = admin.query_one("SELECT pg_backend_pid()", &[]).await?.get(0);
        let postmaster = parent_of(u32::try_from(backend)?).context("the postmaster of the benchmark cluster")?;
        // Connections sized to the database's machine, as PostgreSQL's guidance goes (two to four per
        // core in all): two cores here, shared with everything else.
        let database = match cluster.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{name}?pool_size={POOL_SIZE}"),
            None => anyhow::bail!("not a PostgreSQL URL: {cluster}"),
        };
        let dir = tempfile::tempdir()?;
        // Servers on PostgreSQL need a key-encryption key; on SQLite they make one beside the database.
        let kek = dir.path().join("kek");
        let mut options = std::fs::OpenOptions::new();
        std::os::unix::fs::OpenOptionsExt::mode(options.write(true).create_new(true), 0o600);
        let key: [u8; 32] = rand::random();
        std::io::Write::write_all(&mut options.open(&kek)?, sealbase::protocol::b64::encode(&key).as_bytes())?;
        Self::start(bin, &database, replicas, Some(postmaster), dir)
    }

    fn start(
        bin: &Path,
        database: &str,
        replicas: usize,
        postmaster: Option<u32>,
        dir: tempfile::TempDir,
    ) -> anyhow::Result<Self> {
        let created = Command::new(bin).args(["app", "create", "--name", "bench", "--database", database]).output()?;
        anyhow::ensure!(created.status.success(), "app create failed: {}", String::from_utf8_lossy(&created.stderr));
        // The previous build printed log lines before the JSON on stdout: the JSON is the last lines.
        let stdout = String::from_utf8_lossy(&created.stdout);
        let json = &stdout[stdout.find('{').context("app create printed no JSON")?..];
        let app: serde_json::Value = serde_json::from_str(json)?;
        let mut deployment = Self {
            replicas: Vec::new(),
            urls: Vec::new(),
            app_id: app["appId"].as_str().context("appId")?.to_owned(),
            admin_access_token: app["adminAccessToken"].as_str().context("token")?.to_owned(),
            postmaster,
            _dir: dir,
        };
        for _ in 0..replicas {
            // A per-address budget high enough for a load test coming from one address.
            let kek = dir_kek(&deployment._dir);
            let mut child = Command::new(bin)
                .args(["serve", "--database", database, "--bind", "127.0.0.1:0"])
                .envs(kek.as_ref().map(|file| ("SEALBASE_KEY_ENCRYPTION_KEY_FILE", file)))
                .args(["--address-budget-per-minute", "1000000000"])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .spawn()
                .context("starting sealbase-server")?;
            let stdout = child.stdout.take().context("server stdout")?;
            deployment.replicas.push(child);
            let mut reader = BufReader::new(stdout);
            let url = loop {
                let mut line = String::new();
                anyhow::ensure!(reader.read_line(&mut line)? > 0, "the server stopped before listening");
                if let Some(url) = line.trim().strip_prefix("listening on ") {
                    break url.to_owned();
                }
            };
            deployment.urls.push(url);
        }
        Ok(deployment)
    }

    /// The URL of the replica a request `i` goes to (round robin, as a load balancer would).
    pub fn url(&self, i: usize) -> &str {
        &self.urls[i % self.urls.len()]
    }

    pub fn replica_count(&self) -> usize {
        self.urls.len()
    }

    /// CPU time (user + system) the servers have used so far.
    pub fn server_cpu_time(&self) -> Duration {
        self.replicas.iter().map(|child| cpu_time(child.id(), false)).sum()
    }

    /// CPU time the database's processes have used so far (zero for SQLite, which runs in the server).
    pub fn database_cpu_time(&self) -> Duration {
        let Some(postmaster) = self.postmaster else { return Duration::ZERO };
        let children: Duration = children_of(postmaster).into_iter().map(|pid| cpu_time(pid, false)).sum();
        // The postmaster's own time and that of its children that have exited.
        cpu_time(postmaster, true) + children
    }

    /// Peak resident set size so far of the first server, in bytes (VmHWM).
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.replicas[0].id())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for Deployment {
    fn drop(&mut self) {
        for child in &mut self.replicas {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The key-encryption key file a deployment made, if any.
fn dir_kek(dir: &tempfile::TempDir) -> Option<std::path::PathBuf> {
    Some(dir.path().join("kek")).filter(|file| file.exists())
}

/// Fields of /proc/PID/stat after the parenthesised command name.
fn stat_fields(pid: u32) -> Vec<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().map(String::from).collect()
}

/// utime + stime (+ cutime + cstime: children that have exited) of a process.
fn cpu_time(pid: u32, with_exited_children: bool) -> Duration {
    let fields = stat_fields(pid);
    let indices: &[usize] = if with_exited_children { &[11, 12, 13, 14] } else { &[11, 12] };
    let ticks: u64 = indices.iter().filter_map(|&i| fields.get(i)?.parse::<u64>().ok()).sum();
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn parent_of(pid: u32) -> Option<u32> {
    stat_fields(pid).get(1)?.parse().ok()
}

fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| parent_of(*pid) == Some(parent))
        .collect()
}
