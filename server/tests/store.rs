//! The storage seam's contract, checked on the backend this run selects (SQLite by default;
//! PostgreSQL with `SEALBASE_TEST_POSTGRES`, as `cargo xtask test` runs it): what each use case writes,
//! refuses and leaves untouched, including under concurrent calls.

#[path = "../../tests/common/db.rs"]
#[allow(dead_code)]
mod db;

use std::sync::Arc;

use sealbase::crypto::{IdentityPublicKeys, KdfParams, SeedBackup};
use sealbase::protocol::b64::Bytes;
use sealbase::protocol::AccountKeys;
use sealbase::validate::RememberMe;
use sealbase_server::clock::now_ms;
use sealbase_server::store::*;
use sealbase_server::NewApp;

struct Fixture {
    _dir: tempfile::TempDir,
    db: db::TestDatabase,
    store: Arc<dyn Store>,
    app_id: String,
}

async fn fixture(app: NewApp) -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = db::TestDatabase::create(dir.path()).await;
    let store = open(db.url()).await.expect("store opens");
    let app_id = uuid::Uuid::new_v4().to_string();
    store
        .create_app(&NewAppRecord { id: app_id.clone(), app, admin_token_hash: random(), created_at: 0 })
        .await
        .unwrap();
    Fixture { _dir: dir, db, store, app_id }
}

fn random<const N: usize>() -> [u8; N] {
    sealbase::crypto::random::array()
}

fn new_user(app_id: &str, username: &str) -> UserRecord {
    UserRecord {
        id: uuid::Uuid::new_v4().to_string(),
        app_id: app_id.into(),
        username: username.into(),
        email: None,
        profile: None,
        login: Login::Keys(AccountKeys {
            kdf: KdfParams::generate(),
            login_public_key: Bytes(random()),
            seed_backup: SeedBackup { nonce: Bytes(random()), ciphertext: Bytes(random()) },
            identity: IdentityPublicKeys { signing: Bytes(random()), exchange: Bytes(random()) },
        }),
        created_at: now_ms(),
        trial_expires_at: None,
        password_seen_by_server: false,
        email_verified: false,
        claims: None,
        phone_number_verified: false,
        metadata: None,
    }
}

fn new_session(user_id: &str) -> NewSession {
    let now = now_ms();
    NewSession {
        id: uuid::Uuid::new_v4().to_string(),
        user_id: user_id.into(),
        secret_hash: random(),
        remember_me: RememberMe::Session,
        length_hours: 24.0,
        created_at: now,
        expires_at: now + 24 * 3_600_000,
    }
}

impl Fixture {
    /// A user with a live session.
    async fn user(&self, username: &str) -> (UserRecord, NewSession) {
        let user = new_user(&self.app_id, username);
        let session = new_session(&user.id);
        assert_eq!(self.store.sign_up(&user, &session).await.unwrap(), SignUpOutcome::Created);
        (self.store.user_by_id(&user.id).await.unwrap().expect("stored"), session)
    }

    async fn count(&self, sql: &str) -> i64 {
        self.db.count(sql).await
    }

    async fn spend(&self, nonce: [u8; 16], verified: Option<&UserRecord>, username: &str) -> ProofOutcome {
        self.spend_requiring(nonce, verified, username, false).await
    }

    /// A sign-in's proof, in an app that requires a verified email or not.
    async fn spend_requiring(
        &self,
        nonce: [u8; 16],
        verified: Option<&UserRecord>,
        username: &str,
        email_must_be_verified: bool,
    ) -> ProofOutcome {
        let now = now_ms();
        let attempt = ProofAttempt {
            app_id: &self.app_id,
            username,
            nonce,
            challenge_expires_at: now + 60_000,
            now,
            verified,
            email_must_be_verified,
        };
        let user_id = verified.map_or("", |user| &user.id);
        self.store.spend_proof(&attempt, ProofEffect::OpenSession(&new_session(user_id))).await.unwrap()
    }
}

#[tokio::test]
async fn sign_up_stores_user_and_session_and_refuses_duplicates_and_the_quota_whole() {
    let fixture = fixture(NewApp { user_quota: Some(2), ..Default::default() }).await;
    let (ada, session) = fixture.user("ada").await;
    assert_eq!(fixture.store.user_by_username(&fixture.app_id, "ada").await.unwrap().as_ref(), Some(&ada));
    let found = fixture.store.session_by_secret_hash(&session.secret_hash, now_ms()).await.unwrap().expect("live");
    assert_eq!((found.user_id.as_str(), found.app_id.as_str()), (ada.id.as_str(), fixture.app_id.as_str()));

    let again = new_user(&fixture.app_id, "ada");
    assert_eq!(fixture.store.sign_up(&again, &new_session(&again.id)).await.unwrap(), SignUpOutcome::UsernameTaken);
    fixture.user("bob").await;
    let third = new_user(&fixture.app_id, "carol");
    assert_eq!(fixture.store.sign_up(&third, &new_session(&third.id)).await.unwrap(), SignUpOutcome::QuotaExceeded);
    assert_eq!(
        (
            fixture.count("SELECT COUNT(*) FROM users").await,
            fixture.count("SELECT COUNT(*) FROM sessions").await,
            fixture.count("SELECT user_count FROM apps").await
        ),
        (2, 2, 2),
        "refused sign-ups wrote nothing"
    );
}

#[tokio::test]
async fn a_proof_is_spent_once_opens_its_session_and_clears_the_count() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, _) = fixture.user("ada").await;
    assert_eq!(fixture.spend(random(), None, "ada").await, ProofOutcome::Failed);
    assert_eq!(fixture.count("SELECT failures FROM sign_in_failures").await, 1);

    let nonce = random();
    assert_eq!(fixture.spend(nonce, Some(&ada), "ada").await, ProofOutcome::Accepted(ada.clone()));
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, 2, "the sign-up's and the proof's");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sign_in_failures").await, 0, "a success clears the count");
    assert_eq!(fixture.spend(nonce, Some(&ada), "ada").await, ProofOutcome::ChallengeNotValid, "replayed");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, 2, "the replay opened nothing");

    // Past its expiry by the time it is spent (cleanup may already have deleted the nonce): refused,
    // nothing written, judged by the store's clock when it spends, not the attempt's earlier `now`.
    let expired = ProofAttempt {
        app_id: &fixture.app_id,
        username: "ada",
        nonce: random(),
        challenge_expires_at: now_ms() - 1,
        now: now_ms() - 10_000,
        verified: Some(&ada),
        email_must_be_verified: false,
    };
    let outcome = fixture.store.spend_proof(&expired, ProofEffect::OpenSession(&new_session(&ada.id))).await.unwrap();
    assert_eq!(outcome, ProofOutcome::ChallengeNotValid);
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, 2);
}

#[tokio::test]
async fn failures_start_a_delay_in_which_even_a_right_proof_writes_nothing() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, _) = fixture.user("ada").await;
    for _ in 0..5 {
        assert_eq!(fixture.spend(random(), None, "ada").await, ProofOutcome::Failed);
    }
    let nonce = random();
    let ProofOutcome::Throttled { locked_until } = fixture.spend(nonce, Some(&ada), "ada").await else {
        panic!("the fifth failure starts a delay")
    };
    assert!((now_ms()..=now_ms() + 1000).contains(&locked_until), "1 s after the fifth failure");
    assert_eq!(fixture.count("SELECT failures FROM sign_in_failures").await, 5, "the throttled proof counted nothing");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, 5, "nor spent its nonce");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, 1);

    // The delay over, the same nonce is spent by the right proof.
    fixture.db.execute("UPDATE sign_in_failures SET locked_until = 0").await;
    assert_eq!(fixture.spend(nonce, Some(&ada), "ada").await, ProofOutcome::Accepted(ada));
}

#[tokio::test]
async fn an_unverified_email_is_told_only_after_the_throttle_and_a_right_proof_and_writes_nothing() {
    let fixture = fixture(NewApp { require_verified_email: true, ..Default::default() }).await;
    let (ada, _) = fixture.user("ada").await;
    let sessions = fixture.count("SELECT COUNT(*) FROM sessions").await;
    assert_eq!(
        fixture.spend_requiring(random(), Some(&ada), "ada", true).await,
        ProofOutcome::Refused(Refusal::EmailNotVerified)
    );
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, 0, "the challenge stays unspent");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, sessions, "no session opened");
    assert_eq!(fixture.spend_requiring(random(), None, "ada", true).await, ProofOutcome::Failed, "a wrong proof");

    // In a throttle delay, a right proof is told the same as a wrong one: the delay, nothing about the
    // email.
    for _ in 0..4 {
        assert_eq!(fixture.spend_requiring(random(), None, "ada", true).await, ProofOutcome::Failed);
    }
    let right = fixture.spend_requiring(random(), Some(&ada), "ada", true).await;
    let wrong = fixture.spend_requiring(random(), None, "ada", true).await;
    assert!(matches!(right, ProofOutcome::Throttled { .. }), "{right:?}");
    assert_eq!(right, wrong);

    // Verified, the same proof signs in.
    fixture.db.execute("UPDATE sign_in_failures SET locked_until = 0").await;
    fixture.db.execute("UPDATE users SET email = 'ada@example.com', email_verified = true").await;
    assert!(matches!(fixture.spend_requiring(random(), Some(&ada), "ada", true).await, ProofOutcome::Accepted(_)));
}

#[tokio::test]
async fn a_login_changed_since_it_was_read_proves_nothing() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, _) = fixture.user("ada").await;
    let changes = [
        ("email", "UPDATE users SET email = 'ada@example.com'", true),
        ("password", "UPDATE users SET login_public_key = identity_signing_public_key", false),
        ("restored", "UPDATE users SET login_public_key = identity_exchange_public_key", false),
        ("rename", "UPDATE users SET username = 'bob'", false),
    ];
    for (change, sql, still_valid) in changes {
        fixture.db.execute(sql).await;
        let outcome = fixture.spend(random(), Some(&ada), "ada").await;
        assert_eq!(outcome == ProofOutcome::Failed, !still_valid, "{change}: {outcome:?}");
    }
    fixture.db.execute("DELETE FROM users").await;
    assert_eq!(fixture.spend(random(), Some(&ada), "ada").await, ProofOutcome::Failed, "deleted");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, 0, "no session for a deleted user");
}

#[tokio::test]
async fn updates_apply_whole_on_a_live_session_or_not_at_all() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, laptop) = fixture.user("ada").await;
    fixture.user("bob").await;
    let phone = new_session(&ada.id);
    let spent = ProofAttempt {
        app_id: &fixture.app_id,
        username: "ada",
        nonce: random(),
        challenge_expires_at: now_ms() + 60_000,
        now: now_ms(),
        verified: Some(&ada),
        email_must_be_verified: false,
    };
    assert!(matches!(
        fixture.store.spend_proof(&spent, ProofEffect::OpenSession(&phone)).await.unwrap(),
        ProofOutcome::Accepted(_)
    ));
    let update = |username: Option<&str>| UserUpdate {
        user_id: ada.id.clone(),
        session_id: laptop.id.clone(),
        username: username.map(String::from),
        email: Some(Some("ada@example.com".into())),
        profile: None,
        claims: Some(Some(sealbase::protocol::UserClaims { nickname: Some("ada".into()), ..Default::default() })),
        metadata: Some(Some(serde_json::Map::from_iter([("plan".to_owned(), "pro".into())]))),
        credentials: None,
        now: now_ms(),
    };

    let refused = fixture.store.update_user(&update(Some("bob"))).await.unwrap();
    assert_eq!(refused, Err(Refusal::UsernameTaken));
    assert_eq!(fixture.count("SELECT COUNT(email) FROM users").await, 0, "the email was not set either");
    assert_eq!(fixture.count("SELECT COUNT(claims) + COUNT(metadata) FROM users").await, 0, "nor claims or metadata");

    let updated = fixture.store.update_user(&update(Some("lovelace"))).await.unwrap().expect("updated");
    assert_eq!((updated.username.as_str(), updated.email.as_deref()), ("lovelace", Some("ada@example.com")));
    assert_eq!(updated.claims.as_ref().and_then(|c| c.nickname.as_deref()), Some("ada"));
    assert_eq!(updated.metadata.as_ref().map(|m| m["plan"].clone()), Some("pro".into()));

    // A password change, proved: new credentials, every other session revoked.
    let credentials = Credentials {
        kdf: KdfParams::generate(),
        login_public_key: random(),
        seed_backup: SeedBackup { nonce: Bytes(random()), ciphertext: Bytes(random()) },
    };
    let change = UserUpdate { credentials: Some(credentials.clone()), email: None, ..update(None) };
    let proof = ProofAttempt { username: "lovelace", nonce: random(), verified: Some(&updated), ..spent };
    let ProofOutcome::Accepted(changed) =
        fixture.store.spend_proof(&proof, ProofEffect::UpdateUser(&change)).await.unwrap()
    else {
        panic!("the change is accepted")
    };
    let keys = changed.keys().expect("keys");
    assert_eq!((keys.login_public_key.0, &keys.kdf), (credentials.login_public_key, &credentials.kdf));
    assert!(fixture.store.session_by_secret_hash(&phone.secret_hash, now_ms()).await.unwrap().is_none(), "revoked");
    assert!(fixture.store.session_by_secret_hash(&laptop.secret_hash, now_ms()).await.unwrap().is_some(), "kept");

    fixture.store.revoke_session(&laptop.id, now_ms()).await.unwrap();
    assert_eq!(fixture.store.update_user(&update(None)).await.unwrap(), Err(Refusal::SessionNotLive));
    assert_eq!(
        fixture.store.delete_user(&fixture.app_id, &ada.id, &laptop.id, now_ms()).await.unwrap(),
        Err(Refusal::SessionNotLive)
    );
    assert_eq!(fixture.count("SELECT COUNT(*) FROM users").await, 2, "the refused deletion deleted nothing");
}

#[tokio::test]
async fn a_deletion_takes_the_sessions_and_frees_the_name_and_the_quota() {
    let fixture = fixture(NewApp { user_quota: Some(1), ..Default::default() }).await;
    let (ada, session) = fixture.user("ada").await;
    assert_eq!(fixture.store.delete_user(&fixture.app_id, &ada.id, &session.id, now_ms()).await.unwrap(), Ok(()));
    assert_eq!(
        (fixture.count("SELECT COUNT(*) FROM sessions").await, fixture.count("SELECT user_count FROM apps").await),
        (0, 0)
    );
    let check = fixture.store.online_check(&fixture.app_id, &ada.id, &session.id, now_ms()).await.unwrap();
    assert_eq!(check, OnlineCheck { user_exists: false, session_live: false, user_blocked: false });
    fixture.user("ada").await;
}

#[tokio::test]
async fn sessions_extend_only_while_live_and_revoke_once() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, session) = fixture.user("ada").await;
    let now = now_ms();
    assert!(fixture.store.extend_session(&session.id, now + 3_600_000, 1.0, now).await.unwrap());
    let live = fixture.store.online_check(&fixture.app_id, &ada.id, &session.id, now).await.unwrap();
    assert_eq!(live, OnlineCheck { user_exists: true, session_live: true, user_blocked: false });
    fixture.store.revoke_session(&session.id, now).await.unwrap();
    fixture.store.revoke_session(&session.id, now + 5).await.unwrap();
    assert_eq!(fixture.count("SELECT revoked_at FROM sessions").await, now, "the first revocation stands");
    assert!(!fixture.store.extend_session(&session.id, now + 3_600_000, 1.0, now).await.unwrap());
    assert!(fixture.store.session_by_secret_hash(&session.secret_hash, now).await.unwrap().is_none());
}

fn recovery(created_at: i64) -> StoredRecovery {
    StoredRecovery {
        salt: random(),
        login_public_key: random(),
        seed_backup: SeedBackup { nonce: Bytes(random()), ciphertext: Bytes(random()) },
        created_at,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recovery_key_replaces_only_the_one_it_names_once_and_only_on_a_live_session() {
    let fixture = Arc::new(fixture(NewApp::default()).await);
    let (ada, session) = fixture.user("ada").await;
    assert_eq!(fixture.store.recovery(&fixture.app_id, "ada").await.unwrap(), None);
    let first = recovery(now_ms());
    let wrong = Some(&[7u8; 32]);
    let set = |recovery: StoredRecovery, replaces: Option<[u8; 32]>| {
        let (fixture, ada, session) = (fixture.clone(), ada.clone(), session.clone());
        async move { fixture.store.set_recovery(&ada.id, &session.id, &recovery, replaces.as_ref(), now_ms()).await }
    };
    assert_eq!(
        fixture.store.set_recovery(&ada.id, &session.id, &first, wrong, now_ms()).await.unwrap(),
        Err(Refusal::RecoveryKeyChanged)
    );
    assert_eq!(set(first.clone(), None).await.unwrap(), Ok(()));
    assert_eq!(fixture.store.recovery(&fixture.app_id, "ada").await.unwrap(), Some(first.clone()));
    assert_eq!(set(recovery(now_ms()), None).await.unwrap(), Err(Refusal::RecoveryKeyChanged), "none is not current");

    // Ten devices replacing the first key at once: one wins, whose registration is the one stored.
    let racers: Vec<_> = (0..10).map(|_| recovery(now_ms())).collect();
    let attempts: Vec<_> =
        racers.iter().map(|racer| tokio::spawn(set(racer.clone(), Some(first.login_public_key)))).collect();
    let mut winners = Vec::new();
    for (racer, attempt) in racers.iter().zip(attempts) {
        match attempt.await.unwrap().unwrap() {
            Ok(()) => winners.push(racer.clone()),
            Err(refusal) => assert_eq!(refusal, Refusal::RecoveryKeyChanged),
        }
    }
    assert_eq!(winners.len(), 1);
    assert_eq!(fixture.store.recovery(&fixture.app_id, "ada").await.unwrap().as_ref(), winners.first());

    // A session that died meanwhile registers nothing, even naming the right key.
    fixture.store.revoke_session(&session.id, now_ms()).await.unwrap();
    assert_eq!(set(recovery(now_ms()), Some(winners[0].login_public_key)).await.unwrap(), Err(Refusal::SessionNotLive));
    assert_eq!(fixture.store.recovery(&fixture.app_id, "ada").await.unwrap().as_ref(), winners.first());
}

fn signing_key(created_at: i64) -> NewSigningKey {
    NewSigningKey {
        kid: uuid::Uuid::new_v4().simple().to_string(),
        sealed_private_key: random::<77>().to_vec(),
        public_key: random(),
        created_at,
    }
}

#[tokio::test]
async fn one_signing_key_is_in_use_and_a_retired_one_stays_published_for_its_window() {
    let fixture = fixture(NewApp { token_lifetime_secs: 600, ..Default::default() }).await;
    let (first, second) = (signing_key(1), signing_key(2));
    let (a, b) =
        tokio::join!(fixture.store.signing_key_or_insert(&first), fixture.store.signing_key_or_insert(&second));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.kid, b.kid, "servers starting together agree on one key");

    let now = now_ms();
    let rotated = signing_key(now);
    fixture.store.rotate_signing_key(&rotated, 1000).await.unwrap();
    assert_eq!(fixture.store.current_signing_key().await.unwrap().unwrap().kid, rotated.kid);
    let published: Vec<String> =
        fixture.store.published_keys(now).await.unwrap().into_iter().map(|key| key.kid).collect();
    assert_eq!(published, [rotated.kid.clone(), a.kid.clone()]);
    let after_window = now + 600_000 + 1000;
    let published = fixture.store.published_keys(after_window).await.unwrap();
    assert_eq!(published.len(), 1, "the retired key leaves after the longest lifetime plus the grace");

    let secret_a = fixture.store.server_secret_or_insert("mac", &[1; 61], now).await.unwrap();
    let secret_b = fixture.store.server_secret_or_insert("mac", &[2; 61], now).await.unwrap();
    assert_eq!((secret_a.value.as_slice(), secret_b.value.as_slice()), (&[1; 61][..], &[1; 61][..]));
    assert!(secret_a.sealed && secret_b.sealed);
}

#[tokio::test]
async fn purge_deletes_only_what_has_outlived_its_use() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, _) = fixture.user("ada").await;
    fixture.spend(random(), Some(&ada), "ada").await;
    fixture.spend(random(), None, "ghost").await;
    let now = now_ms();
    assert!(fixture.store.purge(now).await.unwrap());
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, 2, "unexpired nonces stay");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, 2);

    // Spent nonces outlive their challenge by a margin for servers whose clocks disagree.
    assert!(fixture.store.purge(now + 60_000 + NONCE_PURGE_GRACE_MS - 1000).await.unwrap());
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, 2, "expired, within the margin");
    assert!(fixture.store.purge(now + 60_000 + NONCE_PURGE_GRACE_MS + 1000).await.unwrap());
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, 0);

    let much_later = now + PURGE_SESSIONS_AFTER_MS + 24 * 3_600_000 + 60_000;
    assert!(fixture.store.purge(much_later).await.unwrap());
    let left = (
        fixture.count("SELECT COUNT(*) FROM used_challenges").await,
        fixture.count("SELECT COUNT(*) FROM sessions").await,
        fixture.count("SELECT COUNT(*) FROM sign_in_failures").await,
        fixture.count("SELECT COUNT(*) FROM users").await,
    );
    assert_eq!(left, (0, 0, 0, 1), "nonces, ended sessions and idle counts go; users stay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_keep_every_invariant() {
    let fixture = Arc::new(fixture(NewApp { user_quota: Some(5), ..Default::default() }).await);
    // One username, many sign-ups at once: one account.
    let attempts: Vec<_> = (0..20)
        .map(|_| {
            let fixture = fixture.clone();
            tokio::spawn(async move {
                let user = new_user(&fixture.app_id, "ada");
                fixture.store.sign_up(&user, &new_session(&user.id)).await.unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for attempt in attempts {
        outcomes.push(attempt.await.unwrap());
    }
    assert_eq!(outcomes.iter().filter(|o| **o == SignUpOutcome::Created).count(), 1);
    assert_eq!(outcomes.iter().filter(|o| **o == SignUpOutcome::UsernameTaken).count(), 19);

    // Distinct usernames past the quota: exactly the quota.
    let attempts: Vec<_> = (0..10)
        .map(|i| {
            let fixture = fixture.clone();
            tokio::spawn(async move {
                let user = new_user(&fixture.app_id, &format!("user{i}"));
                fixture.store.sign_up(&user, &new_session(&user.id)).await.unwrap()
            })
        })
        .collect();
    let mut created = 0;
    for attempt in attempts {
        created += usize::from(attempt.await.unwrap() == SignUpOutcome::Created);
    }
    assert_eq!(created, 4, "the quota of 5 admits four more");
    assert_eq!(fixture.count("SELECT user_count FROM apps").await, 5);

    // One nonce spent by many at once: one session; many bad proofs at once: each counted.
    let ada = fixture.store.user_by_username(&fixture.app_id, "ada").await.unwrap().unwrap();
    let nonce = random();
    let spends: Vec<_> = (0..20)
        .map(|_| {
            let (fixture, ada) = (fixture.clone(), ada.clone());
            tokio::spawn(async move { fixture.spend(nonce, Some(&ada), "ada").await })
        })
        .collect();
    let mut accepted = 0;
    for spend in spends {
        accepted += usize::from(matches!(spend.await.unwrap(), ProofOutcome::Accepted(_)));
    }
    assert_eq!(accepted, 1);
    // Ten guesses at once: proofs of one username are serialised, so the fifth failure's delay stops
    // the other five, which neither count nor spend anything.
    let guesses: Vec<_> = (0..10)
        .map(|_| {
            let fixture = fixture.clone();
            tokio::spawn(async move { fixture.spend(random(), None, "ada").await })
        })
        .collect();
    let (mut failed, mut throttled) = (0, 0);
    for guess in guesses {
        match guess.await.unwrap() {
            ProofOutcome::Failed => failed += 1,
            ProofOutcome::Throttled { .. } => throttled += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((failed, throttled), (5, 5));
    assert_eq!(fixture.count("SELECT failures FROM sign_in_failures").await, 5, "no failure lost to a race");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn guesses_are_serialised_whatever_isolation_the_database_defaults_to() {
    let mut fixture = fixture(NewApp::default()).await;
    if let db::Backend::Postgres(_) = fixture.db.backend() {
        // A database (or role) whose transactions default to SERIALIZABLE: the store's transactions
        // still count every guess once and stop at the fifth (it asks for READ COMMITTED itself, so it
        // does not spend its retries on serialization failures either).
        fixture
            .db
            .execute(
                "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET default_transaction_isolation \
             TO serializable', current_database()); END $$",
            )
            .await;
        fixture.store = open(fixture.db.url()).await.expect("store opens");
    }
    let fixture = Arc::new(fixture);
    let guesses: Vec<_> = (0..10)
        .map(|_| {
            let fixture = fixture.clone();
            tokio::spawn(async move { fixture.spend(random(), None, "ada").await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for guess in guesses {
        outcomes.push(guess.await.unwrap());
    }
    let failed = outcomes.iter().filter(|outcome| **outcome == ProofOutcome::Failed).count();
    let throttled = outcomes.iter().filter(|outcome| matches!(outcome, ProofOutcome::Throttled { .. })).count();
    assert_eq!((failed, throttled), (5, 5), "{outcomes:?}");
}

#[tokio::test]
async fn app_secrets_are_named_once_among_the_live_ones_and_authenticate_only_while_live() {
    use sealbase_server::auth::app_secret::{authenticate, issue};
    let fixture = fixture(NewApp::default()).await;
    let (app, store) = (fixture.app_id.as_str(), fixture.store.as_ref());
    let first = issue(app, "backend", 1).unwrap();
    let second = issue(app, "rotation", 2).unwrap();
    assert!(store.create_app_secret(&first.record).await.unwrap());
    assert!(store.create_app_secret(&second.record).await.unwrap(), "two live at once, for rotation");
    let again = issue(app, "backend", 3).unwrap();
    assert!(!store.create_app_secret(&again.record).await.unwrap(), "a live secret already has the name");
    let names: Vec<String> = store.app_secrets(app).await.unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["backend", "rotation"]);

    let now = now_ms();
    let found = authenticate(store, app, &first.secret, now).await.unwrap().expect("authenticates");
    assert_eq!(found.name, "backend");
    assert_eq!(store.app_secret(&first.record.id).await.unwrap().unwrap().last_used_at, Some(now));
    assert!(authenticate(store, "another-app", &first.secret, now).await.unwrap().is_none(), "another app's");
    let mut tampered = first.secret.to_string();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert!(authenticate(store, app, &tampered, now).await.unwrap().is_none(), "a secret differing by a bit");
    assert!(authenticate(store, app, "sbs.not.a-secret", now).await.unwrap().is_none());

    assert!(store.revoke_app_secret(app, "backend", now).await.unwrap());
    assert!(!store.revoke_app_secret(app, "backend", now).await.unwrap(), "revoked already");
    assert!(authenticate(store, app, &first.secret, now).await.unwrap().is_none(), "revoked");
    assert!(authenticate(store, app, &second.secret, now).await.unwrap().is_some(), "the other still works");
    assert!(store.create_app_secret(&again.record).await.unwrap(), "the name is free again");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM app_secrets").await, 3, "revoked ones are kept");
}

#[tokio::test]
async fn secrets_stored_plain_before_sealing_are_sealed_at_start_and_work_as_before() {
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use sealbase_server::{Config, KeyEncryptionKey, KeySource, Server};
    let fixture = fixture(NewApp::default()).await;
    // What a server before sealing left: its signing key and challenge MAC key in plain.
    let key = ed25519_dalek::SigningKey::from_bytes(&random());
    let der = key.to_pkcs8_der().unwrap().as_bytes().to_vec();
    let (mac, db) = (random::<32>(), &fixture.db);
    db.execute(&format!(
        "INSERT INTO signing_keys (kid, private_key, public_key, created_at) VALUES ('old', {}, {}, 1)",
        db.bytes_literal(&der),
        db.bytes_literal(key.verifying_key().as_bytes())
    ))
    .await;
    db.execute(&format!(
        "INSERT INTO server_secrets (name, secret, created_at) VALUES ('challenge-mac', {}, 1)",
        db.bytes_literal(&mac)
    ))
    .await;

    let kek = std::sync::Arc::new(KeyEncryptionKey::generate().0);
    let config = Config { key_encryption_key: KeySource::Key(kek.clone()), ..Config::new(db.url()) };
    let server = Server::with_store(config, fixture.store.clone()).await.expect("starts and seals");
    assert_eq!(server.signing_kid(), "old", "the same key signs");
    let stored = db.everything_stored().await;
    for (what, plain) in [("signing key", der.as_slice()), ("challenge MAC key", mac.as_slice())] {
        assert!(!stored.windows(plain.len()).any(|w| w == plain), "the {what} is still stored plain");
    }
    let sealed = db.rows("SELECT private_key FROM signing_keys WHERE kid = 'old'").await;
    let opened = kek.open(SecretKind::SigningKey, "old", &sealed[0].bytes("private_key")).expect("sealed");
    assert_eq!(opened.as_slice(), der.as_slice());
    assert_eq!(db.count("SELECT COUNT(*) FROM server_secrets WHERE sealed").await, 1);

    // Another key-encryption key opens nothing: a server with it refuses to start.
    let other = Config {
        key_encryption_key: KeySource::Key(std::sync::Arc::new(KeyEncryptionKey::generate().0)),
        ..Config::new(db.url())
    };
    let refused = Server::with_store(other, fixture.store.clone()).await.expect_err("another KEK");
    assert!(refused.to_string().contains("does not open with this key-encryption key"), "{refused}");
}

#[tokio::test]
async fn a_block_revokes_every_session_whole_and_a_blocked_users_right_proof_writes_nothing() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, first) = fixture.user("ada").await;
    let nonce = random();
    assert!(matches!(fixture.spend(nonce, Some(&ada), "ada").await, ProofOutcome::Accepted(_)));
    let block = UserChange { blocked: Some(true), ..UserChange::default() };
    let now = now_ms();
    let blocked = fixture.store.update_account(&fixture.app_id, &ada.id, &block, now).await.unwrap().unwrap();
    assert!(blocked.details.blocked);
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions WHERE revoked_at IS NULL").await, 0);
    let check = fixture.store.online_check(&fixture.app_id, &ada.id, &first.id, now).await.unwrap();
    assert_eq!(check, OnlineCheck { user_exists: true, session_live: false, user_blocked: true });
    let seen = fixture.store.session_by_secret_hash(&first.secret_hash, now).await.unwrap().expect("reported");
    assert!(seen.user_blocked, "a blocked user's session is reported so the answer can say why");

    let (used, sessions) = (
        fixture.count("SELECT COUNT(*) FROM used_challenges").await,
        fixture.count("SELECT COUNT(*) FROM sessions").await,
    );
    assert_eq!(fixture.spend(random(), Some(&ada), "ada").await, ProofOutcome::Refused(Refusal::UserBlocked));
    assert_eq!(fixture.count("SELECT COUNT(*) FROM used_challenges").await, used, "the challenge stays unspent");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sessions").await, sessions);
    assert_eq!(fixture.count("SELECT COUNT(*) FROM sign_in_failures").await, 0, "a right proof is no failure");

    // login_attempts: a failure counts on the user, a success (once unblocked) resets it.
    assert_eq!(fixture.spend(random(), None, "ada").await, ProofOutcome::Failed);
    assert_eq!(fixture.count("SELECT login_attempts FROM users").await, 1);
    let unblock = UserChange { blocked: Some(false), ..UserChange::default() };
    fixture.store.update_account(&fixture.app_id, &ada.id, &unblock, now_ms()).await.unwrap().unwrap();
    assert!(
        fixture.store.session_by_secret_hash(&first.secret_hash, now_ms()).await.unwrap().is_none(),
        "stays revoked"
    );
    assert!(matches!(fixture.spend(random(), Some(&ada), "ada").await, ProofOutcome::Accepted(_)));
    assert_eq!(fixture.count("SELECT login_attempts FROM users").await, 0);
}

#[tokio::test]
async fn account_changes_apply_whole_or_not_at_all_and_lookups_pages_and_deletion_see_them() {
    let fixture = fixture(NewApp::default()).await;
    let (ada, _) = fixture.user("ada").await;
    let (bob, _) = fixture.user("bob").await;
    let identity = |id: &str| sealbase::admin::record::Identity {
        connection: "github".into(),
        provider: "github".into(),
        kind: "social".into(),
        id: Some(id.into()),
        details: Default::default(),
    };
    let change = UserChange {
        email: Some(Some("ada@example.com".into())),
        email_verified: Some(true),
        identities: Some(vec![identity("1")]),
        ..UserChange::default()
    };
    let changed = fixture.store.update_account(&fixture.app_id, &ada.id, &change, now_ms()).await.unwrap().unwrap();
    assert_eq!((changed.user.email.as_deref(), changed.details.email_verified), (Some("ada@example.com"), true));

    // Each refusal leaves everything as it was, the username with it.
    let before = fixture.db.rows("SELECT * FROM users ORDER BY id").await;
    let refusals = [
        (
            UserChange {
                username: Some("x".into()),
                email: Some(Some("ada@example.com".into())),
                ..UserChange::default()
            },
            AccountRefusal::EmailTaken,
        ),
        (UserChange { username: Some("ada".into()), ..UserChange::default() }, AccountRefusal::UsernameTaken),
        (
            UserChange {
                username: Some("y".into()),
                identities: Some(vec![identity("2"), identity("1")]),
                ..UserChange::default()
            },
            AccountRefusal::IdentityTaken(1),
        ),
    ];
    for (change, refusal) in refusals {
        let outcome = fixture.store.update_account(&fixture.app_id, &bob.id, &change, now_ms()).await.unwrap();
        assert_eq!(outcome.unwrap_err(), refusal);
    }
    let unknown = fixture.store.update_account(&fixture.app_id, "nobody", &UserChange::default(), now_ms()).await;
    assert_eq!(unknown.unwrap().unwrap_err(), AccountRefusal::UserNotFound);
    assert!(fixture.db.rows("SELECT * FROM users ORDER BY id").await == before, "nothing written");
    assert_eq!(fixture.count("SELECT COUNT(*) FROM identities").await, 1);

    for lookup in [
        UserLookup::Username("ada".into()),
        UserLookup::Email("ada@example.com".into()),
        UserLookup::Identity { provider: "github".into(), id: "1".into() },
    ] {
        let found = fixture.store.find_user(&fixture.app_id, &lookup).await.unwrap().expect("found");
        assert_eq!(found.user.id, ada.id);
    }
    let verified = ListUsers { email_verified: Some(true), ..ListUsers::default() };
    let page = fixture.store.list_users(&fixture.app_id, &verified).await.unwrap();
    assert_eq!(page.iter().map(|u| u.user.id.as_str()).collect::<Vec<_>>(), [ada.id.as_str()]);
    let first =
        fixture.store.list_users(&fixture.app_id, &ListUsers { limit: 1, ..ListUsers::default() }).await.unwrap();
    let rest = ListUsers { cursor: Some(first[0].user.id.clone()), ..ListUsers::default() };
    let second = fixture.store.list_users(&fixture.app_id, &rest).await.unwrap();
    assert_eq!(first.len() + second.len(), 2);
    assert!(first[0].user.id < second[0].user.id);

    assert!(fixture.store.delete_account(&fixture.app_id, &ada.id).await.unwrap());
    assert!(!fixture.store.delete_account(&fixture.app_id, &ada.id).await.unwrap());
    assert_eq!(fixture.count("SELECT user_count FROM apps").await, 1);
    assert_eq!(fixture.count("SELECT COUNT(*) FROM identities").await, 0);
}
