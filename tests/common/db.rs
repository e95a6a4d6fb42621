//! The test's own view of the server's database, on either backend: what was stored, and changes made
//! behind the server's back (a session revoked elsewhere, a clock moved). SQL here is the portable
//! subset both SQLite and PostgreSQL run.

use std::collections::BTreeMap;
use std::path::Path;

/// Which backend this run's servers use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// A superuser URL of the cluster on which each test gets a database.
    Postgres(String),
}

impl Backend {
    /// `SEALBASE_TEST_POSTGRES` selects PostgreSQL.
    pub fn of_this_run() -> Self {
        match std::env::var("SEALBASE_TEST_POSTGRES") {
            Ok(url) if !url.is_empty() => Self::Postgres(url),
            _ => Self::Sqlite,
        }
    }
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// A row by column name.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub BTreeMap<String, Cell>);

impl Row {
    fn cell(&self, column: &str) -> &Cell {
        self.0.get(column).unwrap_or_else(|| panic!("no column {column} in {self:?}"))
    }

    pub fn int(&self, column: &str) -> i64 {
        self.opt_int(column).unwrap_or_else(|| panic!("{column} is NULL"))
    }

    pub fn opt_int(&self, column: &str) -> Option<i64> {
        match self.cell(column) {
            Cell::Null => None,
            Cell::Int(value) => Some(*value),
            other => panic!("{column} is not an integer: {other:?}"),
        }
    }

    pub fn text(&self, column: &str) -> String {
        self.opt_text(column).unwrap_or_else(|| panic!("{column} is NULL"))
    }

    pub fn opt_text(&self, column: &str) -> Option<String> {
        match self.cell(column) {
            Cell::Null => None,
            Cell::Text(value) => Some(value.clone()),
            other => panic!("{column} is not text: {other:?}"),
        }
    }

    pub fn bytes(&self, column: &str) -> Vec<u8> {
        match self.cell(column) {
            Cell::Bytes(value) => value.clone(),
            other => panic!("{column} is not bytes: {other:?}"),
        }
    }

    pub fn real(&self, column: &str) -> f64 {
        match self.cell(column) {
            Cell::Real(value) => *value,
            Cell::Int(value) => *value as f64,
            other => panic!("{column} is not a number: {other:?}"),
        }
    }
}

/// The database of one test server.
pub struct TestDatabase {
    url: String,
    kind: Kind,
}

enum Kind {
    Sqlite { path: std::path::PathBuf },
    Postgres { admin_url: String, name: String, client: tokio_postgres::Client },
}

impl TestDatabase {
    /// An empty database for one server: a file in `dir`, or a new database on the cluster.
    pub async fn create(dir: &Path) -> Self {
        match Backend::of_this_run() {
            Backend::Sqlite => {
                let path = dir.join("sealbase.db");
                Self { url: format!("sqlite://{}", path.display()), kind: Kind::Sqlite { path } }
            }
            Backend::Postgres(admin_url) => {
                let name = format!("t_{}", uuid::Uuid::new_v4().simple());
                let admin = connect(&admin_url).await;
                admin.batch_execute(&format!("CREATE DATABASE {name}")).await.expect("test database created");
                let url = with_database(&admin_url, &name);
                let client = connect(&url).await;
                Self { url, kind: Kind::Postgres { admin_url, name, client } }
            }
        }
    }

    /// The URL the server opens.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn backend(&self) -> Backend {
        match &self.kind {
            Kind::Sqlite { .. } => Backend::Sqlite,
            Kind::Postgres { admin_url, .. } => Backend::Postgres(admin_url.clone()),
        }
    }

    /// The first column of the first row of `sql`, as a number.
    pub async fn count(&self, sql: &str) -> i64 {
        let wrapped = format!("SELECT CAST(({sql}) AS BIGINT) AS n");
        self.rows(&wrapped).await.first().and_then(|row| row.opt_int("n")).unwrap_or(0)
    }

    /// Every row of `sql`.
    pub async fn rows(&self, sql: &str) -> Vec<Row> {
        match &self.kind {
            Kind::Sqlite { path } => {
                let db = rusqlite::Connection::open(path).expect("database opens");
                let mut statement = db.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
                let columns: Vec<String> = statement.column_names().into_iter().map(String::from).collect();
                let rows = statement
                    .query_map([], |row| {
                        let mut cells = BTreeMap::new();
                        for (i, column) in columns.iter().enumerate() {
                            use rusqlite::types::ValueRef;
                            let cell = match row.get_ref(i)? {
                                ValueRef::Null => Cell::Null,
                                ValueRef::Integer(value) => Cell::Int(value),
                                ValueRef::Real(value) => Cell::Real(value),
                                ValueRef::Text(value) => Cell::Text(String::from_utf8_lossy(value).into_owned()),
                                ValueRef::Blob(value) => Cell::Bytes(value.to_vec()),
                            };
                            cells.insert(column.clone(), cell);
                        }
                        Ok(Row(cells))
                    })
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.collect::<Result<_, _>>().unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
            Kind::Postgres { client, .. } => {
                let rows = client.query(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
                rows.iter().map(pg_row).collect()
            }
        }
    }

    /// A SQL literal of these bytes, as this backend writes one.
    pub fn bytes_literal(&self, bytes: &[u8]) -> String {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        match self.kind {
            Kind::Sqlite { .. } => format!("X'{hex}'"),
            Kind::Postgres { .. } => format!("'\\x{hex}'::bytea"),
        }
    }

    /// Every byte the database holds for this server: the SQLite files, or every value of every table.
    pub async fn everything_stored(&self) -> Vec<u8> {
        match &self.kind {
            Kind::Sqlite { path } => {
                let mut bytes = Vec::new();
                for suffix in ["", "-wal"] {
                    let file = format!("{}{suffix}", path.display());
                    bytes.extend(std::fs::read(&file).unwrap_or_default());
                }
                bytes
            }
            Kind::Postgres { .. } => {
                let tables = self
                    .rows(
                        "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = 'public'",
                    )
                    .await;
                let mut bytes = Vec::new();
                for table in tables {
                    for row in self.rows(&format!("SELECT * FROM {}", table.text("name"))).await {
                        for cell in row.0.values() {
                            match cell {
                                Cell::Text(text) => bytes.extend(text.as_bytes()),
                                Cell::Bytes(value) => bytes.extend(value),
                                Cell::Int(value) => bytes.extend(value.to_string().as_bytes()),
                                Cell::Real(value) => bytes.extend(value.to_string().as_bytes()),
                                Cell::Null => {}
                            }
                            bytes.push(0);
                        }
                    }
                }
                bytes
            }
        }
    }

    /// Runs a statement the database may refuse: the rows it changed, or the database's message.
    #[allow(dead_code)] // not every test binary uses it
    pub async fn try_execute(&self, sql: &str) -> Result<u64, String> {
        match &self.kind {
            Kind::Sqlite { path } => {
                let db = rusqlite::Connection::open(path).expect("database opens");
                db.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
                db.execute(sql, []).map(|n| n as u64).map_err(|e| e.to_string())
            }
            Kind::Postgres { client, .. } => client.execute(sql, &[]).await.map_err(|e| format!("{e:?}")),
        }
    }

    /// Runs a statement; the rows it changed.
    pub async fn execute(&self, sql: &str) -> u64 {
        match &self.kind {
            Kind::Sqlite { path } => {
                let db = rusqlite::Connection::open(path).expect("database opens");
                db.busy_timeout(std::time::Duration::from_secs(10)).expect("busy timeout");
                db.execute(sql, []).unwrap_or_else(|e| panic!("{sql}: {e}")) as u64
            }
            Kind::Postgres { client, .. } => client.execute(sql, &[]).await.unwrap_or_else(|e| panic!("{sql}: {e}")),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Kind::Postgres { admin_url, name, .. } = &self.kind else { return };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // On a thread of its own: this may run inside the test's runtime, which cannot be blocked on.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async {
                let admin = connect(&admin_url).await;
                let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
            });
        });
        let _ = dropped.join();
    }
}

/// A connection whose driver task runs in the current runtime.
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.expect("PostgreSQL reachable");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// The cluster URL with another database.
pub fn with_database(cluster_url: &str, database: &str) -> String {
    let mut url = url::Url::parse(cluster_url).expect("cluster URL parses");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

fn pg_row(row: &tokio_postgres::Row) -> Row {
    use tokio_postgres::types::Type;
    let mut cells = BTreeMap::new();
    for (i, column) in row.columns().iter().enumerate() {
        let cell = match *column.type_() {
            Type::INT2 => row.get::<_, Option<i16>>(i).map(|v| Cell::Int(v.into())),
            Type::INT4 => row.get::<_, Option<i32>>(i).map(|v| Cell::Int(v.into())),
            Type::INT8 => row.get::<_, Option<i64>>(i).map(Cell::Int),
            Type::BOOL => row.get::<_, Option<bool>>(i).map(|v| Cell::Int(v.into())),
            Type::FLOAT8 => row.get::<_, Option<f64>>(i).map(Cell::Real),
            Type::TEXT | Type::VARCHAR | Type::NAME => row.get::<_, Option<String>>(i).map(Cell::Text),
            Type::BYTEA => row.get::<_, Option<Vec<u8>>>(i).map(Cell::Bytes),
            ref other => panic!("column {} has type {other}, which tests do not read", column.name()),
        };
        cells.insert(column.name().to_owned(), cell.unwrap_or(Cell::Null));
    }
    Row(cells)
}
