import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  claims,
  onSignedOut,
  SignedOutReason,
  signIn,
  signOut,
  signOutBecause,
  setToken,
  takeTokenFromLocation,
  token,
  useIssuerSession,
} from './api';
import { AuthConfig, beginSignIn, completeSignIn, loadAuthConfig, SignInFailure, signOutAtIssuer } from './oidc';
import { HolderPage } from './holder';
import { currentLanguage, Language, LANGUAGE_NAMES, LANGUAGES, rememberLanguage, t, useLanguage } from './i18n';
import { applyPreferences, savePreferences } from './preferences';
import { ProgramPage } from './program';

function SignIn({ onDone, why }: { onDone: () => void; why: SignedOutReason | null }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="card signin"
      onSubmit={(event) => {
        event.preventDefault();
        const refused = signIn(value);
        setProblem(refused ? t(`signIn.${refused}`) : null);
        if (!refused) onDone();
      }}
    >
      <h2>{t('signIn.title')}</h2>
      {why && !problem && (
        <p role="status" class="notice" data-testid="signed-out-reason">
          {t(`signIn.signedOut.${why}`)}
        </p>
      )}
      {problem && (
        <p role="alert" class="error" id="token-problem">
          {problem}
        </p>
      )}
      <label for="token">{t('signIn.label')}</label>
      <textarea
        id="token"
        name="token"
        rows={4}
        value={value}
        onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)}
        aria-invalid={problem ? 'true' : undefined}
        aria-describedby={problem ? 'token-problem' : undefined}
        required
      />
      <button type="submit">{t('signIn.submit')}</button>
    </form>
  );
}

/** Sign-in through the issuer (R69): one button; after an expiry or a failed return, a clear reason first. */
function IssuerSignIn({
  config,
  why,
  failure,
}: {
  config: Extract<AuthConfig, { mode: 'oidc' }>;
  why: SignedOutReason | null;
  failure: SignInFailure | null;
}) {
  return (
    <section class="card signin" aria-labelledby="signin-heading">
      <h2 id="signin-heading">{t('signIn.title')}</h2>
      {why && !failure && (
        <p role="status" class="notice" data-testid="signed-out-reason">
          {t('signIn.issuer.signedOut')}
        </p>
      )}
      {failure && (
        <p role="alert" class="error" data-testid="sign-in-failure">
          {t(`signIn.issuer.failed.${failure}`)}
        </p>
      )}
      <p>{t('signIn.issuer.intro')}</p>
      <button type="button" data-testid="sign-in" onClick={() => void beginSignIn(config)}>
        {t('signIn.issuer.submit')}
      </button>
    </section>
  );
}

function LanguageSwitcher({ onChange }: { onChange: () => void }) {
  return (
    <label class="language">
      <span class="visually-hidden">{t('app.language')}</span>
      <select
        data-testid="language"
        value={currentLanguage()}
        onChange={(e) => {
          const language = (e.target as HTMLSelectElement).value as Language;
          rememberLanguage(language);
          // A holder's choice is kept by the server too, so it follows them to another browser (#15.3).
          void useLanguage(language)
            .then(() => savePreferences({ language }))
            .catch(() => undefined)
            .then(onChange);
        }}
      >
        {LANGUAGES.map((language) => (
          <option key={language} value={language} lang={language}>
            {LANGUAGE_NAMES[language]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** How this visit signs in: set once at start from GET /auth/config. */
let auth: AuthConfig = { mode: 'development' };
let idToken: string | undefined;
let signInFailure: SignInFailure | null = null;
let expiryTimer: number | undefined;

/** A clear "signed out" at the token's expiry, rather than requests that start failing one by one. */
function watchExpiry(): void {
  window.clearTimeout(expiryTimer);
  const exp = claims()?.exp;
  if (exp !== undefined) expiryTimer = window.setTimeout(() => signOutBecause('expired'), Math.max(0, exp * 1000 - Date.now()));
}

function App() {
  const [, refresh] = useState(0);
  const [why, setWhy] = useState<SignedOutReason | null>(null);
  useEffect(
    () =>
      onSignedOut((reason) => {
        setWhy(reason);
        refresh((n) => n + 1);
      }),
    [],
  );
  const program = window.location.pathname.replace(/\/$/, '').endsWith('/program');
  const who = claims();
  // An expired token is not a sign-in: ask again, saying why, rather than show pages that can only fail.
  if (who?.exp !== undefined && who.exp * 1000 <= Date.now()) {
    signOut();
    if (why === null) setWhy('expired');
  }
  const mayReadProgram = who?.roles.includes('admin') ?? false;
  const ownPage = who !== null && (who.profileId !== undefined || !who.roles.some((role) => role === 'admin' || role === 'support'));
  const title = program ? t('app.programTitle') : ownPage ? t('app.holderTitle') : t('app.holdersTitle');
  document.title = `${title} · recert`;
  return (
    <>
      <header class="top">
        <h1>{title}</h1>
        <nav aria-label={t('app.pages')}>
          <a href="/dashboard" aria-current={program ? undefined : 'page'}>
            {t('app.holder')}
          </a>
          {mayReadProgram && (
            <a href="/dashboard/program" aria-current={program ? 'page' : undefined}>
              {t('app.program')}
            </a>
          )}
          <LanguageSwitcher onChange={() => refresh((n) => n + 1)} />
          {token() && (
            <button
              type="button"
              class="link"
              onClick={() => {
                signOut();
                if (auth.mode === 'oidc') signOutAtIssuer(auth, idToken);
                refresh((n) => n + 1);
              }}
            >
              {t('app.signOut', { who: who?.sub ?? '' })}
            </button>
          )}
        </nav>
      </header>
      <main id="main">
        {!token() && auth.mode === 'oidc' ? (
          <IssuerSignIn config={auth} why={why} failure={signInFailure} />
        ) : !token() ? (
          <SignIn
            why={why}
            onDone={() => {
              setWhy(null);
              void applyPreferences().then(() => refresh((n) => n + 1));
            }}
          />
        ) : program ? (
          <ProgramPage />
        ) : (
          <HolderPage />
        )}
      </main>
    </>
  );
}

/** With an issuer: finish a return from it (code and state in the address), else stay signed out until asked. */
async function startSession(): Promise<void> {
  auth = await loadAuthConfig().catch((): AuthConfig => ({ mode: 'development' }));
  if (auth.mode !== 'oidc') {
    takeTokenFromLocation();
    return;
  }
  useIssuerSession(auth.rolesClaim);
  const result = await completeSignIn(auth).catch((): SignInFailure => 'refused');
  if (result === null) return;
  if (typeof result === 'string') {
    signInFailure = result;
    return;
  }
  setToken(result.accessToken);
  idToken = result.idToken;
  watchExpiry();
}

const root = document.getElementById('root');
if (root) {
  void startSession()
    .then(applyPreferences)
    .then(() => {
      // Replace the static loading line rather than render beside it.
      root.textContent = '';
      render(<App />, root);
    });
}
