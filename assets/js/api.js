// The gateway's HTTP API: where it is (from /config.json) and one call function whose errors
// carry the server's message.

let config = null;

export async function loadConfig() {
  if (!config) {
    const res = await fetch('/config.json', { cache: 'no-store' });
    config = await res.json();
  }
  return config;
}

export class ApiError extends Error {
  constructor(status, message, { retryAfter = null, code = null } = {}) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter; // seconds, from Retry-After
    this.code = code;
  }
}

function retryAfterSeconds(res) {
  const value = res.headers.get('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
}

export async function api(path, { method = 'GET', body, token } = {}) {
  const { api_base: base } = await loadConfig();
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The server cannot be reached. Check your connection.');
  }
  let data = null;
  try {
    data = await res.json();
  } catch {
    data = null;
  }
  if (!res.ok) {
    throw new ApiError(res.status, (data && data.error) || `Request failed (${res.status})`,
      { retryAfter: retryAfterSeconds(res), code: data && data.code });
  }
  return data;
}

// The status and JSON body of a call, without throwing (status 0: the server was not reached).
export async function apiStatus(path, { method = 'GET', body, token } = {}) {
  try {
    return { status: 200, data: await api(path, { method, body, token }) };
  } catch (e) {
    return { status: e.status ?? 0, data: { error: e.message } };
  }
}

// The session kept across page loads: the token and who it belongs to.
const tokenKey = 'parley.token';
export const session = {
  get token() { return localStorage.getItem(tokenKey); },
  set token(value) {
    if (value) localStorage.setItem(tokenKey, value);
    else localStorage.removeItem(tokenKey);
  },
};

// The user behind a stored token (re-verified on every load), or null.
export async function currentUser() {
  const token = session.token;
  if (!token) return null;
  try {
    const result = await api('/api/auth/verify', { method: 'POST', body: { token } });
    return result.valid ? result.user : null;
  } catch (e) {
    if (e.status === 401 || e.status === 400) session.token = null;
    if (e.status === 0) throw e;
    return null;
  }
}
