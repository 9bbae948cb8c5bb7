#!/usr/bin/env node
// scripts/api-docs.mjs — the public API's documentation, read from the TSDoc of src-ts/ with the
// TypeScript compiler: every export of `cuoptim`, `cuoptim/tfjs`, `cuoptim/distributed` and `cuoptim/parity`, its kind and the first
// sentence of its doc comment. `node scripts/api-docs.mjs` rewrites the README's API index (between
// the api:start / api:end markers) from it; test/api_docs.test.ts checks that the index is current,
// that every export has a doc comment, and that every option field says its default.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ts = createRequire(import.meta.url)("typescript");
export const ENTRIES = { cuoptim: "src-ts/index.ts", "cuoptim/tfjs": "src-ts/tfjs/index.ts", "cuoptim/distributed": "src-ts/distributed/index.ts", "cuoptim/parity": "src-ts/parity/index.ts" };
// Name maps whose properties are other documented options types, not options themselves.
const NAME_MAPS = new Set(["TfjsOptimizerOptions", "TfjsScheduleOptions"]);
const README = join(root, "README.md");
const START = "<!-- api:start -->";
const END = "<!-- api:end -->";

function kindOf(decl) {
  if (ts.isClassDeclaration(decl)) return "class";
  if (ts.isFunctionDeclaration(decl)) return "function";
  if (ts.isInterfaceDeclaration(decl)) return "interface";
  if (ts.isTypeAliasDeclaration(decl)) return "type";
  if (ts.isVariableDeclaration(decl)) return "const";
  if (ts.isSourceFile(decl) || ts.isNamespaceExport(decl)) return "namespace";
  return ts.SyntaxKind[decl.kind];
}

/** A doc comment's text: the symbol's own, or (for `export * as ns`) the export declaration's. */
function docOf(checker, exported, target) {
  const own = ts.displayPartsToString(target.getDocumentationComment(checker)).trim();
  if (own) return own;
  for (const d of exported.declarations ?? []) {
    const node = ts.isNamespaceExport(d) ? d.parent : d;
    const text = (node.jsDoc ?? []).map((j) => (typeof j.comment === "string" ? j.comment : ts.getTextOfJSDocComment(j.comment) ?? "")).join("\n").trim();
    if (text) return text;
  }
  return "";
}

/** Every export of each entry point: name, kind, doc, and the option fields' docs. */
export function collect() {
  const files = Object.values(ENTRIES).map((f) => join(root, f));
  const program = ts.createProgram(files, { strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, noEmit: true });
  const checker = program.getTypeChecker();
  const out = {};
  for (const [entry, file] of Object.entries(ENTRIES)) {
    const mod = checker.getSymbolAtLocation(program.getSourceFile(join(root, file)));
    out[entry] = checker.getExportsOfModule(mod).map((exported) => {
      const target = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      const decl = target.declarations?.[0];
      const name = exported.getName();
      const fields = [];
      if (/(Options|Config)$/.test(name) && !NAME_MAPS.has(name) && decl && (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl))) {
        for (const prop of checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(target))) {
          fields.push({ name: prop.getName(), doc: ts.displayPartsToString(prop.getDocumentationComment(checker)).trim() });
        }
      }
      return { name, kind: decl ? kindOf(decl) : "?", doc: docOf(checker, exported, target), fields };
    });
  }
  return out;
}

/** What the docs lack: exports without a doc comment, option fields without one or without a default. */
export function problems(api = collect()) {
  const found = [];
  for (const [entry, exports] of Object.entries(api)) {
    for (const e of exports) {
      if (!e.doc) found.push(`${entry}: ${e.name} (${e.kind}) has no doc comment`);
      for (const f of e.fields) {
        if (!f.doc) found.push(`${entry}: ${e.name}.${f.name} has no doc comment`);
        else if (!/default|required|\([^)]*\)/i.test(f.doc)) found.push(`${entry}: ${e.name}.${f.name} does not say its default`);
      }
    }
  }
  return found;
}

// The doc's first sentence (a full stop that ends "et al." or "e.g." ends none), for the table.
const firstSentence = (doc) => {
  const flat = doc.replace(/\s+/g, " ").trim();
  const m = flat.match(/^(.+?(?<!\bal|\be\.g|\bi\.e|\bvs)\.)(\s|$)/);
  return (m ? m[1] : flat).replace(/\|/g, "\\|");
};

/** The README's API index. */
export function indexMarkdown(api = collect()) {
  const lines = [START, "", "Generated from the TSDoc by `node scripts/api-docs.mjs` (hover docs carry every option with its default).", ""];
  for (const [entry, exports] of Object.entries(api)) {
    lines.push(`**\`${entry}\`**`, "", "| export | kind | |", "|---|---|---|");
    for (const e of [...exports].sort((a, b) => a.name.localeCompare(b.name))) lines.push(`| \`${e.name}\` | ${e.kind} | ${firstSentence(e.doc)} |`);
    lines.push("");
  }
  lines.push(END);
  return lines.join("\n");
}

export function readmeIndex() {
  const text = readFileSync(README, "utf8");
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  return a < 0 || b < 0 ? null : text.slice(a, b + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const api = collect();
  const text = readFileSync(README, "utf8");
  const current = readmeIndex();
  if (current === null) throw new Error(`README.md has no ${START} ... ${END} block`);
  writeFileSync(README, text.replace(current, indexMarkdown(api)));
  const p = problems(api);
  console.log(`api-docs: README index of ${Object.values(api).flat().length} exports written; ${p.length} doc problems`);
  for (const line of p) console.log(`  ${line}`);
}
