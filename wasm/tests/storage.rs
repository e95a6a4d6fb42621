//! The Web Storage session stores, in a real browser (run by wasm-bindgen-test in headless Chromium).

use sealbase::crypto::Seed;
use sealbase::protocol::SessionSecret;
use sealbase::store::{SessionStore, StoredSession, StoredState};
use sealbase_wasm::storage::{key, set_storage_key, Area, WebStorage};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn window_storage(area: Area) -> web_sys::Storage {
    let window = web_sys::window().unwrap();
    match area {
        Area::Local => window.local_storage().unwrap().unwrap(),
        Area::Session => window.session_storage().unwrap().unwrap(),
    }
}

fn signed_in(username: &str) -> StoredState {
    StoredState {
        last_used_username: Some(username.into()),
        session: Some(StoredSession {
            username: username.into(),
            session_id: "5f0e7a4c-0000-4000-8000-000000000000".into(),
            secret: SessionSecret::from_bytes([7; 32]),
            expiration_date: "2026-11-23T00:00:00.000Z".into(),
            session_length: 24.0,
            seed: Seed::from_bytes([9; 32]),
        }),
    }
}

/// Every app of these tests has a storage key, as `api.js` hands one over at `init`.
fn with_keys(apps: &[&str]) {
    for (index, app) in apps.iter().enumerate() {
        set_storage_key(app, Some(&[index as u8 + 1; 32]));
    }
}

#[wasm_bindgen_test]
fn each_area_keeps_its_own_entries_namespaced_by_app() {
    with_keys(&["app-a", "app-b"]);
    let local = WebStorage(Area::Local);
    let session = WebStorage(Area::Session);
    local.save("app-a", &signed_in("ada")).unwrap();
    session.save("app-b", &signed_in("bob")).unwrap();

    assert_eq!(local.load("app-a").unwrap(), Some(signed_in("ada")));
    assert_eq!(session.load("app-a").unwrap(), None, "sessionStorage holds nothing of app-a");
    assert_eq!(local.load("app-b").unwrap(), None, "localStorage holds nothing of app-b");
    assert!(window_storage(Area::Local).get_item(&key("app-a")).unwrap().is_some());
    assert!(window_storage(Area::Session).get_item(&key("app-b")).unwrap().is_some());

    local.remove("app-a").unwrap();
    session.remove("app-b").unwrap();
    assert_eq!(window_storage(Area::Local).get_item(&key("app-a")).unwrap(), None);
    assert_eq!(window_storage(Area::Session).get_item(&key("app-b")).unwrap(), None);
}

#[wasm_bindgen_test]
fn removing_one_app_leaves_the_others() {
    with_keys(&["app-c", "app-d"]);
    let local = WebStorage(Area::Local);
    local.save("app-c", &signed_in("carol")).unwrap();
    local.save("app-d", &StoredState { last_used_username: Some("dave".into()), session: None }).unwrap();
    local.remove("app-c").unwrap();
    assert_eq!(local.load("app-c").unwrap(), None);
    assert_eq!(local.load("app-d").unwrap().and_then(|s| s.last_used_username).as_deref(), Some("dave"));
    local.remove("app-d").unwrap();
}

#[wasm_bindgen_test]
fn a_foreign_value_under_the_key_is_reported_not_overwritten_silently() {
    window_storage(Area::Local).set_item(&key("app-e"), "not json").unwrap();
    let error = WebStorage(Area::Local).load("app-e").unwrap_err();
    assert_eq!(error.name(), "SessionStoreNotValid");
    assert_eq!(window_storage(Area::Local).get_item(&key("app-e")).unwrap().as_deref(), Some("not json"));
    window_storage(Area::Local).remove_item(&key("app-e")).unwrap();
}

#[wasm_bindgen_test]
fn the_session_is_stored_sealed_and_opens_only_with_its_key_app_and_area() {
    with_keys(&["app-f", "app-g"]);
    WebStorage(Area::Session).save("app-f", &signed_in("fay")).unwrap();
    let raw = window_storage(Area::Session).get_item(&key("app-f")).unwrap().unwrap();
    let json: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(json["lastUsedUsername"], "fay");
    assert!(json["sealedSession"].is_string());
    assert!(json.get("session").is_none());
    for secret in ["BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc", "CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"] {
        assert!(!raw.contains(secret), "a secret in plaintext: {raw}");
    }
    assert_eq!(WebStorage(Area::Session).load("app-f").unwrap(), Some(signed_in("fay")));

    // Moved to another app or area, it does not open: a dead session, only the username is left.
    window_storage(Area::Local).set_item(&key("app-f"), &raw).unwrap();
    let moved = WebStorage(Area::Local).load("app-f").unwrap().unwrap();
    assert_eq!((moved.last_used_username.as_deref(), moved.session.is_none()), (Some("fay"), true));
    window_storage(Area::Session).set_item(&key("app-g"), &raw).unwrap();
    assert!(WebStorage(Area::Session).load("app-g").unwrap().unwrap().session.is_none());

    // Without the key (the device key gone), the session is dead and scrubbed from storage.
    set_storage_key("app-f", None);
    let dead = WebStorage(Area::Session).load("app-f").unwrap().unwrap();
    assert_eq!((dead.last_used_username.as_deref(), dead.session.is_none()), (Some("fay"), true));
    let left = window_storage(Area::Session).get_item(&key("app-f")).unwrap().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&left).unwrap(),
        serde_json::json!({ "lastUsedUsername": "fay" })
    );
    // And without a key nothing of the session is kept at all.
    WebStorage(Area::Session).save("app-f", &signed_in("fay")).unwrap();
    let kept = window_storage(Area::Session).get_item(&key("app-f")).unwrap().unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&kept).unwrap(),
        serde_json::json!({ "lastUsedUsername": "fay" })
    );
    for app in ["app-f", "app-g"] {
        WebStorage(Area::Session).remove(app).unwrap();
        WebStorage(Area::Local).remove(app).unwrap();
    }
}

#[wasm_bindgen_test]
fn a_plaintext_session_of_an_earlier_version_is_scrubbed_keeping_the_username() {
    with_keys(&["app-h"]);
    let old = r#"{"session":{"username":"hal","sessionId":"x","secret":"BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc","expirationDate":"2026-11-23T00:00:00.000Z","sessionLength":24,"seed":"CQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQkJCQk"}}"#;
    window_storage(Area::Local).set_item(&key("app-h"), old).unwrap();
    let state = WebStorage(Area::Local).load("app-h").unwrap().unwrap();
    assert_eq!((state.last_used_username.as_deref(), state.session.is_none()), (Some("hal"), true));
    let left = window_storage(Area::Local).get_item(&key("app-h")).unwrap().unwrap();
    assert_eq!(left, r#"{"lastUsedUsername":"hal"}"#);
    WebStorage(Area::Local).remove("app-h").unwrap();
}
