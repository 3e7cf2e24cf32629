import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { claims, onSignedOut, SignedOutReason, signIn, signOut, takeTokenFromLocation, token } from './api';
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
  const title = program ? t('app.programTitle') : who?.profileId ? t('app.holderTitle') : t('app.holdersTitle');
  document.title = `${title} · recert`;
  // #27.5: the skip link is in the static page (it must work before the script); its words follow the language.
  const skip = document.querySelector('a.skip');
  if (skip) skip.textContent = t('app.skipToContent');
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
                refresh((n) => n + 1);
              }}
            >
              {t('app.signOut', { who: who?.sub ?? '' })}
            </button>
          )}
        </nav>
      </header>
      <main id="main">
        {!token() ? (
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

takeTokenFromLocation();
const root = document.getElementById('root');
if (root) {
  void applyPreferences().then(() => {
    // Replace the static loading line rather than render beside it.
    root.textContent = '';
    render(<App />, root);
  });
}
