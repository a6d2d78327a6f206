/** A WebSocket client for tests: the first `n` messages after sending `send`. */
import { WebSocket } from 'ws';

export function wsExchange(url: string, send: string[], n: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const got: string[] = [];
    ws.on('open', () => send.forEach((m) => ws.send(m)));
    ws.on('message', (m) => {
      got.push(String(m));
      if (got.length === n) {
        ws.close();
        resolve(got);
      }
    });
    ws.on('error', reject);
  });
}
