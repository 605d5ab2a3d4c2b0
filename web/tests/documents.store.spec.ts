// The documents store: listing queries, paging, stale answers, moves, trash and restore.
import { flushPromises } from '@vue/test-utils'
import { beforeEach, describe, expect, it } from 'vitest'
import { useDocumentsStore } from '@/stores/documents'
import { doc, fakeServer, json, noContent } from './fake-server'
import { freshStores } from './setup'

beforeEach(freshStores)

describe('documents store', () => {
  it('lists the top level as folder_id=root, a folder by id, and searches across folders', async () => {
    const server = fakeServer({ 'GET /api/documents': () => json({ items: [doc('a')], next_cursor: null }) })
    const docs = useDocumentsStore()
    await docs.openFolder(null)
    await docs.openFolder('f1')
    await docs.setQuery({ search: 'tax', status: 'ready', sort: 'filename' })
    const queries = server.callsTo('GET', '/api/documents').map((c) => Object.fromEntries(c.query))
    expect(queries[0]).toEqual({ folder_id: 'root', sort: '-created_at', limit: '50' })
    expect(queries[1]).toEqual({ folder_id: 'f1', sort: '-created_at', limit: '50' })
    expect(queries[2]).toEqual({ q: 'tax', status: 'ready', sort: 'filename', limit: '50' })
    expect(docs.items).toHaveLength(1)
  })

  it('follows next_cursor and skips duplicates', async () => {
    const server = fakeServer({
      'GET /api/documents': (req) =>
        req.query.get('cursor') === 'c2'
          ? json({ items: [doc('b'), doc('c')], next_cursor: null })
          : json({ items: [doc('a'), doc('b')], next_cursor: 'c2' }),
    })
    const docs = useDocumentsStore()
    await docs.load()
    expect(docs.hasMore).toBe(true)
    await docs.loadMore()
    expect(docs.items.map((d) => d.id)).toEqual(['a', 'b', 'c'])
    expect(docs.hasMore).toBe(false)
    await docs.loadMore()
    expect(server.callsTo('GET', '/api/documents')).toHaveLength(2)
  })

  it('goes on loading snippets as a search is paged past those loaded', async () => {
    const hit = (id: string) => ({ id, snippet: `<mark>tax</mark> ${id}` })
    const server = fakeServer({
      'GET /api/documents': (req) =>
        req.query.get('cursor') === 'c2'
          ? json({ items: [doc('c')], next_cursor: null })
          : json({ items: [doc('a'), doc('b')], next_cursor: 'c2' }),
      'GET /api/search': (req) =>
        req.query.get('cursor') === 's2'
          ? json({ items: [hit('c')], next_cursor: null })
          : json({ items: [hit('a'), hit('b')], next_cursor: 's2' }),
    })
    const docs = useDocumentsStore()
    await docs.setQuery({ search: 'tax' })
    await flushPromises()
    expect([...docs.snippets.keys()]).toEqual(['a', 'b'])
    await docs.loadMore()
    await flushPromises()
    expect([...docs.snippets.keys()]).toEqual(['a', 'b', 'c'])
    // The last page of snippets: nothing further is asked.
    await docs.loadMore()
    await flushPromises()
    const searches = server.callsTo('GET', '/api/search').map((c) => c.query.get('cursor'))
    expect(searches).toEqual([null, 's2'])
  })

  it('ignores a slow answer to an older query', async () => {
    let release: (r: Response) => void = () => {}
    fakeServer({
      'GET /api/documents': [
        () => new Promise<Response>((r) => (release = r)),
        () => json({ items: [doc('new')], next_cursor: null }),
      ],
    })
    const docs = useDocumentsStore()
    const first = docs.setQuery({ search: 'o' })
    await docs.setQuery({ search: 'ne' })
    release(json({ items: [doc('old')], next_cursor: null }))
    await first
    expect(docs.items.map((d) => d.id)).toEqual(['new'])
  })

  it('moves documents out of the current folder and keeps the selection honest', async () => {
    const server = fakeServer({
      'GET /api/documents': () => json({ items: [doc('a'), doc('b')], next_cursor: null }),
      'PATCH /api/documents/a': () => json(doc('a', { folder_id: 'f2' })),
      'PATCH /api/documents/b': () => json(doc('b', { folder_id: 'f2' })),
    })
    const docs = useDocumentsStore()
    await docs.openFolder(null)
    docs.selectAll(true)
    expect(docs.selected.size).toBe(2)
    await docs.move(['a', 'b'], 'f2')
    expect(server.callsTo('PATCH', '/api/documents/a')[0]!.body).toEqual({ folder_id: 'f2' })
    expect(docs.items).toEqual([])
    expect(docs.selected.size).toBe(0)
  })

  it('renames with PATCH filename', async () => {
    fakeServer({
      'GET /api/documents': () => json({ items: [doc('a')], next_cursor: null }),
      'PATCH /api/documents/a': () => noContent(),
    })
    const docs = useDocumentsStore()
    await docs.load()
    await docs.rename('a', ' Lease.pdf ')
    expect(docs.items[0]!.filename).toBe('Lease.pdf')
  })

  it('trashes, lists the trash, restores and purges (refreshing the quota)', async () => {
    const server = fakeServer({
      'GET /api/documents': () => json({ items: [doc('a')], next_cursor: null }),
      'DELETE /api/documents/a': () => noContent({ 'X-Consistency-Token': '7' }),
      'GET /api/trash': () => json({ items: [doc('a'), doc('b')], next_cursor: null }),
      'POST /api/documents/a/restore': () => json(doc('a')),
      'DELETE /api/trash/b': () => noContent(),
      'GET /api/quota': () => json({ limit_bytes: 10, used_bytes: 1, reserved_bytes: 0 }),
    })
    const docs = useDocumentsStore()
    await docs.load()
    await docs.moveToTrash(['a'])
    expect(docs.items).toEqual([])
    await docs.loadTrash()
    expect(server.callsTo('GET', '/api/trash')[0]!.headers['x-consistency-token']).toBe('7')
    await docs.restore('a')
    await docs.purge('b')
    expect(docs.trash).toEqual([])
    expect(docs.loaded).toBe(false)
    expect(server.callsTo('GET', '/api/quota')).toHaveLength(1)
  })

  it('adds an uploaded document only when it belongs in the folder on screen', async () => {
    fakeServer({ 'GET /api/documents': () => json({ items: [], next_cursor: null }) })
    const docs = useDocumentsStore()
    await docs.openFolder('f1')
    docs.upsert(doc('x', { folder_id: 'f2' }) as never)
    expect(docs.items).toHaveLength(0)
    docs.upsert(doc('y', { folder_id: 'f1' }) as never)
    expect(docs.items.map((d) => d.id)).toEqual(['y'])
  })
})
