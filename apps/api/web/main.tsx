import { render } from 'preact';
import { useState } from 'preact/hooks';
import { claims, signIn, signOut, takeTokenFromLocation, token } from './api';
import { HolderPage } from './holder';
import { ProgramPage } from './program';

function SignIn({ onDone }: { onDone: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="card signin"
      onSubmit={(event) => {
        event.preventDefault();
        signIn(value);
        onDone();
      }}
    >
      <h2>Sign in</h2>
      <label for="token">Paste your access token</label>
      <textarea
        id="token"
        name="token"
        rows={4}
        value={value}
        onInput={(e) => setValue((e.target as HTMLTextAreaElement).value)}
        required
      />
      <button type="submit">Sign in</button>
    </form>
  );
}

function App() {
  const [, refresh] = useState(0);
  const program = window.location.pathname.replace(/\/$/, '').endsWith('/program');
  const who = claims();
  return (
    <>
      <header class="top">
        <h1>{program ? 'Certification program' : 'My certifications'}</h1>
        <nav aria-label="Pages">
          <a href="/dashboard" aria-current={program ? undefined : 'page'}>
            Holder
          </a>
          <a href="/dashboard/program" aria-current={program ? 'page' : undefined}>
            Program
          </a>
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
      <main id="main">{!token() ? <SignIn onDone={() => refresh((n) => n + 1)} /> : program ? <ProgramPage /> : <HolderPage />}</main>
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
