import { readyMessage } from './ready-message';

/** #30: once it serves, `npm start` says where the pages and the API docs are and how to get in. */
describe('the ready message (#30)', () => {
  it('#30: names the pages, the API docs and the way in, by the secret in use', () => {
    const development = readyMessage('http://localhost:3000', true);
    expect(development).toContain('http://localhost:3000/dashboard\n');
    expect(development).toContain('http://localhost:3000/dashboard/program');
    expect(development).toContain('http://localhost:3000/docs');
    expect(development).toContain('npm run demo');
    expect(readyMessage('http://localhost:3000', false)).toContain('AUTH_JWT_SECRET');
  });
});
