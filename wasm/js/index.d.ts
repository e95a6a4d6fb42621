// Type declarations of the `sealbase` npm package (userbase-js compatible).

export type RememberMe = 'local' | 'session' | 'none';
export type PaymentsMode = 'disabled' | 'test' | 'prod';
export type Profile = { [key: string]: string };

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
}

export interface InitParams {
  appId: string;
  /** The sealbase server, e.g. `https://auth.example.com`. Defaults to the page's origin in browsers. */
  endpoint?: string;
  /** Hours; a resumed session is extended by its own length when absent. */
  sessionLength?: number;
  updateUserHandler?: (update: { user: User }) => void;
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
  rememberMe?: RememberMe;
  /** Hours, from 5 minutes to 8760. Default 24. */
  sessionLength?: number;
}

export interface SignInParams {
  username: string;
  password: string;
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
}

export type SealbaseErrorName =
  | 'ParamsMustBeObject' | 'ParamsMissing'
  | 'AppIdNotSet' | 'AppIdMissing' | 'AppIdMustBeString' | 'AppIdCannotBeBlank' | 'AppIdAlreadySet' | 'AppIdNotValid'
  | 'DomainNotWhitelisted' | 'UpdateUserHandlerMustBeFunction'
  | 'UsernameMissing' | 'UsernameCannotBeBlank' | 'UsernameMustBeString' | 'UsernameTooLong' | 'UsernameAlreadyExists'
  | 'UsernameOrPasswordMismatch'
  | 'PasswordMissing' | 'PasswordCannotBeBlank' | 'PasswordMustBeString' | 'PasswordTooShort' | 'PasswordTooLong'
  | 'PasswordTooWeak'
  | 'PasswordAttemptLimitExceeded' | 'CurrentPasswordMissing' | 'CurrentPasswordIncorrect'
  | 'EmailNotValid' | 'EmailAlreadyExists' | 'UserBlocked'
  | 'ProfileMustBeObject' | 'ProfileCannotBeEmpty' | 'ProfileHasTooManyKeys' | 'ProfileKeyTooLong'
  | 'ProfileValueMustBeString' | 'ProfileValueCannotBeBlank' | 'ProfileValueTooLong'
  | 'RememberMeValueNotValid' | 'SessionLengthMustBeNumber' | 'SessionLengthTooShort' | 'SessionLengthTooLong'
  | 'TrialExceededLimit' | 'UserAlreadySignedIn' | 'UserNotSignedIn' | 'UserNotFound' | 'ServiceUnavailable'
  | 'EndpointNotValid' | 'KdfParamsNotValid' | 'LegacyParamsNotValid' | 'KeyMaterialNotValid' | 'RequestBodyNotValid' | 'RequestBodyTooLarge'
  | 'ChallengeNotValid' | 'SessionNotValid' | 'TooManyRequests' | 'SeedBackupNotValid'
  | 'SessionStoreNotValid' | 'SessionStoreNotWritable';

/** Every rejection is an `Error` of this shape. */
export interface SealbaseError extends Error {
  name: SealbaseErrorName;
  status: number;
  key?: string;
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
}

export function init(params: InitParams): Promise<InitResult>;
export function signUp(params: SignUpParams): Promise<User>;
export function signIn(params: SignInParams): Promise<User>;
export function signOut(): Promise<void>;
export function updateUser(params: UpdateUserParams): Promise<void>;
export function deleteUser(): Promise<void>;
/** A token valid for at least five more minutes (refreshed through the session when needed). */
export function getAuthToken(): Promise<string>;

declare const sealbase: {
  init: typeof init;
  signUp: typeof signUp;
  signIn: typeof signIn;
  signOut: typeof signOut;
  updateUser: typeof updateUser;
  deleteUser: typeof deleteUser;
  getAuthToken: typeof getAuthToken;
};
export default sealbase;
