// `npm run check-openapi [-- URL | --file openapi.json]`: checks src/api/types.ts against a running
// server's /api/openapi.json (default DOCUVAULT_E2E_URL or http://127.0.0.1:8080). Exit 1 on errors.
import { readFile } from 'node:fs/promises'
import { compare, readInterfaces } from './openapi-compare.mjs'

const args = process.argv.slice(2)
let doc
if (args[0] === '--file') {
  doc = JSON.parse(await readFile(args[1], 'utf8'))
} else {
  const base = (args[0] ?? process.env.DOCUVAULT_E2E_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '')
  const res = await fetch(`${base}/api/openapi.json`).catch((e) => {
    console.error(`cannot reach ${base}: ${e.message}`)
    process.exit(2)
  })
  if (!res.ok) {
    console.error(`${base}/api/openapi.json answered ${res.status}`)
    process.exit(2)
  }
  doc = await res.json()
}
const source = await readFile(new URL('../src/api/types.ts', import.meta.url), 'utf8')
const { errors, warnings } = compare(doc, readInterfaces(source))
for (const w of warnings) console.log(`warning: ${w}`)
for (const e of errors) console.log(`error:   ${e}`)
console.log(`${errors.length} error(s), ${warnings.length} warning(s)`)
process.exit(errors.length ? 1 : 0)
