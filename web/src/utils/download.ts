// Hands a downloaded Blob to the browser as a file save, under the document's name.

export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  // Give the browser time to start reading the object URL before it is revoked.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
