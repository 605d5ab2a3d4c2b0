// The audit store (filters sent as given, empty ones left out; cursor pagination; as-of) and the
// role gate that decides where the 403 page shows.
import { beforeEach, describe, expect, it } from 'vitest'
import { forbiddenFor } from '@/router'
import { useAuditStore } from '@/stores/audit'
import { fakeServer, json } from './fake-server'
import { freshStores } from './setup'

beforeEach(freshStores)

const entry = (position: number) => ({
  position,
  event_id: `e${position}`,
  recorded_at: '2026-01-01T00:00:00Z',
  type: 'DocumentShared',
  stream_id: 'document-1',
  stream_version: 1,
  actor: { id: 'u1', handle: 'alice' },
  subjects: [],
  document_id: 'd1',
  summary: 'Shared with @bob (view)',
  personal_data: {},
  data: {},
})

describe('audit store', () => {
  it('sends only the filters given, and appends the next page from the cursor', async () => {
    const server = fakeServer({
      'GET /api/audit/events': [() => json({ items: [entry(9), entry(8)], next_cursor: 'c1' }), () => json({ items: [entry(7)], next_cursor: null })],
    })
    const audit = useAuditStore()
    await audit.load({ type: 'DocumentShared', actor: '  ', document_id: 'd1' })
    const first = server.callsTo('GET', '/api/audit/events')[0]!.query
    expect(first.get('type')).toBe('DocumentShared')
    expect(first.get('document_id')).toBe('d1')
    expect(first.has('actor')).toBe(false)
    expect(first.get('order')).toBe('newest')
    expect(audit.cursor).toBe('c1')
    await audit.load(audit.filter, true)
    const second = server.callsTo('GET', '/api/audit/events')[1]!.query
    expect(second.get('cursor')).toBe('c1')
    expect(second.get('type')).toBe('DocumentShared')
    expect(audit.entries.map((e) => e.position)).toEqual([9, 8, 7])
    expect(audit.cursor).toBeNull()
  })

  it('asks "as of" for exactly one of a document or a user', async () => {
    const server = fakeServer({
      'GET /api/audit/as-of': () => json({ at: '2026-01-01T00:00:00Z', user: { user_id: 'u2', documents: [] } }),
    })
    const audit = useAuditStore()
    await audit.loadAsOf({ user_id: 'u2', at: '2026-01-01T00:00:00Z' })
    const q = server.callsTo('GET', '/api/audit/as-of')[0]!.query
    expect([q.get('user_id'), q.has('document_id'), q.get('at')]).toEqual(['u2', false, '2026-01-01T00:00:00Z'])
    expect(audit.asOf?.user?.user_id).toBe('u2')
  })
})

describe('role gate', () => {
  it('lets auditors and admins into the audit screen only, and admins alone into admin screens', () => {
    const audit = { meta: { roles: ['auditor', 'admin'] } } as Parameters<typeof forbiddenFor>[0]
    const admin = { meta: { roles: ['admin'] } } as Parameters<typeof forbiddenFor>[0]
    expect(forbiddenFor(audit, 'user')).toBe(true)
    expect(forbiddenFor(audit, 'auditor')).toBe(false)
    expect(forbiddenFor(admin, 'auditor')).toBe(true)
    expect(forbiddenFor(admin, 'admin')).toBe(false)
    expect(forbiddenFor({ meta: {} }, 'user')).toBe(false)
  })
})
