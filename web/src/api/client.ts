// The app's one way to the server (docs/webapp.md, "Data-plane tokens").
//
// The session cookie is used for /api/auth/* only. Every other call carries
// `Authorization: Bearer tvd-…`, a short-lived token the control plane hands
// out for the session; data routes go to the data plane's URL, which on
// `serve` is this origin and on a split deployment another site (CORS). The
// token is renewed two minutes before it expires and after a 401; when the
// session itself is gone the app returns to the sign-in screen.

export interface Org {
  id: string;
  name: string;
  role: string;
}

export interface User {
  id: string;
  email: string;
  given_name: string | null;
  family_name: string | null;
}

export interface SessionInfo {
  user: User;
  orgs: Org[];
  csrf_token: string;
  expires_at: string;
}

interface DataToken {
  token: string;
  expiresAt: number; // ms since the epoch
  dataPlaneUrl: string;
}

/** An error the server answered ({Code, Message}) or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const RENEW_BEFORE_MS = 2 * 60 * 1000;

let session: SessionInfo | null = null;
let token: DataToken | null = null;
let tokenRequest: Promise<DataToken> | null = null;
const sessionListeners = new Set<(s: SessionInfo | null) => void>();

export function currentSession(): SessionInfo | null {
  return session;
}

/** Called with the new session (null: signed out or expired). */
export function onSessionChange(listener: (s: SessionInfo | null) => void): () => void {
  sessionListeners.add(listener);
  return () => sessionListeners.delete(listener);
}

function setSession(s: SessionInfo | null): void {
  session = s;
  if (!s) token = null;
  sessionListeners.forEach((l) => l(s));
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP ${res.status}`;
  let message = res.statusText || `Request failed with status ${res.status}`;
  try {
    const body = await res.json();
    if (body && typeof body === 'object') {
      if (typeof body.Code === 'string') code = body.Code;
      if (typeof body.Message === 'string') message = body.Message;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(res.status, code, message);
}

async function send(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    throw new ApiError(0, 'NetworkError', `Cannot reach the server (${(e as Error).message})`);
  }
}

async function authCall<T>(path: string, method: string, body?: unknown): Promise<T | null> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session) headers['X-TV-CSRF'] = session.csrf_token;
  const res = await send(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  if (!res.ok) throw await errorOf(res);
  return (await res.json()) as T;
}

/** The live session, or null when there is none (401). */
export async function loadSession(): Promise<SessionInfo | null> {
  try {
    const s = await authCall<SessionInfo>('/api/auth/session', 'GET');
    setSession(s);
    return s;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setSession(null);
      return null;
    }
    throw e;
  }
}

export async function signIn(email: string, password: string): Promise<SessionInfo> {
  const s = await authCall<SessionInfo>('/api/auth/login', 'POST', { email, password });
  setSession(s);
  return s!;
}

export async function signOut(): Promise<void> {
  try {
    await authCall('/api/auth/logout', 'POST', {});
  } finally {
    setSession(null);
  }
}

export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await authCall('/api/auth/password', 'POST', { current_password: currentPassword, new_password: newPassword });
}

const devKey: string | undefined = import.meta.env.DEV ? import.meta.env.VITE_TV_API_KEY : undefined;

async function fetchToken(): Promise<DataToken> {
  if (devKey) return { token: devKey, expiresAt: Number.MAX_SAFE_INTEGER, dataPlaneUrl: '' };
  try {
    const body = await authCall<{ token: string; expires_at: string; data_plane_url: string }>(
      '/api/auth/data_token',
      'POST',
      {},
    );
    return { token: body!.token, expiresAt: Date.parse(body!.expires_at), dataPlaneUrl: body!.data_plane_url };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) setSession(null);
    throw e;
  }
}

async function dataToken(forceRenew = false): Promise<DataToken> {
  if (!forceRenew && token && token.expiresAt - Date.now() > RENEW_BEFORE_MS) return token;
  if (!tokenRequest) {
    tokenRequest = fetchToken()
      .then((t) => (token = t))
      .finally(() => (tokenRequest = null));
  }
  return tokenRequest;
}

/** Where data routes go: this origin's path when the data plane is here. */
function dataUrl(t: DataToken, path: string): string {
  if (!t.dataPlaneUrl) return path;
  const base = new URL(t.dataPlaneUrl);
  if (base.origin === window.location.origin) return path;
  return base.origin + base.pathname.replace(/\/$/, '') + path;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined | null>;
  signal?: AbortSignal;
}

// Heavy requests (BTQL, summaries, comparisons) are limited per key on the data
// plane (`--heavy-per-key`, 2 by default, docs/configuration.md): a third at
// once is a 429. The app's token is one key, so the app runs at most two at a
// time and queues the rest. A heavy request the page no longer wants (its
// signal fired) is not cancelled on the network: the server would run it to
// the end anyway, so it keeps its slot until the answer arrives, which is then
// dropped; that keeps this count equal to the server's. Should a 429 still
// come (another tab), it waits the Retry-After and tries again, a few times.
const HEAVY = [/^\/btql$/, /^\/dataset-summary$/, /^\/experiment-comparison2$/, /^\/v1\/(experiment|dataset)\/[^/]+\/summarize$/];
const MAX_HEAVY = 2;
const HEAVY_RETRIES = 3;
let heavyRunning = 0;
const heavyWaiting: (() => void)[] = [];

function isHeavy(path: string): boolean {
  return HEAVY.some((re) => re.test(path));
}

async function sendHeavy(url: string, init: RequestInit): Promise<Response> {
  if (heavyRunning >= MAX_HEAVY) await new Promise<void>((resolve) => heavyWaiting.push(resolve));
  else heavyRunning++;
  const { signal, ...uncancelled } = init;
  const cancelled = () => new ApiError(0, 'AbortError', 'The request was cancelled');
  try {
    for (let retry = 0; ; retry++) {
      if (signal?.aborted) throw cancelled();
      const res = await send(url, uncancelled);
      if (signal?.aborted) throw cancelled();
      if (res.status !== 429 || retry >= HEAVY_RETRIES) return res;
      const wait = Number(res.headers.get('retry-after'));
      await new Promise((r) => setTimeout(r, (Number.isFinite(wait) && wait > 0 ? Math.min(wait, 10) : 1) * 1000));
    }
  } finally {
    const next = heavyWaiting.shift();
    if (next) next(); // the slot passes to the next waiting request
    else heavyRunning--;
  }
}

async function bearerCall<T>(plane: 'control' | 'data', path: string, opts: CallOptions): Promise<T> {
  let qs = '';
  if (opts.query) {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(opts.query)) if (v !== undefined && v !== null) p.set(k, String(v));
    const s = p.toString();
    if (s) qs = `?${s}`;
  }
  for (let attempt = 0; ; attempt++) {
    const t = await dataToken(attempt > 0);
    const headers: Record<string, string> = { Authorization: `Bearer ${t.token}` };
    if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
    const url = plane === 'data' ? dataUrl(t, path + qs) : path + qs;
    const init: RequestInit = {
      method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'),
      headers,
      credentials: 'omit',
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
    };
    const res = await (plane === 'data' && isHeavy(path) ? sendHeavy(url, init) : send(url, init));
    if (res.status === 401 && attempt === 0 && !devKey) continue; // the token may have lapsed: renew once
    if (!res.ok) throw await errorOf(res);
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('json') ? await res.json() : await res.text()) as T;
  }
}

/** A control-plane route (/v1/project, /api/...), on this origin. */
export function control<T>(path: string, opts: CallOptions = {}): Promise<T> {
  return bearerCall<T>('control', path, opts);
}

/** A data-plane route (/btql, /logs3, /v1/experiment/{id}/fetch, ...). */
export function data<T>(path: string, opts: CallOptions = {}): Promise<T> {
  return bearerCall<T>('data', path, opts);
}
