import { spawn } from 'node:child_process';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
const N = Number(process.argv[3] ?? 2000);
const mode = process.argv[2];
function once(s) { return new Promise((r) => { s.once('data', () => { s.destroy(); r(); }); }); }
if (mode === 'ipc') {
  const h = spawn(new URL('./helper', import.meta.url).pathname, ['ipc', String(N)], { stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
  let got = 0, t0, c0;
  const start = () => { t0 = process.hrtime.bigint(); c0 = process.cpuUsage(); h.send('s'); };
  h.on('message', async (m, handle) => {
    const s = new Socket({ handle, readable: true, writable: true });
    await once(s);
    if (++got === N) { const c = process.cpuUsage(c0); console.log(JSON.stringify({ mode, N, cpu_us_per: (c.user + c.system) / N, wall_us_per: Number(process.hrtime.bigint() - t0) / 1000 / N })); h.kill(); }
    else h.send('s');
  });
  start();
} else {
  const path = join(tmpdir(), `handoff-${process.pid}.sock`);
  const h = spawn(new URL('./helper', import.meta.url).pathname, ['accept', path, String(N)], { stdio: ['inherit', 'pipe', 'inherit'] });
  h.stdout.once('data', async () => {
    const t0 = process.hrtime.bigint(); const c0 = process.cpuUsage();
    for (let i = 0; i < N; i++) { const s = connect(path); s.write(Buffer.alloc(8)); await once(s); }
    const c = process.cpuUsage(c0); console.log(JSON.stringify({ mode, N, cpu_us_per: (c.user + c.system) / N, wall_us_per: Number(process.hrtime.bigint() - t0) / 1000 / N }));
  });
}
