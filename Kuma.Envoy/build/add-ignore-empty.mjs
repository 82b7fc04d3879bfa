// Writes a copy of protoc-gen-validate's validate.proto in which StringRules declares `ignore_empty`
// (field 26). The envoy-api shipped in the same npm package already sets that option, while the
// validate.proto beside it predates it, so protoc would otherwise refuse the set.
// The copy is rewritten only when its text changes, keeping incremental builds quiet.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const [source, target] = process.argv.slice(2);
let text = readFileSync(source, 'utf8');
const open = text.search(/^message StringRules\s*\{/m);
if (open < 0) throw new Error(`no StringRules message in ${source}`);
const close = open + text.slice(open).search(/^\}/m);
if (!/\bignore_empty\b/.test(text.slice(open, close))) {
  text = `${text.slice(0, close)}  optional bool ignore_empty = 26;\n${text.slice(close)}`;
}
if (!existsSync(target) || readFileSync(target, 'utf8') !== text) {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, text);
}
