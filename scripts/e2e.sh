#!/usr/bin/env bash
# End-to-end checks of a running fhirlake with the clients its users use:
# the Debian AWS CLI (v2, /usr/bin/aws), curl --aws-sigv4, and Medplum's
# independent FHIR validator on generated data.
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/fhirlake" ./cmd/fhirlake
fhirlake="$work/fhirlake"

echo "--- synthetic data passes Medplum's validator"
"$fhirlake" synth --patients 5 --seed 7 --out "$work/synth" 2>/dev/null
(cd synth/validate && node validate.mjs "$work/synth")

echo "--- start the server"
"$fhirlake" serve --data-dir "$work/data" --http-addr 127.0.0.1:0 --preload-patients 3 >"$work/serve.out" 2>"$work/serve.err" &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "fhirlake is serving" "$work/serve.out" 2>/dev/null && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/serve.err"; exit 1; }
  sleep 0.5
done
cat "$work/serve.out"
url=$(grep -o 'https://127.0.0.1:[0-9]*' "$work/serve.out" | head -1)
datastore=$(grep -o 'default data store [0-9a-f]*' "$work/serve.out" | awk '{print $4}')
key=$(awk '/^  access key id/ {print $4}' "$work/serve.out")
secret=$(awk '/^  secret key/ {print $3}' "$work/serve.out")
cert="$work/data/tls/cert.pem"
export AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" AWS_DEFAULT_REGION=us-east-1
aws() { /usr/bin/aws "$@" --endpoint-url "$url" --no-verify-ssl 2>/dev/null; }

echo "--- AWS CLI: data store lifecycle"
aws healthlake list-fhir-datastores >"$work/list.json"
grep -q "$datastore" "$work/list.json"
aws healthlake create-fhir-datastore --datastore-type-version R4 --datastore-name e2e \
  --tags Key=purpose,Value=e2e >"$work/create.json"
new=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['DatastoreId'])" "$work/create.json")
for _ in $(seq 1 240); do
  status=$(aws healthlake describe-fhir-datastore --datastore-id "$new" --query DatastoreProperties.DatastoreStatus --output text)
  [ "$status" = ACTIVE ] && break
  sleep 0.5
done
[ "$status" = ACTIVE ] || { echo "data store $new is $status"; exit 1; }
aws healthlake list-tags-for-resource --resource-arn "arn:aws:healthlake:us-east-1:000000000000:datastore/fhir/$new" | grep -q e2e
aws healthlake delete-fhir-datastore --datastore-id "$new" >/dev/null
for _ in $(seq 1 240); do
  status=$(aws healthlake describe-fhir-datastore --datastore-id "$new" --query DatastoreProperties.DatastoreStatus --output text)
  [ "$status" = DELETED ] && break
  sleep 0.5
done
[ "$status" = DELETED ] || { echo "data store $new is $status after delete"; exit 1; }
if aws healthlake describe-fhir-datastore --datastore-id 0123456789abcdef0123456789abcdef >/dev/null 2>&1; then
  echo "describe of a missing data store succeeded"; exit 1
fi
echo "AWS CLI lifecycle ok"

echo "--- fhirlake datastore CLI"
"$fhirlake" datastore list --endpoint "$url" --data-dir "$work/data" | grep -q "$datastore"

echo "--- curl --aws-sigv4: read a preloaded Patient"
sig=(--silent --show-error --aws-sigv4 "aws:amz:us-east-1:healthlake" --user "$key:$secret" --cacert "$cert")
pid=$(curl "${sig[@]}" "$url/datastore/$datastore/r4/Patient/_history?_count=1" |
  python3 -c "import json,sys; print(json.load(sys.stdin)['entry'][0]['resource']['id'])")
curl "${sig[@]}" --fail "$url/datastore/$datastore/r4/Patient/$pid" | grep -q "\"id\":\"$pid\""
code=$(curl --silent --cacert "$cert" -o /dev/null -w '%{http_code}' "$url/datastore/$datastore/r4/Patient/$pid")
[ "$code" = 403 ] || { echo "unsigned read answered $code"; exit 1; }
echo "curl ok"

echo "--- SQL: the mysql CLI (MariaDB client) over TLS, and fhirlake query"
mysql_port=$(grep -o 'mysql -h [0-9.]* -P [0-9]*' "$work/serve.out" | awk '{print $5}')
patients=$(mysql -h 127.0.0.1 -P "$mysql_port" -u "$key" -p"$secret" --ssl --batch --skip-column-names \
  -e "SELECT count(*) FROM \`$datastore\`.patient")
[ "$patients" -ge 3 ] || { echo "mysql: $patients patients"; exit 1; }
"$fhirlake" query --endpoint "$url" --data-dir "$work/data" --datastore "$datastore" -o csv \
  "SELECT gender, count(*) AS n FROM patient GROUP BY gender" | grep -q '^gender,n$'
if mysql -h 127.0.0.1 -P "$mysql_port" -u "$key" -p"$secret" --ssl -e "DROP TABLE \`$datastore\`.patient" 2>/dev/null; then
  echo "DROP TABLE over SQL succeeded"; exit 1
fi
echo "SQL ok"

echo "--- AWS CLI: import job from a local folder (file://)"
"$fhirlake" synth --patients 4 --seed 11 --gzip --out "$work/import-in" 2>/dev/null
aws healthlake start-fhir-import-job --datastore-id "$datastore" --job-name e2e-import \
  --input-data-config S3Uri="file://$work/import-in" \
  --job-output-data-config 'S3Configuration={S3Uri='"file://$work/import-out"',KmsKeyId=alias/fhirlake}' \
  --data-access-role-arn arn:aws:iam::000000000000:role/import >"$work/import.json"
job=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['JobId'])" "$work/import.json")
for _ in $(seq 1 600); do
  status=$(aws healthlake describe-fhir-import-job --datastore-id "$datastore" --job-id "$job" --query ImportJobProperties.JobStatus --output text)
  case "$status" in COMPLETED|COMPLETED_WITH_ERRORS|FAILED) break ;; esac
  sleep 0.5
done
aws healthlake describe-fhir-import-job --datastore-id "$datastore" --job-id "$job" >"$work/import-job.json"
[ "$status" = COMPLETED ] || { cat "$work/import-job.json"; echo "import job $job is $status"; exit 1; }
python3 - "$work/import-job.json" "$work/import-out/$datastore-FHIR_IMPORT-$job/manifest.json" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))["ImportJobProperties"]
manifest = json.load(open(sys.argv[2]))
imported = manifest["numberOfResourcesImportedSuccessfully"]
assert imported > 0 and manifest["numberOfResourcesWithCustomerError"] == 0, manifest
# Debian's CLI (2.9) predates JobProgressReport in its model and drops it
if "JobProgressReport" in job:
    assert job["JobProgressReport"]["TotalNumberOfResourcesImported"] == imported, (job, manifest)
print("imported", imported, "resources")
PY
aws healthlake list-fhir-import-jobs --datastore-id "$datastore" | grep -q "$job"
imported_patient=$(zcat "$work/import-in/Patient.ndjson.gz" | head -1 | python3 -c "import json,sys; print(json.load(sys.stdin)['id'])")
curl "${sig[@]}" --fail "$url/datastore/$datastore/r4/Patient/$imported_patient" | grep -q "\"id\":\"$imported_patient\""
"$fhirlake" import list --datastore "$datastore" --endpoint "$url" --data-dir "$work/data" | grep -q "$job"
echo "AWS CLI import ok"

if [ -x scripts/clients/run.sh ]; then
  echo "--- npm clients"
  scripts/clients/run.sh "$url" "$datastore" "$key" "$secret" "$cert"
fi
echo "end-to-end checks passed"
