/**
 * What `npm start` prints once it serves (#30): where the pages and the API docs are and how to get in. One log line
 * (several lines of text), so JSON logs carry it too.
 */
export function readyMessage(base: string, developmentSecret: boolean): string {
  return [
    `recert is ready on ${base}`,
    `  holder pages   ${base}/dashboard`,
    `  program page   ${base}/dashboard/program (admins)`,
    `  API docs       ${base}/docs (OpenAPI JSON at /docs/openapi.json)`,
    developmentSecret
      ? '  sign in        `npm run demo` seeds a demo program and prints sign-in links (development secret: never in production)'
      : '  sign in        paste a JWT signed with AUTH_JWT_SECRET into the page, or open /dashboard#token=<JWT>',
  ].join('\n');
}
