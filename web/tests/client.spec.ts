// The API client: bearer token, refresh-once on 401, consistency token, problem+json errors.
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { ApiClient, filenameFromDisposition, queryString } from '@/api/client'
import { ApiError } from '@/api/errors'
import { fakeServer, json, noContent, problem, tokens } from './fake-server'

let client: ApiClient

beforeEach(() => {
  client = new ApiClient()
})

describe('authentication', () => {
  it('sends the access token as a bearer token', async () => {
    const server = fakeServer({ 'GET /api/quota': () => json({ limit_bytes: 1, used_bytes: 0, reserved_bytes: 0 }) })
    client.setSession(tokens(1) as never)
    await client.get('/api/quota')
    expect(server.calls[0]!.headers.authorization).toBe('Bearer access-1')
  })

  it('refreshes once on 401 and retries the request with the new token', async () => {
    const server = fakeServer({
      'GET /api/quota': [() => problem(401, 'token_expired'), (req) => json({ ok: req.headers.authorization })],
      'POST /api/auth/refresh': () => json(tokens(2)),
    })
    client.setSession(tokens(1) as never)
    const body = await client.get<{ ok: string }>('/api/quota')
    expect(body.ok).toBe('Bearer access-2')
    expect(server.callsTo('POST', '/api/auth/refresh')).toHaveLength(1)
    expect(server.callsTo('GET', '/api/quota')).toHaveLength(2)
  })

  it('asks for cookie mode and never sends a refresh token it does not have', async () => {
    const server = fakeServer({ 'POST /api/auth/refresh': () => json(tokens(2)) })
    expect(await client.refresh()).toBe(true)
    const call = server.calls[0]!
    expect(call.query.get('cookie')).toBe('true')
    expect(call.headers.authorization).toBeUndefined()
    expect(call.body).toEqual({})
    expect(client.hasAccessToken).toBe(true)
  })

  it('keeps a body-mode refresh token in memory only, and sends it back', async () => {
    const server = fakeServer({ 'POST /api/auth/refresh': () => json({ ...tokens(2), refresh_token: 'r-2' }) })
    const setItem = vi.spyOn(Storage.prototype, 'setItem')
    client.setSession({ ...tokens(1), refresh_token: 'r-1' } as never)
    await client.refresh()
    expect(server.calls[0]!.body).toEqual({ refresh_token: 'r-1' })
    expect(client.refreshBody()).toEqual({ refresh_token: 'r-2' })
    expect(setItem).not.toHaveBeenCalled()
  })

  it('does not loop: a second 401 after a successful refresh is reported, once', async () => {
    const server = fakeServer({
      'GET /api/quota': () => problem(401, 'unauthorized', 'no'),
      'POST /api/auth/refresh': () => json(tokens(2)),
    })
    const expired = vi.fn()
    client.onSessionExpired(expired)
    client.setSession(tokens(1) as never)
    const err = await client.get('/api/quota').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect((err as ApiError).code).toBe('unauthorized')
    expect(server.callsTo('POST', '/api/auth/refresh')).toHaveLength(1)
    expect(server.callsTo('GET', '/api/quota')).toHaveLength(2)
    // The refresh worked, so the session is fine: this was the endpoint's own answer.
    expect(expired).not.toHaveBeenCalled()
    expect(client.hasAccessToken).toBe(true)
  })

  it('does not refresh (or sign out) for a wrong current password', async () => {
    const server = fakeServer({
      'POST /api/auth/password': () => problem(401, 'invalid_credentials', 'wrong password'),
      'POST /api/auth/refresh': () => json(tokens(2)),
    })
    const expired = vi.fn()
    client.onSessionExpired(expired)
    client.setSession(tokens(1) as never)
    await expect(client.post('/api/auth/password', {})).rejects.toMatchObject({ code: 'invalid_credentials' })
    expect(server.callsTo('POST', '/api/auth/refresh')).toHaveLength(0)
    expect(expired).not.toHaveBeenCalled()
  })

  it('ends the session when the refresh itself is refused', async () => {
    fakeServer({
      'GET /api/quota': () => problem(401, 'unauthorized'),
      'POST /api/auth/refresh': () => problem(401, 'invalid_refresh_token'),
    })
    const expired = vi.fn()
    client.onSessionExpired(expired)
    client.setSession(tokens(1) as never)
    await expect(client.get('/api/quota')).rejects.toMatchObject({ code: 'session_expired' })
    expect(expired).toHaveBeenCalledOnce()
    expect(client.hasAccessToken).toBe(false)
  })

  it('shares one refresh between concurrent 401s (rotation allows one use)', async () => {
    let refreshed = false
    const server = fakeServer({
      'GET /api/a': (req) => (req.headers.authorization === 'Bearer access-2' ? json({}) : problem(401, 'expired')),
      'GET /api/b': (req) => (req.headers.authorization === 'Bearer access-2' ? json({}) : problem(401, 'expired')),
      'POST /api/auth/refresh': async () => {
        await new Promise((r) => setTimeout(r, 5))
        refreshed = true
        return json(tokens(2))
      },
    })
    client.setSession(tokens(1) as never)
    await Promise.all([client.get('/api/a'), client.get('/api/b')])
    expect(refreshed).toBe(true)
    expect(server.callsTo('POST', '/api/auth/refresh')).toHaveLength(1)
  })

  it('does not refresh for anonymous calls such as login (a 401 there means wrong credentials)', async () => {
    const server = fakeServer({ 'POST /api/auth/login': () => problem(401, 'totp_required', 'code needed') })
    await expect(client.post('/api/auth/login', { email: 'a', password: 'b' }, { anonymous: true })).rejects.toMatchObject({
      status: 401,
      code: 'totp_required',
    })
    expect(server.callsTo('POST', '/api/auth/refresh')).toHaveLength(0)
  })
})

describe('consistency token', () => {
  it('passes the token of a write to the next read', async () => {
    const server = fakeServer({
      'POST /api/folders': () => json({ id: 'f1' }, 201, { 'X-Consistency-Token': '42' }),
      'GET /api/folders': () => json([]),
    })
    await client.post('/api/folders', { name: 'A' })
    await client.get('/api/folders')
    expect(server.callsTo('POST', '/api/folders')[0]!.headers['x-consistency-token']).toBeUndefined()
    expect(server.callsTo('GET', '/api/folders')[0]!.headers['x-consistency-token']).toBe('42')
  })

  it('keeps the highest position, also from 204 answers, and compares numerically', async () => {
    const server = fakeServer({
      'DELETE /api/documents/a': () => noContent({ 'X-Consistency-Token': '9' }),
      'DELETE /api/documents/b': () => noContent({ 'X-Consistency-Token': '10' }),
      'DELETE /api/documents/c': () => noContent({ 'X-Consistency-Token': '8' }),
      'GET /api/documents': () => json({ items: [], next_cursor: null }),
    })
    await client.delete('/api/documents/a')
    await client.delete('/api/documents/b')
    await client.delete('/api/documents/c')
    await client.get('/api/documents')
    expect(server.callsTo('GET', '/api/documents')[0]!.headers['x-consistency-token']).toBe('10')
    expect(client.currentConsistencyToken).toBe('10')
  })

  it('forgets the token when the session ends', async () => {
    fakeServer({ 'POST /api/x': () => json({}, 200, { 'X-Consistency-Token': '5' }) })
    await client.post('/api/x', {})
    client.clearSession()
    expect(client.currentConsistencyToken).toBeNull()
  })
})

describe('errors', () => {
  it('maps problem+json to ApiError with code, detail and a readable message', async () => {
    fakeServer({
      'POST /api/documents/upload-url': () =>
        problem(413, 'quota_exceeded', 'Quota exceeded', { limit_bytes: 100 * 1024 * 1024, used_bytes: 99 * 1024 * 1024 }),
    })
    const err = (await client.post('/api/documents/upload-url', {}).catch((e: unknown) => e)) as ApiError
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(413)
    expect(err.code).toBe('quota_exceeded')
    expect(err.detail).toBe('Quota exceeded')
    expect(err.problem.limit_bytes).toBe(100 * 1024 * 1024)
    expect(err.message).toBe('Not enough storage: 1 MB free of 100 MB.')
  })

  it('uses the server detail for codes it has no message for', async () => {
    fakeServer({ 'POST /api/auth/register': () => problem(422, 'password_breached', 'This password appears in a list of breached passwords.') })
    await expect(client.post('/api/auth/register', {}, { anonymous: true })).rejects.toThrow(
      'This password appears in a list of breached passwords.',
    )
  })

  it('reads Retry-After on 429', async () => {
    fakeServer({ 'POST /api/auth/login': () => problem(429, 'too_many_requests', 'slow down', {}, { 'Retry-After': '7' }) })
    const err = (await client.post('/api/auth/login', {}, { anonymous: true }).catch((e: unknown) => e)) as ApiError
    expect(err.retryAfter).toBe(7)
    expect(err.message).toBe('Too many attempts. Try again in 7 seconds.')
  })

  it('names the status when the body is not a problem', async () => {
    fakeServer({ 'GET /api/x': () => new Response('<html>bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }) })
    await expect(client.get('/api/x')).rejects.toMatchObject({ status: 502, code: 'internal_error', message: 'Something went wrong on our side. Please try again.' })
  })

  it('turns a failed connection into a network error', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
    await expect(client.get('/api/x')).rejects.toMatchObject({ code: 'network_error' })
  })
})

describe('helpers', () => {
  it('builds query strings without empty values', () => {
    expect(queryString({ folder_id: 'root', q: '', cursor: null, limit: 50, status: undefined })).toBe('?folder_id=root&limit=50')
    expect(queryString({})).toBe('')
  })

  it('reads RFC 6266 filenames, preferring filename*', () => {
    expect(filenameFromDisposition(`attachment; filename="a.pdf"; filename*=UTF-8''%C3%A9t%C3%A9.pdf`)).toBe('été.pdf')
    expect(filenameFromDisposition('attachment; filename="quoted \\"name\\".txt"')).toBe('quoted "name".txt')
    expect(filenameFromDisposition(null)).toBeNull()
  })
})
