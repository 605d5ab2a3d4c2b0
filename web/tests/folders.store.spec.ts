// The folders store: tree shaping, name checks, cycle refusal, moves and deletes.
import { beforeEach, describe, expect, it } from 'vitest'
import { useFoldersStore } from '@/stores/folders'
import { fakeServer, json, noContent } from './fake-server'
import { freshStores } from './setup'

beforeEach(freshStores)

const tree = [
  { id: 'b', name: 'Bills', parent_id: null },
  { id: 'a', name: 'archive', parent_id: null },
  { id: 'a1', name: '2024', parent_id: 'a' },
  { id: 'a2', name: '2025', parent_id: 'a1' },
]

describe('folders store', () => {
  it('builds a sorted tree from the flat list (bare array or {items})', async () => {
    fakeServer({ 'GET /api/folders': [() => json(tree), () => json({ items: tree })] })
    const folders = useFoldersStore()
    await folders.load()
    expect(folders.tree.map((n) => n.folder.name)).toEqual(['archive', 'Bills'])
    expect(folders.tree[0]!.children[0]!.children[0]!.folder.id).toBe('a2')
    expect(folders.pathTo('a2').map((f) => f.id)).toEqual(['a', 'a1', 'a2'])
    await folders.load()
    expect(folders.folders).toHaveLength(4)
  })

  it('knows names are unique per parent, case-insensitively', async () => {
    fakeServer({ 'GET /api/folders': () => json(tree) })
    const folders = useFoldersStore()
    await folders.load()
    expect(folders.nameTaken('BILLS', null)).toBe(true)
    expect(folders.nameTaken('Bills', 'a')).toBe(false)
    expect(folders.nameTaken('Bills', null, 'b')).toBe(false)
  })

  it('refuses to move a folder into its own subtree without asking the server', async () => {
    const server = fakeServer({ 'GET /api/folders': () => json(tree) })
    const folders = useFoldersStore()
    await folders.load()
    await expect(folders.move('a', 'a2')).rejects.toThrow(/cannot be moved into itself/)
    await expect(folders.move('a', 'a')).rejects.toThrow()
    expect(server.calls.filter((c) => c.method === 'PATCH')).toHaveLength(0)
  })

  it('moves a folder with PATCH parent_id and reshapes the tree', async () => {
    const server = fakeServer({
      'GET /api/folders': () => json(tree),
      'PATCH /api/folders/a1': () => json({ id: 'a1', name: '2024', parent_id: 'b' }),
    })
    const folders = useFoldersStore()
    await folders.load()
    await folders.move('a1', 'b')
    expect(server.callsTo('PATCH', '/api/folders/a1')[0]!.body).toEqual({ parent_id: 'b' })
    expect(folders.pathTo('a2').map((f) => f.id)).toEqual(['b', 'a1', 'a2'])
  })

  it('creates, renames and deletes (recursively, dropping the subtree)', async () => {
    const server = fakeServer({
      'GET /api/folders': () => json(tree),
      'POST /api/folders': (req) => json({ id: 'n', ...(req.body as object) }, 201),
      'PATCH /api/folders/b': () => noContent(),
      'DELETE /api/folders/a': () => noContent(),
    })
    const folders = useFoldersStore()
    await folders.load()
    await folders.create('  New  ', 'b')
    expect(server.callsTo('POST', '/api/folders')[0]!.body).toEqual({ name: 'New', parent_id: 'b' })
    await folders.rename('b', 'Invoices')
    expect(folders.byId.get('b')!.name).toBe('Invoices')
    await folders.remove('a', true)
    expect(server.callsTo('DELETE', '/api/folders/a')[0]!.query.get('recursive')).toBe('true')
    expect(folders.folders.map((f) => f.id).sort()).toEqual(['b', 'n'])
  })
})
