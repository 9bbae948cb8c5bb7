// test/api_docs.test.ts — the TSDoc teaches: every export of `cuoptim` and `cuoptim/tfjs` has a
// doc comment, every option field of an exported *Options / *Config type has one that says its
// default (or that the field is required), and the README's API index is the one
// scripts/api-docs.mjs generates from them (run it after changing a doc comment).
import { test } from "uvu";
import * as assert from "uvu/assert";
// @ts-expect-error a plain .mjs script without type declarations
import { collect, indexMarkdown, problems, readmeIndex } from "../scripts/api-docs.mjs";

const api = collect();

test("every export has a doc comment, and every option field its default", () => {
  const all = Object.values(api).flat() as { fields: unknown[] }[];
  assert.ok(all.length > 100, `only ${all.length} exports found`);
  assert.ok(all.filter((e) => e.fields.length).length > 25, "the option types were not found");
  assert.equal(problems(api), []);
});

test("the README's API index is generated from the current doc comments", () => {
  assert.is(readmeIndex(), indexMarkdown(api), "README.md is stale: run node scripts/api-docs.mjs");
});

test.run();
