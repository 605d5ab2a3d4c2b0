// The auth store: sign-in with and without a second factor, session restore, sign-out.
import { beforeEach, describe, expect, it } from 'vitest'
import { api } from '@/api/client'
import { useAuthStore } from '@/stores/auth'
import { useDocumentsStore } from '@/stores/documents'
import { fakeServer, json, me, noContent, problem, tokens } from './fake-server'
import { freshStores } from './setup'

beforeEach(freshStores)

describe('auth store', () => {
  it('signs in, keeps the access token in memory and loads the profile', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(tokens(1)),
      'GET /api/auth/me': () => json(me()),
    })
    const auth = useAuthStore()
    await auth.login('ann@example.com', 'correct horse battery')
    expect(auth.signedIn).toBe(true)
    expect(auth.user?.handle).toBe('ann')
    expect(server.callsTo('POST', '/api/auth/login')[0]!.body).toEqual({ email: 'ann@example.com', password: 'correct horse battery' })
    expect(server.callsTo('POST', '/api/auth/login')[0]!.query.get('cookie')).toBe('true')
    expect(server.callsTo('GET', '/api/auth/me')[0]!.headers.authorization).toBe('Bearer access-1')
    await auth.restore()
    expect(server.callsTo('GET', '/api/auth/me')).toHaveLength(1)
    expect(localStorage.length).toBe(0)
    expect(sessionStorage.length).toBe(0)
  })

  it('surfaces totp_required, then signs in with the code', async () => {
    const server = fakeServer({
      'POST /api/auth/login': (req) =>
        (req.body as { totp_code?: string }).totp_code === '123456' ? json(tokens(1)) : problem(401, 'totp_required'),
      'GET /api/auth/me': () => json(me({ totp_enabled: true })),
    })
    const auth = useAuthStore()
    await expect(auth.login('ann@example.com', 'pw')).rejects.toMatchObject({ code: 'totp_required' })
    expect(auth.signedIn).toBe(false)
    await auth.login('ann@example.com', 'pw', '123456')
    expect(auth.signedIn).toBe(true)
    expect(server.callsTo('POST', '/api/auth/refresh')).toHaveLength(0)
  })

  it('restores a session from the refresh cookie on page load', async () => {
    fakeServer({
      'POST /api/auth/refresh': () => json(tokens(3)),
      'GET /api/auth/me': () => json(me()),
    })
    const auth = useAuthStore()
    await auth.restore()
    expect(auth.state).toBe('signed-in')
    expect(api.hasAccessToken).toBe(true)
  })

  it('is signed out when there is no refresh cookie', async () => {
    fakeServer({ 'POST /api/auth/refresh': () => problem(401, 'invalid_refresh_token') })
    const auth = useAuthStore()
    await auth.restore()
    expect(auth.state).toBe('signed-out')
  })

  it('signs out locally even when the server cannot be reached, and forgets loaded data', async () => {
    fakeServer({
      'POST /api/auth/login': () => json(tokens(1)),
      'GET /api/auth/me': () => json(me()),
      'POST /api/auth/logout': () => problem(503, 'unavailable'),
    })
    const auth = useAuthStore()
    await auth.login('ann@example.com', 'pw')
    const docs = useDocumentsStore()
    docs.items = [{ id: 'd' } as never]
    await auth.logout()
    expect(auth.state).toBe('signed-out')
    expect(api.hasAccessToken).toBe(false)
    expect(docs.items).toEqual([])
  })

  it('ends the session after a password change (the server revokes every session)', async () => {
    const server = fakeServer({
      'POST /api/auth/login': () => json(tokens(1)),
      'GET /api/auth/me': () => json(me()),
      'POST /api/auth/password': () => noContent(),
    })
    const auth = useAuthStore()
    await auth.login('ann@example.com', 'old password 1')
    await auth.changePassword('old password 1', 'new password 22')
    expect(server.callsTo('POST', '/api/auth/password')[0]!.body).toEqual({
      current_password: 'old password 1',
      new_password: 'new password 22',
    })
    expect(auth.state).toBe('signed-out')
  })

  it('returns the recovery codes once TOTP is confirmed and marks it enabled', async () => {
    fakeServer({
      'POST /api/auth/login': () => json(tokens(1)),
      'GET /api/auth/me': () => json(me()),
      'POST /api/auth/totp/confirm': () => json({ recovery_codes: Array.from({ length: 10 }, (_, i) => `code-${i}`) }),
    })
    const auth = useAuthStore()
    await auth.login('ann@example.com', 'pw')
    const codes = await auth.confirmTotp('123456')
    expect(codes).toHaveLength(10)
    expect(auth.user?.totp_enabled).toBe(true)
  })
})
