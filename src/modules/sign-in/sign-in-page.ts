/**
 * The page a browser is shown when its sign-in cannot be finished and there is no page to send it back
 * to: the attempt is unknown (expired after 10 minutes, already used, or started in another browser), so
 * its `returnTo` is unknown too. Static words and links to the consoles, no script, no data of the request
 * but the problem's code and our own detail (escaped), under a CSP that allows nothing but its inline style.
 */
import type { ProblemError } from '../../shared/problem.js';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1d1d1d}h1{font-size:1.4rem}code{background:#eee;padding:0 .25rem}';

export const SIGN_IN_PAGE_CSP = `default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

export function signInFailedPage(error: ProblemError, base: string): string {
  return `<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign-in not finished · Implant trace</title><style>${STYLE}</style></head>
<body>
<main>
<h1>Sign-in could not be finished</h1>
<p role="alert">${escapeHtml(error.message)}</p>
<p>A sign-in works once, from the browser that started it, for 10 minutes. Nothing was changed. Start again from the page you were using:</p>
<ul>
<li><a href="${escapeHtml(`${base}/console/theatre`)}">Theatre scanning</a></li>
<li><a href="${escapeHtml(`${base}/console/recalls`)}">Recall console</a></li>
<li><a href="${escapeHtml(`${base}/console/stock`)}">Stock</a></li>
</ul>
<p>If it keeps failing, tell the service desk this code: <code>${escapeHtml(error.code)}</code>.</p>
</main>
</body>
</html>
`;
}
