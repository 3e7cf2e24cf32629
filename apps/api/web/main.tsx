import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { claims, onSignedOut, SignedOutReason, signIn, signOut, takeTokenFromLocation, token } from './api';
import { HolderPage } from './holder';
import { ProgramPage } from './program';

const SIGNED_OUT_WORDS: Record<SignedOutReason, string> = {
  expired: 'Your sign-in has expired or is no longer valid. Paste a new access token to continue.',
  rejected: 'That token was not accepted. Paste a new access token to continue.',
};

function SignIn({ onDone, why }: { onDone: () => void; why: SignedOutReason | null }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <form
      class="card signin"
      onSubmit={(event) => {
        event.preventDefault();
        const refused = signIn(value);
        setProblem(refused);
        if (!refused) onDone();
      }}
    >
      <h2>Sign in</h2>
      {why && !problem && (
        <p role="status" class="notice" data-testid="signed-out-reason">
          {SIGNED_OUT_WORDS[why]}
        </p>
      )}
      {problem && (
        <p role="alert" class="error" id="token-problem">
          {problem}
        </p>
      )}
      <label for="token">Paste your access token</label>
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
      <button type="submit">Sign in</button>
    </form>
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
  return (
    <>
      <header class="top">
        <h1>{program ? 'Certification program' : 'My certifications'}</h1>
        <nav aria-label="Pages">
          <a href="/dashboard" aria-current={program ? undefined : 'page'}>
            Holder
          </a>
          {mayReadProgram && (
            <a href="/dashboard/program" aria-current={program ? 'page' : undefined}>
              Program
            </a>
          )}
          {token() && (
            <button
              type="button"
              class="link"
              onClick={() => {
                signOut();
                refresh((n) => n + 1);
              }}
            >
              Sign out {who?.sub ?? ''}
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
              refresh((n) => n + 1);
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
  // Replace the static loading line rather than render beside it.
  root.textContent = '';
  render(<App />, root);
}
