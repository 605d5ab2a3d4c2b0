// Drag-and-drop payloads between the document list and the folder tree, under our own MIME
// type so files dragged in from the desktop are never mistaken for a move.

export const DND_TYPE = 'application/x-docuvault-items'

export interface DragPayload {
  kind: 'folder' | 'documents'
  ids: string[]
}

export function setDragPayload(e: DragEvent, payload: DragPayload, label: string): void {
  if (!e.dataTransfer) return
  e.dataTransfer.effectAllowed = 'move'
  e.dataTransfer.setData(DND_TYPE, JSON.stringify(payload))
  e.dataTransfer.setData('text/plain', label)
}

/** During dragover only the types are readable, not the data. */
export function isOurDrag(e: DragEvent): boolean {
  return !!e.dataTransfer && Array.from(e.dataTransfer.types).includes(DND_TYPE)
}

export function isFileDrag(e: DragEvent): boolean {
  return !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files')
}

export function readDragPayload(e: DragEvent): DragPayload | null {
  const raw = e.dataTransfer?.getData(DND_TYPE)
  if (!raw) return null
  try {
    const value = JSON.parse(raw) as DragPayload
    if ((value.kind === 'folder' || value.kind === 'documents') && Array.isArray(value.ids)) return value
  } catch {
    // Not ours after all.
  }
  return null
}
