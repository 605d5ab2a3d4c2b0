// The one HTTP client of the SPA: injects the access token (kept in memory only), refreshes it
// once on a 401 through the HttpOnly refresh cookie, carries the read-your-writes consistency
// token from each write to the following reads, and turns problem+json failures into `ApiError`.
import { ApiError, problemFrom } from './errors'
import type { TokenResponse } from './types'

export const CONSISTENCY_HEADER = 'X-Consistency-Token'
/**
 * Asks the server to put the refresh token in an HttpOnly, SameSite=Strict cookie scoped to
 * `/api/auth` instead of the response body (issue 3's cookie mode, `?cookie=true` on login and
 * refresh), so no script can read it.
 */
export const COOKIE_MODE = { cookie: true } as const

/**
 * 401 codes that judge what the user typed (a wrong current password, a wrong TOTP code), not
 * the session: no refresh, and certainly no sign-out.
 */
const CREDENTIAL_CODES = new Set(['invalid_credentials', 'totp_required', 'totp_invalid'])

type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  /** Serialised as JSON. */
  body?: unknown
  query?: Query
  signal?: AbortSignal
  /** For the auth endpoints themselves: no bearer token, no refresh-and-retry. */
  anonymous?: boolean
  headers?: Record<string, string>
}

export interface ClientOptions {
  baseUrl?: string
  fetch?: typeof fetch
}

export interface DownloadedFile {
  blob: Blob
  filename: string | null
}

export class ApiClient {
  private readonly baseUrl: string
  private readonly fetchImpl: typeof fetch
  private accessToken: string | null = null
  /**
   * Only used when a server ignores the cookie-mode request and returns the refresh token in the
   * body: then it lives in memory for this page only (never in storage), so a reload signs out.
   */
  private refreshTokenInMemory: string | null = null
  /** Highest global position any write answered with, as a decimal string. */
  private consistencyToken: string | null = null
  private refreshInFlight: Promise<boolean> | null = null
  private expiredListeners: Array<() => void> = []

  constructor(options: ClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? ''
    // Bound late so tests can stub `globalThis.fetch` after construction.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init))
  }

  get hasAccessToken(): boolean {
    return this.accessToken !== null
  }

  get currentConsistencyToken(): string | null {
    return this.consistencyToken
  }

  /** Called when a refresh fails: the session is over and the user must sign in again. */
  onSessionExpired(listener: () => void): () => void {
    this.expiredListeners.push(listener)
    return () => {
      this.expiredListeners = this.expiredListeners.filter((l) => l !== listener)
    }
  }

  /** Adopts the tokens of a login or refresh response. */
  setSession(tokens: TokenResponse): void {
    this.accessToken = tokens.access_token
    if (tokens.refresh_token) this.refreshTokenInMemory = tokens.refresh_token
  }

  clearSession(): void {
    this.accessToken = null
    this.refreshTokenInMemory = null
    this.consistencyToken = null
  }

  /** The body to send to `/api/auth/refresh` and `/api/auth/logout`. */
  refreshBody(): Record<string, string> {
    return this.refreshTokenInMemory ? { refresh_token: this.refreshTokenInMemory } : {}
  }

  /**
   * Exchanges the refresh cookie for a new access token. Concurrent callers share one request,
   * because the server rotates the refresh token and treats a second use as theft.
   */
  refresh(): Promise<boolean> {
    if (!this.refreshInFlight) {
      this.refreshInFlight = this.doRefresh().finally(() => {
        this.refreshInFlight = null
      })
    }
    return this.refreshInFlight
  }

  private async doRefresh(): Promise<boolean> {
    let res: Response
    try {
      res = await this.send('/api/auth/refresh', {
        method: 'POST',
        body: this.refreshBody(),
        anonymous: true,
        query: COOKIE_MODE,
      })
    } catch {
      return false
    }
    if (!res.ok) {
      this.accessToken = null
      this.refreshTokenInMemory = null
      return false
    }
    this.setSession((await res.json()) as TokenResponse)
    return true
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.fetchWithRefresh(path, options)
    if (res.status === 204 || res.status === 205) return undefined as T
    const type = res.headers.get('content-type') ?? ''
    if (!type.includes('json')) return (await res.text()) as T
    return (await res.json()) as T
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>(path, { method: 'GET', query, signal })
  }

  post<T>(path: string, body?: unknown, options: Omit<RequestOptions, 'body' | 'method'> = {}): Promise<T> {
    return this.request<T>(path, { ...options, method: 'POST', body })
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'PATCH', body })
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>(path, { method: 'PUT', body })
  }

  delete<T = void>(path: string, query?: Query): Promise<T> {
    return this.request<T>(path, { method: 'DELETE', query })
  }

  /**
   * Fetches a file the API redirects to (a short-lived signed URL). The browser follows the
   * redirect and drops our Authorization header if it leaves our origin.
   */
  async download(path: string): Promise<DownloadedFile> {
    const res = await this.fetchWithRefresh(path, { method: 'GET' })
    const blob = await res.blob()
    return { blob, filename: filenameFromDisposition(res.headers.get('content-disposition')) }
  }

  /**
   * Sends; on a 401 about the session, refreshes once and retries once; throws `ApiError` for any
   * failure. Only a refused refresh ends the session: a 401 after a successful refresh is the
   * endpoint's own answer and is reported as such.
   */
  private async fetchWithRefresh(path: string, options: RequestOptions): Promise<Response> {
    let res = await this.sendOrThrowNetwork(path, options)
    if (res.status === 401 && !options.anonymous) {
      const problem = await problemFrom(res.clone())
      if (CREDENTIAL_CODES.has(problem.code)) throw problem
      if (!(await this.refresh())) {
        this.expire()
        throw new ApiError(401, { code: 'session_expired' })
      }
      res = await this.sendOrThrowNetwork(path, options)
    }
    this.observeConsistency(res)
    if (!res.ok) throw await problemFrom(res)
    return res
  }

  private async sendOrThrowNetwork(path: string, options: RequestOptions): Promise<Response> {
    try {
      return await this.send(path, options)
    } catch (e) {
      if (e instanceof Error && e.name === 'AbortError') throw e
      throw ApiError.network(e)
    }
  }

  private send(path: string, options: RequestOptions): Promise<Response> {
    const method = options.method ?? 'GET'
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
    if (!options.anonymous && this.accessToken) {
      headers.Authorization = `Bearer ${this.accessToken}`
    }
    if (method === 'GET' && this.consistencyToken) {
      headers[CONSISTENCY_HEADER] = this.consistencyToken
    }
    let body: string | undefined
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.body)
    }
    return this.fetchImpl(this.baseUrl + path + queryString(options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      // The refresh cookie is scoped to /api/auth and SameSite=Strict; same-origin is enough.
      credentials: 'same-origin',
    })
  }

  /** Keeps the highest position seen, so a later read waits for every earlier write. */
  private observeConsistency(res: Response): void {
    const value = res.headers.get(CONSISTENCY_HEADER)?.trim()
    if (!value || !/^\d+$/.test(value)) return
    if (this.consistencyToken === null || BigInt(value) > BigInt(this.consistencyToken)) {
      this.consistencyToken = value
    }
  }

  private expire(): void {
    this.clearSession()
    for (const listener of this.expiredListeners) listener()
  }
}

export function queryString(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    params.set(key, String(value))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

/** RFC 6266: prefers `filename*=UTF-8''…` over the ASCII `filename=` fallback. */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null
  const star = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  if (star?.[2]) {
    try {
      return decodeURIComponent(star[2].trim())
    } catch {
      // Fall through to the plain parameter.
    }
  }
  const plain = /filename\s*=\s*("((?:\\.|[^"\\])*)"|[^;]+)/i.exec(header)
  if (!plain) return null
  return (plain[2] ?? plain[1] ?? '').replace(/\\(.)/g, '$1').trim() || null
}

/** The application's client; stores import this, components never call `fetch` themselves. */
export const api = new ApiClient()
