// End-to-end check of a running fhirlake with the npm FHIR client
// fhir-kit-client, every request signed with AWS SigV4 (aws4):
// create, read, update, search with paging, and a transaction.
//
//   NODE_EXTRA_CA_CERTS=cert.pem node fhir.mjs BASE_URL KEY SECRET [REGION]
import { Client } from 'fhir-kit-client';
import aws4 from 'aws4';
import assert from 'node:assert/strict';

const [baseUrl, accessKeyId, secretAccessKey, region = 'us-east-1'] = process.argv.slice(2);
if (!secretAccessKey) {
  console.error('usage: node fhir.mjs BASE_URL ACCESS_KEY_ID SECRET_ACCESS_KEY [REGION]');
  process.exit(2);
}

const client = new Client({
  baseUrl,
  requestSigner: (url, init) => {
    const u = new URL(url);
    const headers = {};
    init.headers.forEach((v, k) => { headers[k] = v; });
    const signed = aws4.sign({
      host: u.host, path: u.pathname + u.search, method: init.method,
      headers, body: init.body ?? '', service: 'healthlake', region,
    }, { accessKeyId, secretAccessKey });
    for (const [k, v] of Object.entries(signed.headers)) init.headers.set(k, String(v));
  },
});

const family = `Kitclient${Date.now()}`;
const created = await client.create({
  resourceType: 'Patient',
  body: { resourceType: 'Patient', name: [{ family, given: ['Ada'] }], gender: 'female', birthDate: '1990-04-01' },
});
assert.ok(created.id, 'create returns the new id');
assert.equal(created.meta.versionId, '1');

const read = await client.read({ resourceType: 'Patient', id: created.id });
assert.equal(read.name[0].family, family);

const updated = await client.update({
  resourceType: 'Patient', id: created.id,
  body: { ...read, gender: 'other' },
});
assert.equal(updated.meta.versionId, '2');
assert.equal(updated.gender, 'other');

const bundle = await client.transaction({
  body: {
    resourceType: 'Bundle', type: 'transaction',
    entry: [1, 2, 3, 4, 5].map((i) => ({
      fullUrl: `urn:uuid:00000000-0000-4000-8000-00000000000${i}`,
      resource: {
        resourceType: 'Observation', status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
        subject: { reference: `Patient/${created.id}` },
        effectiveDateTime: `2024-01-0${i}T10:00:00Z`,
        valueQuantity: { value: 60 + i, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      },
      request: { method: 'POST', url: 'Observation' },
    })),
  },
});
assert.equal(bundle.type, 'transaction-response');
assert.equal(bundle.entry.length, 5);
for (const e of bundle.entry) assert.match(e.response.status, /^201/);

// search with paging: 5 observations, 2 per page
let page = await client.search({
  resourceType: 'Observation',
  searchParams: { patient: created.id, code: 'http://loinc.org|8867-4', _count: 2, _sort: 'date' },
});
assert.equal(page.total, 5);
const values = [];
let pages = 0;
while (page) {
  pages++;
  for (const e of page.entry ?? []) values.push(e.resource.valueQuantity.value);
  page = await client.nextPage({ bundle: page });
}
assert.equal(pages, 3);
assert.deepEqual(values, [61, 62, 63, 64, 65]);

const byName = await client.search({ resourceType: 'Patient', searchParams: { family } });
assert.equal(byName.total, 1);
assert.equal(byName.entry[0].resource.id, created.id);

console.log(`fhir-kit-client: create, read, update, transaction of 5, search over ${pages} pages: ok`);
