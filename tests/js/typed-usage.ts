// Type-checked (tsc --noEmit) usage of the package's declarations, as an app would write it.
import sealbase, { signIn, type User, type SealbaseError, type InitResult } from 'sealbase';

async function main(): Promise<void> {
  const result: InitResult = await sealbase.init({
    appId: 'app',
    endpoint: 'http://127.0.0.1:8080',
    updateUserHandler: ({ user }) => console.log(user.username),
  });
  if (result.lastUsedUsername) console.log(`welcome back, ${result.lastUsedUsername}`);
  const user: User = await sealbase.signUp({
    username: 'ada',
    password: 'correct horse battery',
    profile: { plan: 'pro' },
    claims: { given_name: 'Ada', gender: 2, addresses: [{ city: 'London', is_primary: true }] },
    metadata: { plan: 'pro', seats: 3, beta: true, referrer: null },
    rememberMe: 'local',
    sessionLength: 48,
  });
  const again: User = await signIn({ username: user.username, password: 'correct horse battery', rememberMe: 'session' });
  if (again.passwordSeenByServer === true) console.log('suggest a new password');
  await sealbase.updateUser({ email: null, profile: null, currentPassword: 'a', newPassword: 'b' });
  await sealbase.updateUser({ claims: null, metadata: { plan: 'team' } });
  console.log(user.claims?.given_name, user.metadata?.plan, user.phoneNumberVerified === true);
  const verified: User = await sealbase.verifyEmail({ code: '12345678' });
  if (verified.emailVerified === true) console.log('verified');
  const token: string = await sealbase.getAuthToken();
  console.log(again.paymentsMode, token.length, user.trialExpirationDate ?? 'no trial');
  const envelope: Uint8Array = await sealbase.encrypt({ context: 'notes/1', data: 'a note' });
  const opened: Uint8Array = await sealbase.decrypt({ context: 'notes/1', envelope });
  const text: string = await sealbase.encryptJson({ context: 'notes/2', value: { title: 'plans' } });
  const note = await sealbase.decryptJson<{ title: string }>({ envelope: text });
  const signature: string = await sealbase.sign({ data: new Uint8Array([1]) });
  const valid: true = await sealbase.verify({ username: 'bob', data: new Uint8Array([1]), signature });
  const sealed: Uint8Array = await sealbase.sealFor({ username: 'bob', context: 'chat', data: 'hi' });
  console.log(opened.length, note.title, valid, (await sealbase.openSealed({ context: 'chat', envelope: sealed })).length);
  await sealbase.signOut();
  await sealbase.deleteUser();
}

main().catch((error: SealbaseError) => {
  const name: SealbaseError['name'] = error.name;
  if (name === 'UsernameAlreadyExists' && error.status === 409) console.log('taken');
  if (name === 'EmailAlreadyExists' || name === 'LegacyParamsNotValid') console.log(error.message);
  if (name === 'ClaimsNotValid' || name === 'MetadataNotValid') console.log(error.key, error.reason);
  if (name === 'EnvelopeNotValid' || name === 'SignatureNotValid' || name === 'AppIdAlreadySet') console.log(error.appId);
});

// @ts-expect-error rememberMe is one of 'local' | 'session' | 'none'
void sealbase.signUp({ username: 'a', password: 'b', rememberMe: 'forever' });
