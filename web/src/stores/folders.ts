// The caller's folder tree: loaded as a flat list, shaped into a tree here, and changed through
// the folder endpoints (create, rename, move, delete).
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { foldersApi } from '@/api/folders'
import type { Folder } from '@/api/types'

export interface FolderNode {
  folder: Folder
  children: FolderNode[]
  depth: number
}

const byName = (a: Folder, b: Folder) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' })

export const useFoldersStore = defineStore('folders', () => {
  const folders = ref<Folder[]>([])
  const loading = ref(false)
  const loaded = ref(false)
  const error = ref<string | null>(null)

  const byId = computed(() => new Map(folders.value.map((f) => [f.id, f])))

  const childrenOf = computed(() => {
    const map = new Map<string | null, Folder[]>()
    for (const f of folders.value) {
      // A parent we do not know (e.g. deleted concurrently) puts the folder at the top level.
      const parent = f.parent_id && byId.value.has(f.parent_id) ? f.parent_id : null
      const list = map.get(parent) ?? []
      list.push(f)
      map.set(parent, list)
    }
    for (const list of map.values()) list.sort(byName)
    return map
  })

  const tree = computed<FolderNode[]>(() => {
    const build = (parent: string | null, depth: number, seen: Set<string>): FolderNode[] =>
      (childrenOf.value.get(parent) ?? [])
        .filter((f) => !seen.has(f.id))
        .map((f) => {
          const next = new Set(seen).add(f.id)
          return { folder: f, depth, children: build(f.id, depth + 1, next) }
        })
    return build(null, 0, new Set())
  })

  /** The chain from the top level down to `id`, for breadcrumbs. */
  function pathTo(id: string | null): Folder[] {
    const path: Folder[] = []
    const seen = new Set<string>()
    let current = id ? byId.value.get(id) : undefined
    while (current && !seen.has(current.id)) {
      seen.add(current.id)
      path.unshift(current)
      current = current.parent_id ? byId.value.get(current.parent_id) : undefined
    }
    return path
  }

  /** True when `candidate` is `id` itself or lies anywhere below it. */
  function isInSubtree(candidate: string | null, id: string): boolean {
    return pathTo(candidate).some((f) => f.id === id)
  }

  function nameTaken(name: string, parentId: string | null, exceptId?: string): boolean {
    const wanted = name.trim().toLocaleLowerCase()
    return (childrenOf.value.get(parentId) ?? []).some(
      (f) => f.id !== exceptId && f.name.toLocaleLowerCase() === wanted,
    )
  }

  async function load(): Promise<void> {
    loading.value = true
    try {
      folders.value = await foldersApi.list()
      loaded.value = true
      error.value = null
    } catch (e) {
      error.value = e instanceof Error ? e.message : String(e)
    } finally {
      loading.value = false
    }
  }

  async function create(name: string, parentId: string | null): Promise<Folder> {
    const folder = await foldersApi.create({ name: name.trim(), ...(parentId ? { parent_id: parentId } : {}) })
    folders.value = [...folders.value.filter((f) => f.id !== folder.id), folder]
    return folder
  }

  async function rename(id: string, name: string): Promise<void> {
    const updated = await foldersApi.update(id, { name: name.trim() })
    replace(id, updated, { name: name.trim() })
  }

  /** Refuses locally what the server would refuse: a folder into itself or its own subtree. */
  async function move(id: string, parentId: string | null): Promise<void> {
    if (parentId !== null && isInSubtree(parentId, id)) {
      throw new Error('A folder cannot be moved into itself or one of its subfolders.')
    }
    if (byId.value.get(id)?.parent_id === parentId) return
    const updated = await foldersApi.update(id, { parent_id: parentId })
    replace(id, updated, { parent_id: parentId })
  }

  async function remove(id: string, recursive = false): Promise<void> {
    await foldersApi.remove(id, recursive)
    const gone = new Set(folders.value.filter((f) => isInSubtree(f.id, id)).map((f) => f.id))
    folders.value = folders.value.filter((f) => !gone.has(f.id))
  }

  /** Uses the server's answer when it sent the folder back, else applies the change locally. */
  function replace(id: string, updated: Folder | undefined, change: Partial<Folder>): void {
    folders.value = folders.value.map((f) =>
      f.id === id ? (updated && typeof updated === 'object' && 'id' in updated ? updated : { ...f, ...change }) : f,
    )
  }

  function reset(): void {
    folders.value = []
    loaded.value = false
    error.value = null
  }

  return {
    folders,
    loading,
    loaded,
    error,
    byId,
    tree,
    pathTo,
    isInSubtree,
    nameTaken,
    load,
    create,
    rename,
    move,
    remove,
    reset,
  }
})
