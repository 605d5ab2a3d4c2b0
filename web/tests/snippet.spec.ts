// Search snippets are rendered as text parts: marks kept, entities decoded, no HTML let through.
import { describe, expect, it } from 'vitest'
import { snippetParts } from '@/utils/snippet'

describe('snippetParts', () => {
  it('splits on <mark> and decodes the escaped text', () => {
    expect(snippetParts('the <mark>zebra</mark> &amp; &lt;b&gt;fish&lt;/b&gt; <mark>pond</mark>')).toEqual([
      { text: 'the ', mark: false },
      { text: 'zebra', mark: true },
      { text: ' & <b>fish</b> ', mark: false },
      { text: 'pond', mark: true },
    ])
  })

  it('gives plain text when nothing matched', () => {
    expect(snippetParts('no matches here')).toEqual([{ text: 'no matches here', mark: false }])
    expect(snippetParts('')).toEqual([])
  })
})
