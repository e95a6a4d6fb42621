//! The operator's command line, on the backend this run selects (SQLite by default; PostgreSQL with
//! `SEALBASE_TEST_POSTGRES`): JSON on stdout and nothing else, errors on stderr with a failed exit.

#[path = "../../tests/common/db.rs"]
#[allow(dead_code)]
mod db;

use std::process::{Command, Output};

use serde_json::Value;

const SERVER: &str = env!("CARGO_BIN_EXE_sealbase-server");

fn run(database: &str, args: &[&str]) -> Output {
    Command::new(SERVER).args(args).args(["--database", database]).output().expect("runs")
}

/// Stdout of a command that must succeed, as JSON (so nothing else may be on it).
fn json(database: &str, args: &[&str]) -> Value {
    let output = run(database, args);
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{args:?} printed more than JSON: {e}"))
}

#[tokio::test]
async fn app_secrets_are_created_once_listed_without_the_secret_and_revoked_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = db::TestDatabase::create(dir.path()).await;
    let database = db.url();
    let app = json(database, &["app", "create", "--name", "shop"]);
    let app_id = app["appId"].as_str().unwrap();

    let created = json(database, &["app", "secret", "create", "--app-id", app_id, "--name", "backend"]);
    let secret = created["appSecret"].as_str().unwrap();
    assert!(secret.starts_with("sbs.") && secret.len() == 70, "{secret}");
    assert_eq!((created["appId"].as_str(), created["name"].as_str()), (Some(app_id), Some("backend")));
    json(database, &["app", "secret", "create", "--app-id", app_id, "--name", "rotation"]);

    let taken = run(database, &["app", "secret", "create", "--app-id", app_id, "--name", "backend"]);
    assert!(!taken.status.success() && taken.stdout.is_empty());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("already has a secret named \"backend\""));
    let unknown = run(database, &["app", "secret", "create", "--app-id", "no-such-app", "--name", "x"]);
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no app with id"));

    let listed = json(database, &["app", "secret", "list", "--app-id", app_id]);
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["backend", "rotation"]);
    assert_eq!(listed[0]["lastUsedAt"], Value::Null);
    assert!(listed[0]["createdAt"].as_str().is_some_and(|at| at.ends_with('Z')));
    assert!(!listed.to_string().contains(&secret[4..]), "the list never shows a secret");

    let revoked = json(database, &["app", "secret", "revoke", "--app-id", app_id, "--name", "backend"]);
    assert_eq!(revoked["revoked"], true);
    let listed = json(database, &["app", "secret", "list", "--app-id", app_id]);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let again = run(database, &["app", "secret", "revoke", "--app-id", app_id, "--name", "backend"]);
    assert!(!again.status.success(), "nothing live of that name");

    // Only a hash is stored: neither the secret nor its random part is in the database.
    let stored = db.everything_stored().await;
    let random_part = secret.rsplit('.').next().unwrap();
    assert!(!stored.windows(random_part.len()).any(|w| w == random_part.as_bytes()), "secret stored");
}

#[tokio::test]
async fn app_update_changes_the_password_policy_clients_are_given() {
    let dir = tempfile::tempdir().unwrap();
    let db = db::TestDatabase::create(dir.path()).await;
    let database = db.url();
    let app = json(database, &["app", "create", "--name", "shop", "--password-complexity", "4"]);
    let app_id = app["appId"].as_str().unwrap();
    let updated = json(database, &["app", "update", "--app-id", app_id, "--password-min-length", "12"]);
    assert_eq!(
        updated,
        serde_json::json!({ "appId": app_id, "passwordMinLength": 12, "passwordComplexity": 4,
                            "requireVerifiedEmail": false })
    );
    let updated = json(database, &["app", "update", "--app-id", app_id, "--require-verified-email", "true"]);
    assert_eq!(
        (updated["requireVerifiedEmail"].as_bool(), updated["passwordMinLength"].as_u64()),
        (Some(true), Some(12))
    );
    let updated = json(database, &["app", "update", "--app-id", app_id, "--password-complexity", "2"]);
    assert_eq!((updated["passwordMinLength"].as_u64(), updated["passwordComplexity"].as_u64()), (Some(12), Some(2)));
    for out_of_range in [["--password-complexity", "6"], ["--password-complexity", "0"], ["--password-min-length", "5"]]
    {
        let refused = run(database, &[&["app", "update", "--app-id", app_id][..], &out_of_range].concat());
        assert_eq!(refused.status.code(), Some(2), "{out_of_range:?}: clap refuses the value");
    }
    let unknown = run(database, &["app", "update", "--app-id", "no-such-app", "--password-complexity", "2"]);
    assert!(!unknown.status.success() && String::from_utf8_lossy(&unknown.stderr).contains("no app with id"));

    // What a server started on the database publishes.
    let store = sealbase_server::store::open(database).await.unwrap();
    let published = store.app(app_id).await.unwrap().unwrap().client_settings("sealbase");
    assert_eq!((published.password_min_length, published.password_complexity), (12, 2));
}

#[tokio::test]
async fn keys_rotate_kek_reseals_everything_under_the_new_key_and_the_old_one_opens_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = db::TestDatabase::create(dir.path()).await;
    let database = db.url();
    let (old, new) = (dir.path().join("old.kek"), dir.path().join("new.kek"));
    sealbase_server::KeyEncryptionKey::create(&old).unwrap();
    let with = |kek: &std::path::Path, args: &[&str]| {
        Command::new(SERVER)
            .args(args)
            .args(["--database", database, "--key-encryption-key-file"])
            .arg(kek)
            .output()
            .expect("runs")
    };
    let rotated = with(&old, &["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));

    let resealed = Command::new(SERVER)
        .args(["keys", "rotate-kek", "--database", database, "--key-encryption-key-file"])
        .arg(&old)
        .arg("--new-key-encryption-key-file")
        .arg(&new)
        .output()
        .unwrap();
    assert!(resealed.status.success(), "{}", String::from_utf8_lossy(&resealed.stderr));
    let answer: Value = serde_json::from_slice(&resealed.stdout).unwrap();
    assert_eq!(answer["resealed"], 3, "two signing keys (first start, rotation) and the challenge MAC key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&new).unwrap().permissions().mode() & 0o777, 0o600, "new file for its owner");
    }

    let refused = with(&old, &["keys", "rotate"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("does not open with this key-encryption key"));
    let rotated = with(&new, &["keys", "rotate"]);
    assert!(rotated.status.success(), "{}", String::from_utf8_lossy(&rotated.stderr));
}
