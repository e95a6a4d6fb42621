//! End-to-end encryption of an app's data with the signed-in user's keys: what one device encrypts,
//! the user's other devices decrypt and nobody else does; sealing to another user; signatures.

mod common;

use common::TestServer;
use sealbase::{Client, Error, SignIn, SignUp, UpdateUser};
use serde_json::json;

const PASSWORD: &str = "correct horse battery";

async fn signed_up(client: &Client, username: &str) {
    let params = SignUp { username: username.into(), password: PASSWORD.into(), ..Default::default() };
    client.sign_up(params).await.expect("sign-up");
}

#[tokio::test]
async fn data_encrypted_on_one_device_opens_on_the_users_others_and_for_nobody_else() {
    let server = TestServer::start().await;
    let phone = server.client_with_store("phone.json");
    signed_up(&phone, "ada").await;
    let envelope = phone.encrypt("notes/1", b"the secret note").unwrap();
    assert!(!envelope.windows(15).any(|w| w == b"the secret note"), "plaintext in the envelope");
    let record = json!({ "title": "plans", "tags": ["a", "b"] });
    let json_envelope = phone.encrypt_json("notes/2", &record).unwrap();

    let laptop = server.client_with_store("laptop.json");
    let params = SignIn { username: "ada".into(), password: PASSWORD.into(), ..Default::default() };
    laptop.sign_in(params).await.unwrap();
    assert_eq!(laptop.decrypt("notes/1", &envelope).unwrap().as_slice(), b"the secret note");
    assert_eq!(laptop.decrypt_json::<serde_json::Value>("notes/2", &json_envelope).unwrap(), record);
    // Bound to its context; any altered byte is refused.
    assert_eq!(laptop.decrypt("notes/2", &envelope), Err(Error::EnvelopeNotValid));
    for index in [0, 1, envelope.len() - 1] {
        let mut altered = envelope.clone();
        altered[index] ^= 1;
        assert_eq!(laptop.decrypt("notes/1", &altered), Err(Error::EnvelopeNotValid), "byte {index}");
    }
    assert_eq!(laptop.decrypt("notes/1", &envelope[..20]), Err(Error::EnvelopeNotValid));

    // A password change keeps the seed, so the data stays readable.
    let change = UpdateUser {
        current_password: Some(PASSWORD.into()),
        new_password: Some("another good password".into()),
        ..Default::default()
    };
    laptop.update_user(change).await.unwrap();
    assert_eq!(laptop.decrypt("notes/1", &envelope).unwrap().as_slice(), b"the secret note");

    // Another user of the app cannot open it.
    let mallory = server.client_with_store("mallory.json");
    signed_up(&mallory, "mallory").await;
    assert_eq!(mallory.decrypt("notes/1", &envelope), Err(Error::EnvelopeNotValid));

    // Nothing to encrypt with when signed out; a context is bounded.
    laptop.sign_out().await.unwrap();
    assert_eq!(laptop.encrypt("notes/1", b"x"), Err(Error::UserNotSignedIn));
    assert_eq!(mallory.encrypt(&"c".repeat(257), b"x"), Err(Error::ContextTooLong { max_len: 256 }));
    assert!(mallory.encrypt(&"c".repeat(256), b"x").is_ok());
}

#[tokio::test]
async fn a_message_sealed_to_a_user_opens_only_for_them_and_signatures_verify() {
    let server = TestServer::start().await;
    let (alice, bob) = (server.client_with_store("alice.json"), server.client_with_store("bob.json"));
    signed_up(&alice, "alice").await;
    signed_up(&bob, "bob").await;

    let sealed = alice.seal_for("BOB", "chat/1", b"hello bob").await.unwrap();
    assert_eq!(bob.open_sealed("chat/1", &sealed).unwrap().as_slice(), b"hello bob");
    assert_eq!(bob.open_sealed("chat/2", &sealed), Err(Error::EnvelopeNotValid));
    assert_eq!(alice.open_sealed("chat/1", &sealed), Err(Error::EnvelopeNotValid), "the sender cannot open it");
    assert_eq!(alice.seal_for("nobody", "chat/1", b"x").await, Err(Error::UserNotFound));
    // An account the app's backend made has no keys until its first sign-in: nothing to seal to yet.
    let secret = server.server.create_app_secret(&server.app_id, "backend").await.unwrap().app_secret;
    let body = json!({ "appId": server.app_id, "appSecret": secret, "email": "grace@example.com",
                       "firstName": "Grace", "lastName": "Hopper", "password": PASSWORD });
    let (status, _) = common::raw::post(&format!("{}/api/v1/server/createUser", server.url), &body).await;
    assert_eq!(status, 200);
    assert_eq!(alice.seal_for("grace@example.com", "chat/1", b"x").await, Err(Error::UserNotFound));

    // The keys the server hands out are the ones bob's seed makes.
    let keys = alice.public_keys("bob").await.unwrap();
    assert_eq!(keys.username, "bob");
    assert_eq!(bob.public_keys("bob").await.unwrap(), keys);

    let alice_keys = bob.public_keys("alice").await.unwrap();
    let signature = alice.sign("posts/7", b"I wrote this").unwrap();
    let signing_key = alice_keys.identity.signing.0;
    bob.verify(&signing_key, "posts/7", b"I wrote this", &signature).unwrap();
    assert_eq!(bob.verify(&signing_key, "posts/7", b"I wrote that", &signature), Err(Error::SignatureNotValid));
    assert_eq!(bob.verify(&signing_key, "posts/8", b"I wrote this", &signature), Err(Error::SignatureNotValid));
    let bob_key = keys.identity.signing.0;
    assert_eq!(bob.verify(&bob_key, "posts/7", b"I wrote this", &signature), Err(Error::SignatureNotValid));

    // The lookup needs a live session of the app.
    bob.sign_out().await.unwrap();
    assert_eq!(bob.public_keys("alice").await, Err(Error::UserNotSignedIn));
    let response = reqwest::Client::new()
        .post(format!("{}/v1/apps/{}/public-keys", server.url, server.app_id))
        .json(&json!({ "username": "alice" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap()["error"], "SessionNotValid");
}
