// Quota, shares and admin stores, and the formatting helpers they rely on.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { useAdminStore } from '@/stores/admin'
import { useQuotaStore } from '@/stores/quota'
import { normalizeHandle, useSharesStore } from '@/stores/shares'
import { useToastsStore } from '@/stores/toasts'
import { formatBytes, parseBytes } from '@/utils/format'
import { doc, fakeServer, json, noContent } from './fake-server'
import { freshStores } from './setup'

beforeEach(freshStores)
afterEach(() => vi.useRealTimers())

describe('quota store', () => {
  it('counts reserved bytes as used and warns near the limit', async () => {
    fakeServer({
      'GET /api/quota': [
        () => json({ limit_bytes: 1000, used_bytes: 500, reserved_bytes: 0 }),
        () => json({ limit_bytes: 1000, used_bytes: 850, reserved_bytes: 60 }),
        () => json({ limit_bytes: 1000, used_bytes: 1000, reserved_bytes: 0 }),
      ],
    })
    const quota = useQuotaStore()
    await quota.refresh()
    expect([quota.fraction, quota.nearLimit, quota.full]).toEqual([0.5, false, false])
    await quota.refresh()
    expect(quota.used).toBe(910)
    expect(quota.nearLimit).toBe(true)
    expect(quota.free).toBe(90)
    await quota.refresh()
    expect(quota.full).toBe(true)
  })
})

describe('shares store', () => {
  it('normalises handles and refuses malformed ones before asking the server', async () => {
    expect(normalizeHandle('  @@Ann_Lee ')).toBe('ann_lee')
    const server = fakeServer({
      'GET /api/documents/d1/shares': () => json({ items: [], next_cursor: null }),
      'POST /api/documents/d1/shares': (req) =>
        json({ id: 's1', recipient: { id: 'u2', handle: (req.body as { handle: string }).handle }, permission: 'download', created_at: '' }, 201),
      'DELETE /api/documents/d1/shares/s1': () => noContent(),
    })
    const shares = useSharesStore()
    await shares.open('d1')
    await expect(shares.add('@a b', 'view')).rejects.toThrow(/handle/)
    await shares.add('@Bob', 'download')
    expect(server.callsTo('POST', '/api/documents/d1/shares')[0]!.body).toEqual({ handle: 'bob', permission: 'download' })
    expect(shares.shares).toHaveLength(1)
    await shares.revoke('s1')
    expect(shares.shares).toHaveLength(0)
  })

  it('loads documents shared with me', async () => {
    fakeServer({ 'GET /api/shared-with-me': () => json({ items: [{ ...doc('x'), permission: 'view' }], next_cursor: null }) })
    const shares = useSharesStore()
    await shares.loadIncoming()
    expect(shares.incoming[0]!.permission).toBe('view')
  })
})

describe('admin store', () => {
  it('searches users, changes role, activation and quota', async () => {
    let user = { id: 'u2', email: 'bob@example.com', handle: 'bob', role: 'user', is_active: true }
    const server = fakeServer({
      'GET /api/admin/users': () => json({ items: [user], next_cursor: null }),
      'PATCH /api/admin/users/u2': (req) => json((user = { ...user, ...(req.body as object) })),
      'PUT /api/admin/users/u2/quota': () => noContent(),
    })
    const admin = useAdminStore()
    await admin.searchUsers('bo')
    expect(server.callsTo('GET', '/api/admin/users')[0]!.query.get('q')).toBe('bo')
    await admin.setRole('u2', 'auditor')
    await admin.setActive('u2', false)
    await admin.setQuota('u2', 2048)
    expect(server.callsTo('PUT', '/api/admin/users/u2/quota')[0]!.body).toEqual({ limit_bytes: 2048 })
    expect(admin.users[0]).toMatchObject({ role: 'auditor', is_active: false, quota: { limit_bytes: 2048 } })
  })

  it('polls projections faster while a rebuild runs, and not after it is done', async () => {
    vi.useFakeTimers()
    let rebuild: string | null = null
    const server = fakeServer({
      'GET /api/admin/projections': () =>
        json({
          items: [
            {
              name: 'documents',
              version: 1,
              // The live tables keep being served (and led) while the shadow ones are built.
              state: 'running',
              leader: { process: 'vm:1:a', alive: true },
              checkpoint: { tx: 7, position: 10 },
              lag_events: 0,
              lag_seconds: 0,
              events_per_second: 0,
              last_error: null,
              rebuild: rebuild
                ? { state: rebuild, events_done: 5, events_total: 10, events_per_second: 50, requested_at: '2026-01-01T00:00:00Z' }
                : null,
            },
          ],
        }),
      'POST /api/admin/projections/documents/rebuild': () => {
        rebuild = 'requested'
        return json({}, 202)
      },
    })
    const admin = useAdminStore()
    admin.startPolling()
    await vi.advanceTimersByTimeAsync(0)
    expect(admin.rebuilding).toBe(false)
    await admin.rebuild('documents')
    expect(admin.rebuilding).toBe(true)
    rebuild = 'running'
    const before = server.callsTo('GET', '/api/admin/projections').length
    await vi.advanceTimersByTimeAsync(1000)
    expect(server.callsTo('GET', '/api/admin/projections').length).toBe(before + 1)
    expect(admin.rebuilding).toBe(true)
    // The last rebuild stays in the answer once done; it no longer counts as running.
    rebuild = 'done'
    await vi.advanceTimersByTimeAsync(1000)
    expect(admin.projections[0]?.rebuild?.state).toBe('done')
    expect(admin.rebuilding).toBe(false)
    admin.stopPolling()
    const stopped = server.callsTo('GET', '/api/admin/projections').length
    await vi.advanceTimersByTimeAsync(10_000)
    expect(server.callsTo('GET', '/api/admin/projections').length).toBe(stopped)
  })

  it('erases a user with the reason given, then shows the directory as the server has it', async () => {
    const server = fakeServer({
      'POST /api/admin/users/u2/erase': () => json({ user_id: 'u2', blobs_purged: 3, erased_at: '2026-01-01T00:00:00Z' }),
      'GET /api/admin/users': () =>
        json({ items: [{ id: 'u2', email: '[erased]', handle: '[erased]', role: 'user', is_active: false, totp_enabled: false, created_at: '2026-01-01T00:00:00Z' }], next_cursor: null }),
    })
    const admin = useAdminStore()
    await admin.erase('u2', 'ticket GDPR-1')
    expect(server.callsTo('POST', '/api/admin/users/u2/erase')[0]!.body).toEqual({ reason: 'ticket GDPR-1' })
    expect(admin.users[0]?.email).toBe('[erased]')
  })

  it('takes a server without the projections API (404) as "not available" and stops asking', async () => {
    vi.useFakeTimers()
    const server = fakeServer({}) // every route answers 404
    const admin = useAdminStore()
    admin.startPolling()
    await vi.advanceTimersByTimeAsync(0)
    expect(admin.projectionsUnavailable).toBe(true)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(server.callsTo('GET', '/api/admin/projections')).toHaveLength(1)
    admin.stopPolling()
  })
})

describe('toasts store', () => {
  it('shows at most three at once, the newest', () => {
    const toasts = useToastsStore()
    for (const m of ['one', 'two', 'three', 'four']) toasts.success(m)
    expect(toasts.toasts.map((t) => t.message)).toEqual(['two', 'three', 'four'])
  })
})

describe('format', () => {
  it('formats and parses sizes', () => {
    expect(formatBytes(0)).toBe('0 B')
    expect(formatBytes(1536)).toBe('1.5 KB')
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB')
    expect(parseBytes('2 GB')).toBe(2 * 1024 ** 3)
    expect(parseBytes('1.5mb')).toBe(1.5 * 1024 * 1024)
    expect(parseBytes('300')).toBe(300)
    expect(parseBytes('lots')).toBeNull()
  })
})
