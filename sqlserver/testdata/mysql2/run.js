// Runs queries through the mysql2 driver: each with query() (text protocol)
// and execute() (prepared statements). Input on stdin:
// {host, port, user, password, database, queries: [...]}; output on stdout:
// one {mode, columns, rows, errno, error} per query and mode.
const mysql = require('mysql2/promise');

function text(v) {
  if (v === null || v === undefined) return 'NULL';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return String(v);
}

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const cfg = JSON.parse(input);
  const conn = await mysql.createConnection({
    host: cfg.host, port: Number(cfg.port), user: cfg.user, password: cfg.password,
    database: cfg.database, dateStrings: true, supportBigNumbers: true,
    bigNumberStrings: true, jsonStrings: true, decimalNumbers: false,
  });
  const out = [];
  for (const sql of cfg.queries) {
    for (const mode of ['query', 'execute']) {
      try {
        const [rows, fields] = await conn[mode]({ sql, rowsAsArray: true });
        out.push({ mode, columns: (fields || []).map(f => f.name), rows: rows.map(r => r.map(text)) });
      } catch (e) {
        out.push({ mode, columns: [], rows: [], errno: e.errno || 0, error: String(e.message) });
      }
    }
  }
  await conn.end();
  process.stdout.write(JSON.stringify(out));
}

main().catch(e => { console.error(e); process.exit(1); });
