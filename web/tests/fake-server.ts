// A scripted stand-in for `fetch` in unit tests: routes "METHOD /path" to handlers and records
// every request, so tests can assert on headers and bodies the client sent.
import { vi } from 'vitest'

export interface Recorded {
  method: string
  path: string
  query: URLSearchParams
  headers: Record<string, string>
  body: unknown
}

export type Handler = (req: Recorded) => Response | Promise<Response>

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } })
}

export function problem(status: number, code: string, detail = code, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: `https://docuvault.dev/problems/${code}`, status, code, detail, ...extra }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  })
}

export function noContent(headers: Record<string, string> = {}): Response {
  return new Response(null, { status: 204, headers })
}

export function fakeServer(routes: Record<string, Handler | Handler[]>) {
  const calls: Recorded[] = []
  const queues = new Map(Object.entries(routes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]))
  const fetchMock = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input), 'http://localhost')
    const headers: Record<string, string> = {}
    new Headers(init.headers).forEach((v, k) => (headers[k.toLowerCase()] = v))
    const req: Recorded = {
      method: init.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers,
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
    }
    calls.push(req)
    const entry = queues.get(`${req.method} ${req.path}`)
    // A list of handlers answers successive calls in order; the last one repeats.
    const handler = Array.isArray(entry) ? (entry.length > 1 ? entry.shift() : entry[0]) : entry
    if (!handler) return problem(404, 'not_found', `no fake route for ${req.method} ${req.path}`)
    return handler(req)
  })
  vi.stubGlobal('fetch', fetchMock)
  return { calls, fetch: fetchMock, callsTo: (method: string, path: string) => calls.filter((c) => c.method === method && c.path === path) }
}

export const tokens = (n = 1) => ({ access_token: `access-${n}`, token_type: 'Bearer', expires_in: 900 })

export const me = (over: Record<string, unknown> = {}) => ({
  id: 'u1',
  email: 'ann@example.com',
  handle: 'ann',
  role: 'user',
  totp_enabled: false,
  created_at: '2026-01-01T00:00:00Z',
  ...over,
})

export const doc = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  filename: `${id}.pdf`,
  content_type: 'application/pdf',
  size_bytes: 1000,
  sha256: null,
  folder_id: null,
  status: 'ready',
  owner: { id: 'u1', handle: 'ann' },
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
  shared_with_count: 0,
  ...over,
})
