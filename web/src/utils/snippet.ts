// Search snippets arrive HTML-escaped with each match in `<mark>…</mark>`: split them into text
// parts (entities decoded) so the template renders them as text, never as HTML.

export interface SnippetPart {
  text: string
  mark: boolean
}

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'" }

function decode(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|#39|#x27);/g, (m) => ENTITIES[m] ?? m)
}

export function snippetParts(snippet: string): SnippetPart[] {
  const parts: SnippetPart[] = []
  let mark = false
  for (const piece of snippet.split(/(<\/?mark>)/)) {
    if (piece === '<mark>') mark = true
    else if (piece === '</mark>') mark = false
    else if (piece) parts.push({ text: decode(piece), mark })
  }
  return parts
}
