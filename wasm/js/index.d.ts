// Type declarations of the `sealbase` npm package (userbase-js compatible).

export type RememberMe = 'local' | 'session' | 'none';
export type PaymentsMode = 'disabled' | 'test' | 'prod';
export type Profile = { [key: string]: string };

/** A postal address of the claims. */
export interface Address {
  /** The address's name, e.g. "Billing Address". */
  id?: string;
  /** At most one address is primary. */
  is_primary?: boolean;
  first_name?: string;
  last_name?: string;
  /** May span lines. */
  street_address?: string;
  street_address_2?: string;
  city?: string;
  state?: string;
  zip_code?: string;
  country?: string;
}

/**
 * OpenID Connect profile claims (server-visible, like `profile`; secrets belong in encrypted data). The
 * server checks each value: a refusal is `ClaimsNotValid` naming the claim.
 */
export interface UserClaims {
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  /** An http(s) URL. */
  picture?: string;
  website?: string;
  /** OpenID Connect's `profile`: the URL of the user's profile page. */
  profile_page?: string;
  /** A short code: a string, or an integer from -10 to 10. */
  gender?: string | number;
  /** `YYYY-MM-DD`, `YYYY` or `0000-MM-DD`. */
  birthdate?: string;
  /** An IANA time zone such as `Europe/Paris`. */
  zoneinfo?: string;
  /** A BCP 47 language tag such as `en-US`. */
  locale?: string;
  /** E.164, e.g. `+14155550100`; its verification is the app's backend's to set. */
  phone_number?: string;
  /** At most 10. */
  addresses?: Address[];
}

/** At most 10 fields; keys and string values at most 1024 characters. */
export type Metadata = { [key: string]: string | number | boolean | null };

export interface User {
  username: string;
  userId: string;
  authToken: string;
  /** ISO-8601. */
  creationDate: string;
  email?: string;
  profile?: Profile;
  paymentsMode: PaymentsMode;
  /** ISO-8601. */
  trialExpirationDate?: string;
  /**
   * `true` when the server once received this account's password in plaintext (the app's backend created
   * the account with one): the app may suggest a new password. Absent otherwise; a password change clears it.
   */
  passwordSeenByServer?: boolean;
  /** `true` once the email is verified (by the app's backend); absent otherwise. Read-only. */
  emailVerified?: boolean;
  claims?: UserClaims;
  /** `true` once the app's backend verified the claims' phone number; absent otherwise. Read-only. */
  phoneNumberVerified?: boolean;
  metadata?: Metadata;
}

export interface InitParams {
  appId: string;
  /** The sealbase server, e.g. `https://auth.example.com`. Defaults to the page's origin in browsers. */
  endpoint?: string;
  /** Hours; a resumed session is extended by its own length when absent. */
  sessionLength?: number;
  /** Called after updateUser and verifyEmail; after a password change the user has `passwordChanged: true`. */
  updateUserHandler?: (update: { user: User & { passwordChanged?: true } }) => void;
}

export interface InitResult {
  user?: User;
  lastUsedUsername?: string;
}

export interface SignUpParams {
  username: string;
  password: string;
  email?: string;
  profile?: Profile;
  claims?: UserClaims;
  metadata?: Metadata;
  rememberMe?: RememberMe;
  /** Hours, from 5 minutes to 8760. Default 24. */
  sessionLength?: number;
  /**
   * `true`: also make and register a recovery key, answered once as the user's `recoveryKey`. If
   * registering it fails, signUp rejects but the account exists and is signed in: call
   * `generateRecoveryKey()` again.
   */
  recoveryKey?: boolean;
}

export interface SignInParams {
  username: string;
  password: string;
  rememberMe?: RememberMe;
  sessionLength?: number;
}

export interface ResetPasswordParams {
  username: string;
  /** As the user typed it: any case, with or without hyphens and spaces. */
  recoveryKey: string;
  newPassword: string;
  rememberMe?: RememberMe;
  sessionLength?: number;
}

export interface UpdateUserParams {
  username?: string;
  currentPassword?: string;
  newPassword?: string;
  /** `null` removes the email. */
  email?: string | null;
  /** `null` removes the profile. */
  profile?: Profile | null;
  /** Replaces every claim; `null` removes them. A changed phone number is no longer verified. */
  claims?: UserClaims | null;
  /** Replaces all metadata; `null` removes it. */
  metadata?: Metadata | null;
}

export type SealbaseErrorName =
  | 'ParamsMustBeObject' | 'ParamsMissing' | 'AppIdNotSet' | 'AppIdMissing' | 'AppIdMustBeString'
  | 'AppIdCannotBeBlank' | 'AppIdAlreadySet' | 'AppIdNotValid' | 'DomainNotWhitelisted'
  | 'UpdateUserHandlerMustBeFunction' | 'UsernameMissing' | 'UsernameCannotBeBlank' | 'UsernameMustBeString'
  | 'UsernameTooLong' | 'UsernameNotValid' | 'UsernameAlreadyExists' | 'UsernameOrPasswordMismatch'
  | 'PasswordMissing' | 'PasswordCannotBeBlank' | 'PasswordMustBeString' | 'PasswordTooShort'
  | 'PasswordTooLong' | 'PasswordTooWeak' | 'PasswordAttemptLimitExceeded' | 'CurrentPasswordMissing'
  | 'CurrentPasswordIncorrect' | 'EmailNotValid' | 'ProfileMustBeObject' | 'ProfileCannotBeEmpty'
  | 'ProfileHasTooManyKeys' | 'ProfileKeyTooLong' | 'ProfileValueMustBeString' | 'ProfileValueCannotBeBlank'
  | 'ProfileValueTooLong' | 'RememberMeValueNotValid' | 'SessionLengthMustBeNumber' | 'SessionLengthTooShort'
  | 'SessionLengthTooLong' | 'TrialExceededLimit' | 'UserAlreadySignedIn' | 'UserNotSignedIn' | 'UserNotFound'
  | 'ServiceUnavailable' | 'EndpointNotValid' | 'KdfParamsNotValid' | 'LegacyParamsNotValid'
  | 'EmailAlreadyExists' | 'UserBlocked' | 'EmailNotVerified' | 'EmailRequired' | 'EmailVerificationNotValid'
  | 'ClaimsNotValid' | 'MetadataNotValid' | 'KeyMaterialNotValid' | 'RequestBodyNotValid'
  | 'RequestBodyTooLarge' | 'ChallengeNotValid' | 'SessionNotValid' | 'TooManyRequests' | 'SeedBackupNotValid'
  | 'RecoveryKeyNotValid' | 'RecoveryKeyIncorrect' | 'RecoveryKeyChanged' | 'EnvelopeNotValid'
  | 'SignatureNotValid' | 'ContextMustBeString' | 'DataMustBeBytesOrString' | 'ContextTooLong' | 'DataTooLarge'
  | 'SessionStoreNotValid' | 'SessionStoreNotWritable';

/** Every rejection is an `Error` of this shape. */
export interface SealbaseError extends Error {
  name: SealbaseErrorName;
  status: number;
  key?: string;
  /** `ClaimsNotValid`, `MetadataNotValid`: the rule `key` breaks; `UsernameNotValid`: the rule the name breaks. */
  reason?: string;
  value?: unknown;
  maxLen?: number;
  minLen?: number;
  /** `PasswordTooWeak`: the password practices the app requires, and those the password follows. */
  required?: number;
  met?: number;
  maxKeys?: number;
  delay?: number;
  username?: string;
  origin?: string;
  /** `AppIdAlreadySet`: the appId this page already uses. */
  appId?: string;
}

export function init(params: InitParams): Promise<InitResult>;
export function signUp(params: SignUpParams): Promise<User & { recoveryKey?: string }>;
export function signIn(params: SignInParams): Promise<User>;
export function signOut(): Promise<void>;
export function updateUser(params: UpdateUserParams): Promise<void>;
export function deleteUser(): Promise<void>;
/**
 * Confirms the signed-in user's email with the 8-digit code of the verification mail; resolves the user,
 * now with `emailVerified`, and calls `updateUserHandler`. A wrong, expired or used code rejects with
 * `EmailVerificationNotValid`.
 */
export function verifyEmail(params: { code: string }): Promise<User>;

/**
 * End-to-end encryption of the app's data with the signed-in user's keys (docs/protocol.md §8). Every
 * envelope and signature is bound to the app and to `context` (at most 256 bytes; default `''`), so one
 * made for a context fails for any other. `data` is bytes, or a string taken as UTF-8.
 */
export interface AppDataParams {
  context?: string;
  data: Uint8Array | string;
}
/** Encrypts for the signed-in user alone (any of their devices). */
export function encrypt(params: AppDataParams): Promise<Uint8Array>;
/** Opens what `encrypt` made for this user, app and context; otherwise rejects `EnvelopeNotValid`. */
export function decrypt(params: { context?: string; envelope: Uint8Array }): Promise<Uint8Array>;
/** `encrypt` of a value's JSON; the envelope as unpadded base64url text. */
export function encryptJson(params: { context?: string; value: unknown }): Promise<string>;
export function decryptJson<T = unknown>(params: { context?: string; envelope: string }): Promise<T>;
/** Ed25519 signature with the signed-in user's identity key, as unpadded base64url text. */
export function sign(params: AppDataParams): Promise<string>;
/** Resolves `true` if `username` signed `data` in this context; otherwise rejects `SignatureNotValid`. */
export function verify(params: AppDataParams & { username: string; signature: string }): Promise<true>;
/** Seals `data` to another user of the app: only they can open it (not even the sender). */
export function sealFor(params: AppDataParams & { username: string }): Promise<Uint8Array>;
/** Opens what another user sealed to the signed-in user. */
export function openSealed(params: { context?: string; envelope: Uint8Array }): Promise<Uint8Array>;
/** A token valid for at least five more minutes (refreshed through the session when needed). */
export function getAuthToken(): Promise<string>;
/**
 * Makes a recovery key for the signed-in user and registers it, replacing any earlier one. Answers it as
 * `XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XXXX`: show it once, it is kept nowhere else.
 */
export function generateRecoveryKey(): Promise<string>;
/**
 * Sets a new password with the user's recovery key and signs in; the user's encrypted data stays
 * readable, and every other session is signed out.
 */
export function resetPassword(params: ResetPasswordParams): Promise<User>;

declare const sealbase: {
  init: typeof init;
  signUp: typeof signUp;
  signIn: typeof signIn;
  signOut: typeof signOut;
  updateUser: typeof updateUser;
  deleteUser: typeof deleteUser;
  verifyEmail: typeof verifyEmail;
  getAuthToken: typeof getAuthToken;
  generateRecoveryKey: typeof generateRecoveryKey;
  resetPassword: typeof resetPassword;
  encrypt: typeof encrypt;
  decrypt: typeof decrypt;
  encryptJson: typeof encryptJson;
  decryptJson: typeof decryptJson;
  sign: typeof sign;
  verify: typeof verify;
  sealFor: typeof sealFor;
  openSealed: typeof openSealed;
};
export default sealbase;
