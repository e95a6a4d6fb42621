//! The `sealbase` npm package: a thin wasm-bindgen binding over the `sealbase` client with the JavaScript
//! surface of userbase-js (`init`, `signUp`, `signIn`, `signOut`, `updateUser`, `deleteUser`, plus
//! `getAuthToken`). Parameters are checked here in userbase-js's order with its error names; everything
//! else is the Rust SDK. The hand-written `js/` wrapper turns these exports into the package's API.
#![forbid(unsafe_code)]

mod app_data;
mod convert;
pub mod kdf;
pub mod legacy;
pub mod storage;

use std::cell::RefCell;
use std::rc::Rc;

use convert::{field, has, js_error, params_object, to_js, JsResult};
use sealbase::protocol::claims::{claims_param, metadata_param};
use sealbase::validate::json;
use sealbase::{Client, Error, Init, ResetPassword, SignIn, SignUp, UpdateUser};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

struct Sdk {
    app_id: String,
    client: Rc<Client>,
    update_user_handler: Option<js_sys::Function>,
}

thread_local! {
    static SDK: RefCell<Option<Rc<Sdk>>> = const { RefCell::new(None) };
    static PANIC_HANDLER: RefCell<Option<js_sys::Function>> = const { RefCell::new(None) };
}

fn sdk() -> Result<Rc<Sdk>, Error> {
    SDK.with(|sdk| sdk.borrow().clone()).ok_or(Error::AppIdNotSet)
}

/// Registers the JavaScript function that a Rust panic calls (with the panic message) before the
/// module traps, so the wrapper can reject every pending Promise instead of leaving them hanging.
#[wasm_bindgen(js_name = setPanicHandler)]
pub fn set_panic_handler(handler: js_sys::Function) {
    PANIC_HANDLER.with(|slot| *slot.borrow_mut() = Some(handler));
    std::panic::set_hook(Box::new(|info| {
        let message = JsValue::from_str(&info.to_string());
        PANIC_HANDLER.with(|slot| {
            if let Ok(slot) = slot.try_borrow() {
                if let Some(handler) = slot.as_ref() {
                    let _ = handler.call1(&JsValue::NULL, &message);
                }
            }
        });
    }));
}

/// Test hook: panics, so the test suite can check that no Promise is left pending by a panic. Like the
/// benchmark hook below, it exists only in the test build (feature `test-hooks`), never in the
/// published package.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = __panicForTests)]
pub async fn panic_for_tests() -> JsResult {
    panic!("deliberate panic from __panicForTests");
}

/// Test hook: every secret of the signed-in session as hex (session secret, seed, the keys derived
/// from the seed, the app's storage key), for the test that looks for them at rest.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = __secretsForTests)]
pub fn secrets_for_tests() -> Result<String, JsValue> {
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let sdk = sdk().map_err(|error| js_error(&error))?;
    let (secret, seed) = sdk.client.secrets_for_tests().ok_or_else(|| js_error(&Error::UserNotSignedIn))?;
    let keys = seed.user_keys();
    let storage_key = storage::storage_key_for_tests(&sdk.app_id).unwrap_or_default();
    Ok(serde_json::json!({
        "sessionSecret": hex(&secret),
        "seed": hex(seed.expose()),
        "dataEncryptionKey": hex(keys.data_encryption_key.expose()),
        "hmacKey": hex(keys.hmac_key.expose()),
        "identitySigningKey": hex(&keys.identity_signing_key.to_bytes()),
        "identityExchangeKey": hex(&keys.identity_exchange_key.to_bytes()),
        "storageKey": hex(&storage_key),
    })
    .to_string())
}

/// Benchmark hook: one password-key derivation (scrypt with the given cost) on a fixed password and
/// salt, exactly as sign-up and sign-in run it.
#[cfg(feature = "test-hooks")]
#[wasm_bindgen(js_name = __benchDeriveKey)]
pub fn bench_derive_key(log_n: u8, r: u32, p: u32) -> Result<(), JsValue> {
    use sealbase::crypto::{KdfAlgorithm, KdfParams, PasswordKey};
    let params =
        KdfParams { algorithm: KdfAlgorithm::Scrypt, log_n, r, p, salt: sealbase::protocol::b64::Bytes([7; 16]) };
    PasswordKey::derive(b"correct horse battery staple", &params).map(drop).map_err(|error| js_error(&error))
}

/// One small derivation whose result is dropped, so the engine optimises scrypt before the first real
/// one (`api.js` calls it when the page is first idle after the module starts).
#[wasm_bindgen(js_name = warmUp)]
pub fn warm_up() {
    sealbase::crypto::account::warm_up();
    // And what a derivation's request is made of (compiled at first use, like everything).
    let _ = serde_json::to_string(&sealbase::crypto::KdfParams::generate());
}

/// Hands over (or, with `undefined`, forgets) the app's storage key, derived by `api.js` from the
/// device key in IndexedDB; the stored session is sealed under it.
#[wasm_bindgen(js_name = setStorageKey)]
pub fn set_storage_key(app_id: String, key: Option<Vec<u8>>) {
    let key = key.map(Zeroizing::new);
    storage::set_storage_key(&app_id, key.as_deref().map(Vec::as_slice));
}

/// `init({ appId, endpoint, sessionLength?, updateUserHandler? })` → `{}` · `{ lastUsedUsername }` · `{ user }`.
#[wasm_bindgen]
pub async fn init(params: JsValue) -> JsResult {
    run_init(params).await.map_err(|error| js_error(&error))
}

async fn run_init(params: JsValue) -> Result<JsValue, Error> {
    let params = params_object(&params)?;
    let app_id = match field(&params, "appId") {
        None | Some(Value::Null) => return Err(Error::AppIdMissing),
        Some(Value::String(app_id)) => app_id,
        Some(_) => return Err(Error::AppIdMustBeString),
    };
    if app_id.trim().is_empty() {
        return Err(Error::AppIdCannotBeBlank);
    }
    let handler = params_function(&params, "updateUserHandler")?;
    let session_length = match field(&params, "sessionLength") {
        None | Some(Value::Null) => None,
        present => Some(json::session_length(present.as_ref())?),
    };
    let sdk = match SDK.with(|sdk| sdk.borrow().clone()) {
        Some(sdk) if sdk.app_id != app_id => return Err(Error::AppIdAlreadySet { app_id: sdk.app_id.clone() }),
        Some(sdk) => {
            // An init of this appId may still be asking the server about it: same answer here (the
            // settings are cached once known, so this is no request after the first success).
            if let Err(error) = sdk.client.client_settings().await {
                release_slot(&sdk);
                return Err(error);
            }
            sdk
        }
        None => {
            let endpoint = match field(&params, "endpoint") {
                Some(Value::String(endpoint)) => endpoint,
                None | Some(Value::Null) => default_endpoint().ok_or(Error::EndpointNotValid)?,
                Some(_) => return Err(Error::EndpointNotValid),
            };
            let client = storage::with_platform_stores(Client::new(&app_id, &endpoint)?);
            client.set_legacy_hasher(legacy::JsLegacyHasher);
            client.set_kdf_runner(kdf::JsKdfRunner);
            let sdk = Rc::new(Sdk { app_id: app_id.clone(), client: Rc::new(client), update_user_handler: None });
            // Taken before the first await, so an init started meanwhile sees this appId (another
            // appId: AppIdAlreadySet; the same: this client). Given back if the server does not
            // know the app or cannot be reached, so init can be retried with other parameters.
            SDK.with(|slot| *slot.borrow_mut() = Some(sdk.clone()));
            if let Err(error) = sdk.client.client_settings().await {
                release_slot(&sdk);
                return Err(error);
            }
            sdk
        }
    };
    let sdk = match handler {
        Some(handler) => {
            Rc::new(Sdk { app_id: sdk.app_id.clone(), client: sdk.client.clone(), update_user_handler: Some(handler) })
        }
        None => sdk,
    };
    SDK.with(|slot| *slot.borrow_mut() = Some(sdk.clone()));
    let result = sdk.client.init(Init { session_length }).await?;
    to_js(&result)
}

/// Empties the SDK slot if it still holds `sdk`'s client (possibly under another handler), after the
/// server refused its app or could not be reached: init can then be retried with other parameters.
fn release_slot(sdk: &Sdk) {
    SDK.with(|slot| {
        let mut slot = slot.borrow_mut();
        if slot.as_ref().is_some_and(|current| Rc::ptr_eq(&current.client, &sdk.client)) {
            *slot = None;
        }
    });
}

/// In a browser the API defaults to the page's own origin.
fn default_endpoint() -> Option<String> {
    web_sys::window()?.location().origin().ok()
}

fn params_function(params: &js_sys::Object, name: &str) -> Result<Option<js_sys::Function>, Error> {
    let value = js_sys::Reflect::get(params, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    value.dyn_into::<js_sys::Function>().map(Some).map_err(|_| Error::UpdateUserHandlerMustBeFunction)
}

/// `signUp({ username, password, email?, profile?, claims?, metadata?, rememberMe?, sessionLength? })`
/// → `user`.
#[wasm_bindgen(js_name = signUp)]
pub async fn sign_up(params: JsValue) -> JsResult {
    run_sign_up(params).await.map_err(|error| js_error(&error))
}

async fn run_sign_up(params: JsValue) -> Result<JsValue, Error> {
    let params = params_object(&params)?;
    let sdk = sdk()?;
    let username = json::username(field(&params, "username").as_ref())?;
    let password = password_field(&params, "password", &sdk).await?;
    let remember_me = json::remember_me(field(&params, "rememberMe").as_ref())?;
    let session_length = json::session_length(field(&params, "sessionLength").as_ref())?;
    let profile = json::profile(field(&params, "profile").as_ref())?;
    let email = json::email(field(&params, "email").as_ref())?;
    let claims = claims_param(field(&params, "claims").as_ref())?.flatten();
    let metadata = metadata_param(field(&params, "metadata").as_ref())?.flatten();
    let password = hand_over(password);
    let session_length = Some(session_length);
    let user = sdk
        .client
        .sign_up(SignUp { username, password, email, profile, claims, metadata, remember_me, session_length })
        .await?;
    to_js(&user)
}

/// `generateRecoveryKey()` → the new recovery key's written form, to show once.
#[wasm_bindgen(js_name = generateRecoveryKey)]
pub async fn generate_recovery_key() -> JsResult {
    async { sdk()?.client.generate_recovery_key().await.map(|key| JsValue::from_str(&key)) }
        .await
        .map_err(|error| js_error(&error))
}

/// `resetPassword({ username, recoveryKey, newPassword, rememberMe?, sessionLength? })` → `user`,
/// signed in with the new password's session, the data of the same seed readable.
#[wasm_bindgen(js_name = resetPassword)]
pub async fn reset_password(params: JsValue) -> JsResult {
    async {
        let params = params_object(&params)?;
        let sdk = sdk()?;
        let username = json::username(field(&params, "username").as_ref())?;
        let recovery_key = match field(&params, "recoveryKey") {
            Some(Value::String(key)) => Zeroizing::new(key),
            _ => return Err(Error::RecoveryKeyNotValid),
        };
        let new_password = password_field(&params, "newPassword", &sdk).await?;
        let remember_me = json::remember_me(field(&params, "rememberMe").as_ref())?;
        let session_length = Some(json::session_length(field(&params, "sessionLength").as_ref())?);
        let reset = ResetPassword {
            username,
            recovery_key: hand_over(recovery_key),
            new_password: hand_over(new_password),
            remember_me,
            session_length,
        };
        to_js(&sdk.client.reset_password(reset).await?)
    }
    .await
    .map_err(|error| js_error(&error))
}

/// A password parameter: missing / not a string / blank / too long. The string taken from the
/// JavaScript value is the only copy, wiped when dropped.
fn password_value(value: Option<Value>) -> Result<Zeroizing<String>, Error> {
    match value {
        Some(Value::String(text)) => {
            let text = Zeroizing::new(text);
            sealbase::validate::password(&text)?;
            Ok(text)
        }
        other => Err(json::password(other.as_ref()).err().unwrap_or(Error::PasswordMustBeString)),
    }
}

/// [`password_value`], then the app's password policy (settings are cached by `init`).
async fn password_field(params: &js_sys::Object, name: &str, sdk: &Sdk) -> Result<Zeroizing<String>, Error> {
    let password = password_value(field(params, name))?;
    check_policy(&password, sdk).await?;
    Ok(password)
}

async fn check_policy(password: &str, sdk: &Sdk) -> Result<(), Error> {
    let settings = sdk.client.client_settings().await?;
    sealbase::validate::password_policy(password, settings.password_min_length, settings.password_complexity)
}

/// Hands a password on to the SDK (which wipes it after use) without leaving a copy behind.
fn hand_over(mut password: Zeroizing<String>) -> String {
    std::mem::take(&mut *password)
}

/// `signIn({ username, password, rememberMe?, sessionLength? })` → `user`.
#[wasm_bindgen(js_name = signIn)]
pub async fn sign_in(params: JsValue) -> JsResult {
    run_sign_in(params).await.map_err(|error| js_error(&error))
}

async fn run_sign_in(params: JsValue) -> Result<JsValue, Error> {
    let params = params_object(&params)?;
    let sdk = sdk()?;
    let username = json::username(field(&params, "username").as_ref())?;
    let password = password_value(field(&params, "password"))?;
    sealbase::validate::existing_password(&password)?;
    let remember_me = json::remember_me(field(&params, "rememberMe").as_ref())?;
    let session_length = json::session_length(field(&params, "sessionLength").as_ref())?;
    let password = hand_over(password);
    let user =
        sdk.client.sign_in(SignIn { username, password, remember_me, session_length: Some(session_length) }).await?;
    to_js(&user)
}

/// `verifyEmail({ code })` → `user`, with `emailVerified`; then `updateUserHandler({ user })`.
#[wasm_bindgen(js_name = verifyEmail)]
pub async fn verify_email(params: JsValue) -> JsResult {
    async {
        let params = params_object(&params)?;
        let code = match field(&params, "code") {
            Some(Value::String(code)) => code,
            _ => return Err(Error::EmailVerificationNotValid),
        };
        let sdk = sdk()?;
        let user = sdk.client.verify_email(&code).await?;
        if let Some(handler) = &sdk.update_user_handler {
            let argument = to_js(&serde_json::json!({ "user": user }))?;
            let _ = handler.call1(&JsValue::NULL, &argument);
        }
        to_js(&user)
    }
    .await
    .map_err(|error| js_error(&error))
}

/// `signOut()` → `undefined`.
#[wasm_bindgen(js_name = signOut)]
pub async fn sign_out() -> JsResult {
    async { sdk()?.client.sign_out().await.map(|()| JsValue::UNDEFINED) }.await.map_err(|error| js_error(&error))
}

/// `deleteUser()` → `undefined`.
#[wasm_bindgen(js_name = deleteUser)]
pub async fn delete_user() -> JsResult {
    async { sdk()?.client.delete_user().await.map(|()| JsValue::UNDEFINED) }.await.map_err(|error| js_error(&error))
}

/// `getAuthToken()` → a token valid for at least five more minutes.
#[wasm_bindgen(js_name = getAuthToken)]
pub async fn get_auth_token() -> JsResult {
    async { sdk()?.client.auth_token().await.map(|token| JsValue::from_str(&token)) }
        .await
        .map_err(|error| js_error(&error))
}

/// `updateUser({ username?, currentPassword?, newPassword?, email?, profile?, claims?, metadata? })` →
/// `undefined`; then
/// `updateUserHandler({ user })`.
#[wasm_bindgen(js_name = updateUser)]
pub async fn update_user(params: JsValue) -> JsResult {
    run_update_user(params).await.map_err(|error| js_error(&error))
}

/// userbase-js's order: the parameters (none of the four → `ParamsMissing`; `username`;
/// `currentPassword` then `newPassword`; `email`; `profile`), then the signed-in state, then the app's
/// password minimum for the new password.
async fn run_update_user(params: JsValue) -> Result<JsValue, Error> {
    let params = params_object(&params)?;
    if !["username", "newPassword", "email", "profile", "claims", "metadata"].iter().any(|name| has(&params, name)) {
        return Err(Error::ParamsMissing);
    }
    let username = match field(&params, "username") {
        None => None,
        present => Some(json::username(present.as_ref())?),
    };
    let passwords = match field(&params, "newPassword") {
        None => None,
        new_password => {
            let current_password = field(&params, "currentPassword")
                .filter(|value| !value.is_null())
                .ok_or(Error::CurrentPasswordMissing)?;
            let current_password = password_value(Some(current_password))?;
            sealbase::validate::existing_password(&current_password)?;
            Some((current_password, password_value(new_password)?))
        }
    };
    let email = field(&params, "email").map(|value| json::email(Some(&value))).transpose()?;
    let profile = field(&params, "profile").map(|value| json::profile(Some(&value))).transpose()?;
    let claims = claims_param(field(&params, "claims").as_ref())?;
    let metadata = metadata_param(field(&params, "metadata").as_ref())?;
    let sdk = sdk()?;
    if sdk.client.current_user().is_none() {
        return Err(Error::UserNotSignedIn);
    }
    let password_changed = passwords.is_some();
    let (current_password, new_password) = match passwords {
        Some((current, new)) => {
            check_policy(&new, &sdk).await?;
            (Some(hand_over(current)), Some(hand_over(new)))
        }
        None => (None, None),
    };
    let update = UpdateUser { username, current_password, new_password, email, profile, claims, metadata };
    sdk.client.update_user(update).await?;
    if let (Some(handler), Some(user)) = (&sdk.update_user_handler, sdk.client.current_user()) {
        // Set on the JavaScript object, not through a JSON value: one serialisation of the user in the
        // module is smaller than two.
        let user = to_js(&user)?;
        if password_changed {
            // As userbase-js 2.x tells the handler.
            let _ = js_sys::Reflect::set(&user, &"passwordChanged".into(), &JsValue::TRUE);
        }
        let argument = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&argument, &"user".into(), &user);
        let _ = handler.call1(&JsValue::NULL, &argument);
    }
    Ok(JsValue::UNDEFINED)
}
